"""The report folder: refused up front when unusable, written whole or not at all."""

import errno
import json
import os
import stat
import tempfile

import pytest

import sknet
from sknet.recipe.errors import InputError
from sknet.recipe.output import MARKER, ReportFolder, write_bytes, write_text

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def files(**contents):
    """A writer that writes ``contents`` (name -> text) with write_text."""
    def writer(tmp):
        for name, text in contents.items():
            write_text(tmp, name.replace("_dot_", "."), text)
    return writer


def snapshot(folder):
    """Every entry under ``folder``: relative name -> ('file', bytes) / ('link', target) / 'dir'."""
    seen = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, folder)
            if os.path.islink(path):
                seen[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                seen[rel] = "dir"
            else:
                with open(path, "rb") as f:
                    seen[rel] = ("file", f.read())
    return seen


@pytest.fixture
def old_report(tmp_path):
    """A report folder sknet made, holding report.md and old_figure.png."""
    target = tmp_path / "rep"
    ReportFolder(target).write(files(report_dot_md="old report\n",
                                     old_figure_dot_png="old figure"))
    return target


def test_new_folder(tmp_path):
    target = tmp_path / "a" / "b" / "rep"
    old_umask = os.umask(0o022)
    try:
        def writer(tmp):
            write_text(tmp, "report.md", "# Report\n")
            with open(os.path.join(tmp, "model.joblib"), "wb") as f:  # as joblib.dump does
                f.write(b"model")
        path = ReportFolder(target).write(writer)
    finally:
        os.umask(old_umask)
    assert path == str(target) and os.path.isabs(path)
    assert sorted(os.listdir(target)) == [MARKER, "model.joblib", "report.md"]
    assert (target / "report.md").read_text(encoding="utf-8") == "# Report\n"
    marker = json.loads((target / MARKER).read_text(encoding="utf-8"))
    assert marker["made_by"] == "sknet" and marker["sknet_version"] == sknet.__version__
    assert os.listdir(tmp_path / "a" / "b") == ["rep"]  # no temporary folder left
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o755  # as mkdir would, not mkdtemp's 0o700
    assert stat.S_IMODE(os.stat(target / "report.md").st_mode) == 0o644


def test_relative_path_with_trailing_slash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = ReportFolder("rep/")
    folder.check()
    assert folder.write(files(report_dot_md="x")) == str(tmp_path / "rep")
    assert sorted(os.listdir(tmp_path)) == ["rep"]


def test_sknet_made_folder_is_replaced_whole(old_report, tmp_path):
    ReportFolder(old_report).check()  # no --overwrite needed
    ReportFolder(old_report).write(files(report_dot_md="new report\n"))
    assert sorted(os.listdir(old_report)) == [MARKER, "report.md"]  # old_figure.png gone
    assert (old_report / "report.md").read_text(encoding="utf-8") == "new report\n"
    assert os.listdir(tmp_path) == ["rep"]  # the backup was removed


def test_foreign_folder_needs_overwrite(tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("precious")
    before = snapshot(target)
    with pytest.raises(InputError) as info:
        ReportFolder(target).check()
    assert str(info.value) == (f"the report folder {target} is not empty and was not made "
                               "by sknet; pass --overwrite or choose another --output")
    with pytest.raises(InputError, match="--overwrite"):
        ReportFolder(target).write(files(report_dot_md="x"))
    assert snapshot(target) == before
    assert os.listdir(tmp_path) == ["mine"]
    ReportFolder(target, overwrite=True).write(files(report_dot_md="x"))
    assert sorted(os.listdir(target)) == [MARKER, "report.md"]


@pytest.mark.parametrize("marker", ["not json", json.dumps({"made_by": "someone"}), None])
def test_a_bogus_marker_does_not_make_a_folder_sknets(tmp_path, marker):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("precious")
    if marker is None:  # a link named like the marker, to a genuine marker elsewhere
        genuine = tmp_path / "genuine"
        genuine.write_text(json.dumps({"made_by": "sknet"}))
        (target / MARKER).symlink_to(genuine)
    else:
        (target / MARKER).write_text(marker)
    with pytest.raises(InputError, match="not made by sknet"):
        ReportFolder(target).check()


def test_empty_foreign_folder_is_used(tmp_path):
    target = tmp_path / "empty"
    target.mkdir()
    ReportFolder(target).check()
    ReportFolder(target).write(files(report_dot_md="x"))
    assert sorted(os.listdir(target)) == [MARKER, "report.md"]


def test_links_inside_the_old_folder_are_not_followed(old_report, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("victim")
    victim_dir = tmp_path / "victim_dir"
    victim_dir.mkdir()
    (victim_dir / "keep.txt").write_text("keep")
    (old_report / "report.md").unlink()
    (old_report / "report.md").symlink_to(os.path.join("..", "victim.txt"))
    (old_report / "figures").symlink_to(victim_dir)
    ReportFolder(old_report).write(files(report_dot_md="new report\n"))
    assert victim.read_text() == "victim"
    assert snapshot(victim_dir) == {"keep.txt": ("file", b"keep")}  # rmtree did not follow
    md = old_report / "report.md"
    assert not md.is_symlink() and md.read_text(encoding="utf-8") == "new report\n"
    assert sorted(os.listdir(old_report)) == [MARKER, "report.md"]


@pytest.mark.parametrize("suffix", ["", "/"])
def test_target_symlink_is_refused(tmp_path, suffix):
    real = tmp_path / "real"
    ReportFolder(real).write(files(report_dot_md="x"))
    (tmp_path / "link").symlink_to(real)
    shown = f"{tmp_path / 'link'}{suffix}"
    with pytest.raises(InputError) as info:
        ReportFolder(shown).check()
    assert str(info.value).startswith(f"the report folder {shown} is a symbolic link;")
    assert sorted(os.listdir(real)) == [MARKER, "report.md"]


def test_target_file_is_refused(tmp_path):
    target = tmp_path / "rep"
    target.write_text("a file")
    with pytest.raises(InputError) as info:
        ReportFolder(target).check()
    assert str(info.value) == (f"the report folder {target} exists and is not a folder; "
                               "choose another --output")
    assert target.read_text() == "a file"


def test_parent_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match=f"{tmp_path / 'file'} is not a folder"):
        ReportFolder(tmp_path / "file" / "sub" / "rep").check()


def test_missing_parents_are_checked_not_made(tmp_path):
    ReportFolder(tmp_path / "a" / "b" / "rep").check()
    assert os.listdir(tmp_path) == []


def test_parent_not_writable_is_refused(tmp_path, monkeypatch):
    parent = tmp_path / "locked"
    parent.mkdir()
    if ROOT:  # root ignores permission bits: make os.access say what it would say
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw:
                            False if os.fspath(p) == str(parent) else real_access(p, mode, **kw))
    else:
        parent.chmod(0o500)
    try:
        for target in (parent / "rep", parent / "new" / "rep"):
            with pytest.raises(InputError) as info:
                ReportFolder(target).check()
            assert str(info.value) == (f"cannot create the report folder {target}: {parent} "
                                       "is not writable; choose another --output")
        assert os.listdir(parent) == []
    finally:
        parent.chmod(0o700)


def test_failing_probe_is_refused(tmp_path, monkeypatch):
    # What os.access misses (a read-only file system, say) the probe folder finds.
    def mkdtemp(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")
    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    with pytest.raises(InputError, match=r"cannot write in .* \(Read-only file system\)"):
        ReportFolder(tmp_path / "rep").check()
    assert os.listdir(tmp_path) == []


def test_current_folder_and_its_ancestors_are_refused(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    with pytest.raises(InputError) as info:
        ReportFolder(".").check()
    assert str(info.value) == ("cannot use . as the report folder: it is the current folder, "
                               "which sknet would have to replace; choose another --output")
    for path in ("..", str(tmp_path), "/"):
        with pytest.raises(InputError, match="a folder containing the current folder"):
            ReportFolder(path, overwrite=True).check()
    assert os.listdir(work) == []


def test_home_folder_is_refused(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(InputError, match="it is your home folder"):
        ReportFolder(home, overwrite=True).check()


def test_empty_path_is_refused():
    with pytest.raises(InputError, match="the report folder path is empty"):
        ReportFolder("")


def test_full_disk_leaves_the_old_report_intact(old_report, tmp_path):
    before = snapshot(old_report)

    def writer(tmp):
        write_text(tmp, "report.md", "half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(InputError) as info:
        ReportFolder(old_report).write(writer)
    assert str(info.value) == f"cannot write the report folder {old_report}: No space left on device"
    assert isinstance(info.value.__cause__, OSError)
    assert info.value.__cause__.errno == errno.ENOSPC
    assert snapshot(old_report) == before
    assert os.listdir(tmp_path) == ["rep"]


def test_failure_removes_the_parents_it_made(tmp_path):
    def writer(tmp):
        raise OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(InputError, match="No space left on device"):
        ReportFolder(tmp_path / "a" / "b" / "rep").write(writer)
    assert os.listdir(tmp_path) == []


def test_interrupt_leaves_the_old_report_intact(old_report, tmp_path):
    before = snapshot(old_report)

    def writer(tmp):
        write_text(tmp, "report.md", "half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ReportFolder(old_report).write(writer)
    assert snapshot(old_report) == before
    assert os.listdir(tmp_path) == ["rep"]


def test_other_errors_pass_through_unchanged(tmp_path):
    error = RuntimeError("boom")

    def writer(tmp):
        raise error

    with pytest.raises(RuntimeError) as info:
        ReportFolder(tmp_path / "rep").write(writer)
    assert info.value is error
    assert os.listdir(tmp_path) == []


def failing_rename(monkeypatch, fail_on):
    """Make os.rename fail (EIO) on the calls numbered in ``fail_on`` (1-based)."""
    real_rename, calls = os.rename, []

    def rename(src, dst, **kwargs):
        calls.append((src, dst))
        if len(calls) in fail_on:
            raise OSError(errno.EIO, "Input/output error")
        return real_rename(src, dst, **kwargs)

    monkeypatch.setattr(os, "rename", rename)
    return calls


def test_failed_swap_restores_the_old_folder(old_report, tmp_path, monkeypatch):
    before = snapshot(old_report)
    calls = failing_rename(monkeypatch, fail_on={2})  # 1: old -> backup, 2: new -> target
    with pytest.raises(InputError) as info:
        ReportFolder(old_report).write(files(report_dot_md="new"))
    assert str(info.value) == f"cannot write the report folder {old_report}: Input/output error"
    assert len(calls) == 3 and calls[2] == (calls[0][1], calls[0][0])  # 3: backup -> target
    assert snapshot(old_report) == before
    assert os.listdir(tmp_path) == ["rep"]


def test_failed_restore_says_where_the_old_folder_is(old_report, tmp_path, monkeypatch):
    before = snapshot(old_report)
    calls = failing_rename(monkeypatch, fail_on={2, 3})
    with pytest.raises(InputError) as info:
        ReportFolder(old_report).write(files(report_dot_md="new"))
    backup = calls[0][1]
    assert str(info.value) == (f"cannot write the report folder {old_report}: Input/output "
                               f"error; the previous report folder is kept at {backup}")
    assert snapshot(backup) == before
    assert os.listdir(tmp_path) == [os.path.basename(backup)]  # the new folder is removed


def test_target_changed_during_writing_is_refused(tmp_path):
    target = tmp_path / "rep"

    def writer(tmp):
        write_text(tmp, "report.md", "x")
        target.mkdir()  # someone else puts their files there meanwhile
        (target / "theirs.txt").write_text("theirs")

    with pytest.raises(InputError, match="not made by sknet"):
        ReportFolder(target).write(writer)
    assert snapshot(target) == {"theirs.txt": ("file", b"theirs")}
    assert os.listdir(tmp_path) == ["rep"]


@pytest.mark.parametrize("name", ["../x", "a/b", "/abs", ".", "..", ""])
def test_write_text_refuses_paths(tmp_path, name):
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(ValueError, match="not a plain file name"):
        write_text(folder, name, "x")
    with pytest.raises(ValueError, match="not a plain file name"):
        write_bytes(folder, name, b"x")
    assert snapshot(tmp_path) == {"folder": "dir"}


def test_write_text_never_overwrites_or_follows(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("victim")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "existing.md").write_text("old")
    (folder / "link.md").symlink_to(victim)
    (folder / "dangling.md").symlink_to(tmp_path / "nowhere.txt")
    for name in ("existing.md", "link.md", "dangling.md"):
        with pytest.raises(FileExistsError):
            write_text(folder, name, "new")
        with pytest.raises(FileExistsError):
            write_bytes(folder, name, b"new")
    assert (folder / "existing.md").read_text() == "old"
    assert victim.read_text() == "victim"
    assert not (tmp_path / "nowhere.txt").exists()


def test_writer_writing_the_marker_itself_fails_cleanly(tmp_path):
    with pytest.raises(InputError, match="File exists"):
        ReportFolder(tmp_path / "rep").write(lambda tmp: write_text(tmp, MARKER, "mine"))
    assert os.listdir(tmp_path) == []
