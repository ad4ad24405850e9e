"""The report folder: checked before any work, written whole or not at all.

:class:`ReportFolder` checks the ``--output`` path before the recipe spends
an hour training (:meth:`ReportFolder.check`), then has everything written
into a fresh private folder created beside the target and swaps it in with
``os.rename`` (:meth:`ReportFolder.write`). The previous report, if any, is
replaced whole (none of its old figures survive) and only once the new one
is complete; on any failure the old folder is left as it was and nothing is
left behind. A symbolic link planted in an old report is never followed: the
new files go to a new folder and the old one is removed by
:func:`shutil.rmtree`, which unlinks links without following them.
:func:`write_text` and :func:`write_bytes` create a file that must not exist
yet and refuse to follow a link. Files written by other libraries
(``joblib.dump``, ``savefig``) may use plain ``open`` on a path inside the
temporary folder: the folder is new, made by :func:`tempfile.mkdtemp` with
mode 0o700, so nobody else can have put a link or a file there.
"""

import datetime
import errno
import json
import os
import secrets
import shutil
import stat
import tempfile
import warnings

from .errors import InputError

__all__ = ["MARKER", "ReportFolder", "write_bytes", "write_text"]

#: The file sknet writes into every report folder it makes (JSON: who made
#: it, the sknet version, when). A folder holding it may be replaced without
#: ``--overwrite``.
MARKER = ".sknet-report"

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_MARKER_MAX_BYTES = 65536
# Temporary names carry at most this much of the target's name, so that a
# long (but legal) name does not make them too long.
_NAME_IN_TEMP = 40


class ReportFolder:
    """A report folder that is checked up front and replaced atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The folder to write (``--output``). Relative paths are taken from the
        current folder; a trailing slash is ignored. Missing parent folders
        are created (as ``mkdir -p`` would) when the report is written.
    overwrite : bool, default=False
        Replace an existing non-empty folder that sknet did not make. A
        folder sknet made (it holds :data:`MARKER`) or an empty folder is
        replaced without it.

    Attributes
    ----------
    path : str
        The absolute path the report will have (symbolic links in the parent
        folders resolved, the last component kept as given).

    Raises
    ------
    InputError
        If ``path`` is empty or contains a NUL character.

    Notes
    -----
    Refused by :meth:`check`: a path that is a file or a symbolic link
    (even to a folder); a mount point; the current folder, the home folder
    or any folder containing either (they cannot be swapped away safely);
    a non-empty folder without :data:`MARKER` unless ``overwrite``; a parent
    that cannot be created or written in.

    The swap is two renames (old folder to a hidden backup name, new folder
    to the target): between them, for a moment, the target does not exist.
    The backup is then removed; if that fails (say, a read-only subfolder
    in a foreign folder replaced with ``overwrite``) the new report is in
    place and a ``UserWarning`` names the leftover.

    Examples
    --------
    >>> import os, tempfile
    >>> from sknet.recipe.output import ReportFolder, write_text
    >>> with tempfile.TemporaryDirectory() as parent:
    ...     folder = ReportFolder(os.path.join(parent, "report"))
    ...     folder.check()
    ...     path = folder.write(lambda tmp: write_text(tmp, "report.md", "# Report\\n"))
    ...     sorted(os.listdir(path))
    ['.sknet-report', 'report.md']
    """

    def __init__(self, path, *, overwrite=False):
        self.overwrite = overwrite
        self._shown = _display(path)
        parent, name = _locate(self._shown)
        self._parent, self._name = parent, name
        self.path = os.path.join(parent, name) if name else parent

    # ------------------------------------------------------------------
    # checks

    def check(self):
        """Raise :class:`InputError` if the report cannot be written here.

        Meant to be called before any work. Nothing is created or changed:
        the probe folder made to test the parent is removed again.

        Raises
        ------
        InputError
            If the path is a file or a symbolic link, a mount point, the
            current or home folder or one containing them, a non-empty
            folder sknet did not make (without ``overwrite``), or if its
            parent cannot be created or written in.
        """
        self._check_target()
        self._check_parent()

    def _check_target(self):
        shown, target = self._shown, self.path
        for where, what in ((_cwd(), "the current folder"),
                            (os.path.expanduser("~"), "your home folder")):
            if where and _contains(target, where):
                which = what if _same(target, where) else f"a folder containing {what}"
                raise InputError(
                    f"cannot use {shown} as the report folder: it is {which}, which "
                    "sknet would have to replace; choose another --output"
                )
        try:
            st = os.lstat(target)
        except (FileNotFoundError, NotADirectoryError):
            return  # a missing part of the parent is _check_parent's business
        except OSError as exc:
            raise InputError(f"cannot use the report folder {shown}: {_reason(exc)}") from exc
        if stat.S_ISLNK(st.st_mode):
            raise InputError(
                f"the report folder {shown} is a symbolic link; sknet does not write "
                "through links: give the real folder or choose another --output"
            )
        if not stat.S_ISDIR(st.st_mode):
            raise InputError(
                f"the report folder {shown} exists and is not a folder; "
                "choose another --output"
            )
        if os.path.ismount(target):
            raise InputError(
                f"the report folder {shown} is a mount point, which cannot be "
                "replaced; choose a folder inside it as --output"
            )
        try:
            entries = os.listdir(target)
        except OSError as exc:
            raise InputError(
                f"cannot read the report folder {shown}: {_reason(exc)}"
            ) from exc
        if entries and not self.overwrite and not _made_by_sknet(target):
            raise InputError(
                f"the report folder {shown} is not empty and was not made by sknet; "
                "pass --overwrite or choose another --output"
            )

    def _check_parent(self):
        shown = self._shown
        existing = self._parent
        while True:  # the nearest existing ancestor is where folders get made
            try:
                st = os.stat(existing)
                break
            except (FileNotFoundError, NotADirectoryError):
                up = os.path.dirname(existing)
                if up == existing:
                    raise InputError(f"cannot create the report folder {shown}: "
                                     "no part of its path exists") from None
                existing = up
            except OSError as exc:
                raise InputError(
                    f"cannot create the report folder {shown}: {existing}: {_reason(exc)}"
                ) from exc
        if not stat.S_ISDIR(st.st_mode):
            raise InputError(
                f"cannot create the report folder {shown}: {existing} is not a folder"
            )
        if not os.access(existing, os.W_OK | os.X_OK):
            raise InputError(
                f"cannot create the report folder {shown}: {existing} is not writable; "
                "choose another --output"
            )
        # os.access does not see read-only file systems, ACLs or quotas of
        # every kind: actually make (and remove) a folder there.
        try:
            probe = tempfile.mkdtemp(dir=existing, prefix=self._prefix("probe"))
            os.rmdir(probe)
        except OSError as exc:
            raise InputError(
                f"cannot create the report folder {shown}: cannot write in {existing} "
                f"({_reason(exc)}); choose another --output"
            ) from exc

    # ------------------------------------------------------------------
    # writing

    def write(self, writer):
        """Have ``writer`` fill a new folder, then swap it in place of the old.

        The checks of :meth:`check` run again first (and those on the target
        once more just before the swap). ``writer(tmp_dir)`` writes every
        file into ``tmp_dir``, a new private folder beside the target; then
        :data:`MARKER` is added, the folder gets the mode ``mkdir`` would
        give it (0o777 less the umask), every file in it is flushed to disk
        (``fsync``, so that a full disk or a failing network file system is
        reported here rather than found later as a truncated file) and it
        replaces the target by ``os.rename``.

        Parameters
        ----------
        writer : callable
            Called once as ``writer(tmp_dir)`` with the temporary folder's
            path (a str); must not write :data:`MARKER` itself.

        Returns
        -------
        path : str
            The absolute path of the written folder (:attr:`path`).

        Raises
        ------
        InputError
            If :meth:`check` fails, or on any ``OSError`` while writing or
            swapping (``"cannot write the report folder <path>: <reason>"``,
            chained from the original).
        BaseException
            Anything else raised by ``writer`` (``KeyboardInterrupt``
            included) is re-raised unchanged.

        Notes
        -----
        On any failure the temporary folder is removed, parent folders this
        call created are removed again, and the old target is left exactly
        as it was (renamed back if the swap was half done). Should even that
        rename fail, the message says where the old folder was kept.
        """
        self.check()
        parent, target = self._parent, self.path
        created, tmp, backup, moved_old = [], None, None, False
        try:
            created = _make_parents(parent)
            tmp = tempfile.mkdtemp(dir=parent, prefix=self._prefix("tmp"))
            writer(tmp)
            write_text(tmp, MARKER, _marker_text())
            os.chmod(tmp, _default_dir_mode(parent))
            _fsync_tree(tmp)
            self._check_target()  # it may have changed while the writer ran
            if os.path.lexists(target):
                # mkdtemp reserves a unique name; renaming a folder onto an
                # empty folder replaces it (POSIX).
                backup = tempfile.mkdtemp(dir=parent, prefix=self._prefix("old"))
                os.rename(target, backup)
                moved_old = True
            os.rename(tmp, target)
            tmp = None
        except BaseException as exc:
            kept = _undo(target, tmp, backup, moved_old, created)
            note = f"; the previous report folder is kept at {kept}" if kept else ""
            if isinstance(exc, OSError):
                raise InputError(
                    f"cannot write the report folder {self._shown}: {_reason(exc)}{note}"
                ) from exc
            if note:
                exc.add_note(note[2:])
            raise
        try:
            _fsync_dir(parent)  # make the rename itself durable
        except OSError:
            pass  # the report is in place; a failed flush of the entry changes nothing now
        if backup is not None:
            try:
                shutil.rmtree(backup)
            except OSError as exc:
                warnings.warn(
                    f"the report was written to {target}, but the previous folder, "
                    f"moved to {backup}, could not be removed: {_reason(exc)}",
                    UserWarning, stacklevel=2,
                )
        return target

    def _prefix(self, what):
        return f".{self._name[:_NAME_IN_TEMP]}.{what}-"

    def __repr__(self):
        return f"ReportFolder({self._shown!r}, overwrite={self.overwrite!r})"


# ----------------------------------------------------------------------
# files


def write_text(folder, name, text):
    """Create the file ``name`` in ``folder`` and write ``text`` (UTF-8) to it.

    The file must not exist yet: an existing file or symbolic link of that
    name is neither followed nor overwritten. The text is written as given
    (no newline translation). There is no ``fsync`` here:
    :meth:`ReportFolder.write` flushes the whole folder before the swap.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder (normally the ``tmp_dir`` given to a writer).
    name : str
        A plain file name: no path separator, not ``.`` or ``..``.
    text : str
        The content.

    Returns
    -------
    path : str
        The path of the written file.

    Raises
    ------
    ValueError
        If ``name`` is not a plain file name.
    FileExistsError
        If something of that name already exists.
    OSError
        If the file cannot be written (a partly written file is removed).

    Examples
    --------
    >>> import os, tempfile
    >>> from sknet.recipe.output import write_text
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_text(folder, "notes.txt", "hello\\n")
    ...     open(path, encoding="utf-8").read()
    'hello\\n'
    """
    return write_bytes(folder, name, text.encode("utf-8"))


def write_bytes(folder, name, data):
    """Create the file ``name`` in ``folder`` and write ``data`` to it.

    Opened with ``O_CREAT | O_EXCL | O_NOFOLLOW`` and mode 0o644 (less the
    umask): an existing file or symbolic link of that name is neither
    followed nor overwritten. There is no ``fsync`` here:
    :meth:`ReportFolder.write` flushes the whole folder before the swap.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder (normally the ``tmp_dir`` given to a writer).
    name : str
        A plain file name: no path separator, not ``.`` or ``..``.
    data : bytes-like
        The content.

    Returns
    -------
    path : str
        The path of the written file.

    Raises
    ------
    ValueError
        If ``name`` is not a plain file name.
    FileExistsError
        If something of that name already exists.
    OSError
        If the file cannot be written (a partly written file is removed).

    Examples
    --------
    >>> import os, tempfile
    >>> from sknet.recipe.output import write_bytes
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_bytes(folder, "data.bin", b"\\x00\\x01")
    ...     os.path.getsize(path)
    2
    """
    _check_name(name)
    path = os.path.join(os.fspath(folder), name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:  # closes fd, also on error
            f.write(data)
    except BaseException:
        try:
            os.unlink(path)  # ours: O_EXCL made it
        except OSError:
            pass
        raise
    return path


def _check_name(name):
    if not isinstance(name, str):
        raise TypeError(f"a report file name must be a str, not {type(name).__name__}")
    separators = [os.sep] + ([os.altsep] if os.altsep else [])
    if (name in ("", ".", "..") or "\0" in name
            or any(sep in name for sep in separators)):
        raise ValueError(
            f"{name!r} is not a plain file name (no path separators, not '.' or '..')"
        )


# ----------------------------------------------------------------------
# helpers


def _display(path):
    try:
        shown = os.fspath(path)
    except TypeError:
        raise InputError(
            f"the report folder must be a path, not {type(path).__name__}"
        ) from None
    if isinstance(shown, bytes):
        shown = os.fsdecode(shown)
    if not shown:
        raise InputError("the report folder path is empty; give a folder with --output")
    if "\0" in shown:
        raise InputError(f"the report folder path {shown!r} contains a NUL character")
    return shown


def _locate(shown):
    """``(parent, name)``: the parent resolved, the last component as given."""
    separators = os.sep + (os.altsep or "")
    stripped = shown.rstrip(separators) or shown  # "/" stays "/"
    head, name = os.path.split(stripped)
    if name in ("", os.curdir, os.pardir):
        # "." / ".." / "/" name no component of their own: resolve them.
        head, name = os.path.split(os.path.realpath(stripped))
    return os.path.realpath(head or os.curdir), name


def _cwd():
    try:
        return os.path.realpath(os.getcwd())
    except OSError:  # the current folder was removed
        return None


def _same(a, b):
    return os.path.normcase(a) == os.path.normcase(b)


def _contains(outer, inner):
    """Whether ``inner`` is ``outer`` or lies inside it (both resolved)."""
    inner = os.path.realpath(inner)
    try:
        return _same(os.path.commonpath([outer, inner]), outer)
    except ValueError:  # different drives
        return False


def _reason(exc):
    return exc.strerror or str(exc) or type(exc).__name__


def _made_by_sknet(folder):
    path = os.path.join(folder, MARKER)
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MARKER_MAX_BYTES:
            return False
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _BINARY)
        with os.fdopen(fd, "rb") as f:
            content = json.loads(f.read(_MARKER_MAX_BYTES).decode("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(content, dict) and content.get("made_by") == "sknet"


def _marker_text():
    from .. import __version__

    when = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    return json.dumps({"made_by": "sknet", "sknet_version": __version__, "written": when},
                      indent=2) + "\n"


def _make_parents(parent):
    """``mkdir -p parent``; returns the folders it made, outermost first."""
    missing = []
    path = parent
    while not os.path.isdir(path):
        missing.append(path)
        up = os.path.dirname(path)
        if up == path:
            break
        path = up
    created = []
    try:
        for path in reversed(missing):
            try:
                os.mkdir(path)
            except FileExistsError:
                if not os.path.isdir(path):
                    raise
                continue  # made meanwhile by someone else: not ours to remove
            created.append(path)
    except BaseException:
        _remove_empty(created)
        raise
    return created


def _remove_empty(created):
    for path in reversed(created):
        try:
            os.rmdir(path)
        except OSError:
            break


def _default_dir_mode(parent):
    """The mode ``mkdir`` gives a new folder here (0o777 less the umask).

    Found by making one: reading the umask with ``os.umask`` would change it
    for every thread for a moment.
    """
    for _ in range(100):
        probe = os.path.join(parent, f".sknet-mode-{secrets.token_hex(8)}")
        try:
            os.mkdir(probe, 0o777)
        except FileExistsError:
            continue
        try:
            return stat.S_IMODE(os.lstat(probe).st_mode)
        finally:
            os.rmdir(probe)
    raise FileExistsError(errno.EEXIST, "no free temporary name", parent)


def _fsync_tree(top):
    for dirpath, dirnames, filenames in os.walk(top):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not stat.S_ISREG(os.lstat(path).st_mode):
                continue  # a link a writer made: nothing of ours to flush
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _BINARY)
            try:
                _fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(dirpath)


def _fsync_dir(path):
    if os.name != "posix":  # folders cannot be opened on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        _fsync(fd)
    finally:
        os.close(fd)


def _fsync(fd):
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):  # fsync not supported here
            raise


def _undo(target, tmp, backup, moved_old, created):
    """Put things back after a failed write; returns where the old folder is
    stranded if it could not be put back, else None."""
    kept = None
    if moved_old:
        try:
            os.rename(backup, target)
        except OSError:
            kept = backup
    elif backup is not None:
        try:
            os.rmdir(backup)  # the empty placeholder mkdtemp made
        except OSError:
            pass
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    if kept is None:
        _remove_empty(created)
    return kept
