"""The ``sknet`` command: the recipe on tiny budgets, user files, and bad input."""

import json

import joblib
import numpy as np
import pytest

from sknet.cli import main

FAST = ["--budget-fits", "6", "--cv", "2", "--max-width", "16", "--max-depth", "1",
        "--max-iter", "20", "--n-jobs", "1", "--quiet"]


def _run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_default_dataset_writes_report_folder(tmp_path, capsys):
    out_dir = tmp_path / "report"
    status, out, err = _run(capsys, "recipe", "--output", str(out_dir), *FAST)
    assert status == 0, err
    assert "Traceback" not in err
    assert {"report.json", "report.md", "report.html", "model.joblib", ".sknet-report"} <= {
        p.name for p in out_dir.iterdir()}
    report = json.loads((out_dir / "report.json").read_text())
    assert report["data"]["name"] == "digits"
    assert report["split"] == {"n_train": 1437, "n_test": 360, "stratified": True,
                               "test_size": 0.2}
    for key in ("checks", "finder", "search", "final", "test"):
        assert key in report
    # init='auto' starts the default network at the no-information loss
    assert report["checks"]["initial_loss"]["verdict"] == "OK"
    assert report["search"]["n_fits"] == 6
    assert report["test"]["scoring"] == "accuracy"
    assert report["test"]["score"] > 0.9  # 0.956 measured; chance is 0.1
    # figures: matplotlib is a test dependency
    assert {"lr_finder.png", "search.png", "loss_curve.png", "confusion_matrix.png"} <= set(
        report["figures"]
    )
    for name in report["figures"]:
        assert (out_dir / name).stat().st_size > 0
    model = joblib.load(out_dir / "model.joblib")
    assert model.predict(np.zeros((1, 64))).shape == (1,)
    assert "TEST ACCURACY" in out
    assert "TEST ACCURACY" in (out_dir / "report.md").read_text()
    page = (out_dir / "report.html").read_text()
    assert page.count("data:image/png;base64,") == len(report["figures"])  # self-contained


def test_progress_is_printed_stage_by_stage(tmp_path, capsys):
    argv = [a for a in FAST if a != "--quiet"]
    status, out, _ = _run(capsys, "recipe", "iris", "--output", str(tmp_path), "--no-figures",
                          *argv)
    assert status == 0
    for i in range(1, 9):
        assert f"[{i}/8]" in out
    # the final fit is its own stage, timed as such (it showed "(0.00 s)")
    final_line = out.split("[7/8]")[1].split("[8/8]")[0]
    assert "epochs" in final_line
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["figures"] == [] and "--no-figures" in report["figures_note"]


def test_python_dash_m_entry_point():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "sknet", "--version"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.startswith("sknet ")


def _csv(path, header, rows):
    path.write_text("\n".join([",".join(header)] + [",".join(map(str, r)) for r in rows]) + "\n")
    return path


def _blobs(n=60, seed=0):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    X = rng.randn(n, 3) + 2.0 * y[:, None]
    return X, y


def test_csv_file_with_string_labels(tmp_path, capsys):
    X, y = _blobs()
    labels = np.where(y == 1, "yes", "no")
    path = _csv(tmp_path / "data.csv", ["a", "b", "label", "c"],
                [[*x[:2], lab, x[2]] for x, lab in zip(X, labels)])
    status, _, err = _run(capsys, "recipe", str(path), "--target", "label",
                          "--output", str(tmp_path / "out"), "--no-figures", *FAST)
    assert status == 0, err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["data"]["task"] == "classification"
    assert report["data"]["n_features"] == 3
    assert set(report["data"]["classes"]) == {"no", "yes"}
    # the saved model was fitted on the named columns and predicts raw rows
    import pandas as pd

    model = joblib.load(tmp_path / "out" / "model.joblib")
    rows = pd.DataFrame(X[:4, [0, 1, 2]], columns=["a", "b", "c"])
    assert set(model.predict(rows)) <= {"no", "yes"}


def test_csv_regression_target(tmp_path, capsys):
    rng = np.random.RandomState(0)
    X = rng.randn(80, 2)
    t = X[:, 0] - 0.5 * X[:, 1] + 0.01 * rng.randn(80)
    path = _csv(tmp_path / "reg.csv", ["x1", "x2", "target"],
                [[a, b, c] for (a, b), c in zip(X, t)])
    status, _, err = _run(capsys, "recipe", str(path), "--output", str(tmp_path / "out"),
                          "--no-figures", *FAST)
    assert status == 0, err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["data"]["task"] == "regression"
    assert report["test"]["scoring"] == "r2" and "r2" in report["test"]["metrics"]


def test_npz_file(tmp_path, capsys):
    X, y = _blobs()
    path = tmp_path / "data.npz"
    np.savez(path, X=X, labels=y)
    status, _, err = _run(capsys, "recipe", str(path), "--target", "labels",
                          "--output", str(tmp_path / "out"), "--no-figures", *FAST)
    assert status == 0, err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["data"]["n_samples"] == 60
    assert report["split"]["stratified"]


def _bad_input_cases(tmp_path):
    X, y = _blobs()
    rows = [[*x, lab] for x, lab in zip(X, y)]
    header = ["a", "b", "c", "target"]
    one_class = [[*x, 1] for x in X]
    np.savez(tmp_path / "no_y.npz", X=X, target=y)
    return {
        "missing file": ([str(tmp_path / "nope.csv")], "no such file"),
        "unknown target": (
            [str(_csv(tmp_path / "ok.csv", header, rows)), "--target", "label"],
            "no column named 'label'",
        ),
        "target named twice": (
            [str(_csv(tmp_path / "twice.csv", ["a", "target", "c", "target"], rows))],
            "'target'",
        ),
        "huge value": (
            [str(_csv(tmp_path / "huge.csv", header,
                      [r if i != 7 else [r[0], "1e300", r[2], r[3]] for i, r in enumerate(rows)]))],
            "too large to standardize",
        ),
        "infinite value": (
            [str(_csv(tmp_path / "inf.csv", header,
                      [r if i != 7 else [r[0], "inf", r[2], r[3]] for i, r in enumerate(rows)]))],
            "infinite value",
        ),
        "test size 0.99": ([str(_csv(tmp_path / "ok2.csv", header, rows)), "--test-size",
                            "0.99"], "too few"),
        "single class": (
            [str(_csv(tmp_path / "one.csv", header, one_class))], "single class"
        ),
        "npz without the target array": ([str(tmp_path / "no_y.npz")], "no array named 'y'"),
        "unknown data set": (["mnist"], "not a built-in data set"),
    }


@pytest.mark.parametrize(
    "case",
    ["missing file", "unknown target", "target named twice", "huge value", "infinite value",
     "test size 0.99", "single class", "npz without the target array", "unknown data set"],
)
def test_bad_input_is_a_clear_error(case, tmp_path, capsys):
    argv, expected = _bad_input_cases(tmp_path)[case]
    status, out, err = _run(capsys, "recipe", *argv, "--output", str(tmp_path / "out"), *FAST)
    assert status == 2
    assert "Traceback" not in err and "Traceback" not in out
    assert err.startswith("sknet recipe: error: ")
    assert expected in err
    assert err.count("\n") == 1 and "np." not in err and "NaN" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "argv",
    [[], ["recipe", "--budget-fits", "0"], ["recipe", "--budget-fits", "5"], ["recipe", "--whiten", "fancy"], ["frobnicate"]],
)
def test_usage_errors_exit_2(argv, capsys):
    status, _, err = _run(capsys, *argv)
    assert status == 2
    assert "Traceback" not in err and err.strip()


def test_ctrl_c_in_the_search_stops_the_recipe_with_status_130(tmp_path, capsys, monkeypatch):
    """An interrupted fit inside the recipe re-raises (sknet 0.1 swallowed it,
    scored the half-trained candidate and exited 0 a minute later): the
    command stops at once, exits 130 and writes no report."""
    import sknet.model_selection
    import sknet.optimizers

    searching, steps_after = [False], [0]
    real_fit, real_step = sknet.model_selection.CoarseToFineSearchCV.fit, sknet.optimizers.Adam.step

    def fit(self, *args, **kwargs):
        searching[0] = True
        return real_fit(self, *args, **kwargs)

    def step(self, *args, **kwargs):
        if searching[0]:
            steps_after[0] += 1
            if steps_after[0] == 3:
                raise KeyboardInterrupt
        return real_step(self, *args, **kwargs)

    monkeypatch.setattr(sknet.model_selection.CoarseToFineSearchCV, "fit", fit)
    monkeypatch.setattr(sknet.optimizers.Adam, "step", step)
    out_dir = tmp_path / "report"
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        status, _, err = _run(capsys, "recipe", "iris", "--output", str(out_dir), *FAST)
    assert status == 130 and "interrupted" in err
    assert steps_after[0] == 3  # no update after the interrupt
    assert not out_dir.exists()


# --------------------------------------------------------------------------
# real tables
# --------------------------------------------------------------------------


def _penguins_csv():
    resources = pytest.importorskip("importlib.resources")
    pytest.importorskip("palmerpenguins")
    return str(resources.files("palmerpenguins") / "data" / "penguins.csv")


def test_penguins_as_shipped_through_the_command(tmp_path, capsys):
    """Strings (species, island, sex) and NA values: sknet 0.2 stopped at
    'encode categories first'."""
    out_dir = tmp_path / "out"
    status, out, err = _run(capsys, "recipe", _penguins_csv(), "--target", "species",
                            "--output", str(out_dir), "--no-figures", *FAST)
    assert status == 0, err
    report = json.loads((out_dir / "report.json").read_text())
    kinds = {c["name"]: c["kind"] for c in report["data"]["columns"]}
    assert kinds["island"] == kinds["sex"] == "categorical"
    assert kinds["bill_length_mm"] == "numeric"
    missing = {c["name"]: c["n_missing"] for c in report["data"]["columns"]}
    assert missing["sex"] == 11 and missing["bill_length_mm"] == 2
    assert set(report["data"]["classes"]) == {"Adelie", "Chinstrap", "Gentoo"}
    assert report["test"]["score"] > 0.9
    import pandas as pd

    model = joblib.load(out_dir / "model.joblib")
    raw = pd.read_csv(_penguins_csv()).drop(columns="species")
    assert set(model.predict(raw.head(20))) <= {"Adelie", "Chinstrap", "Gentoo"}


@pytest.mark.parametrize("kind", ["semicolon", "latin-1", "gzip"])
def test_separators_encodings_and_compression(kind, tmp_path, capsys):
    import gzip

    X, y = _blobs()
    towns = np.where(y == 1, "Zürich", "Genève")
    lines = ["a;b;town;target" if kind == "semicolon" else "a,b,town,target"]
    for x, t, label in zip(X, towns, y):
        if kind == "semicolon":
            lines.append(f"{x[0]:.4f};{x[1]:.4f};{t};{label}".replace(".", ","))
        else:
            lines.append(f"{x[0]:.4f},{x[1]:.4f},{t},{label}")
    text = "\n".join(lines) + "\n"
    if kind == "gzip":
        path = tmp_path / "data.csv.gz"
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path = tmp_path / "data.csv"
        path.write_bytes(text.encode("latin-1" if kind == "latin-1" else "utf-8"))
    status, _, err = _run(capsys, "recipe", str(path), "--output", str(tmp_path / "out"),
                          "--no-figures", *FAST)
    assert status == 0, err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    kinds = {c["name"]: c["kind"] for c in report["data"]["columns"]}
    assert kinds == {"a": "numeric", "b": "numeric", "town": "categorical"}
    assert report["test"]["score"] > 0.9  # the town gives the label away


# --------------------------------------------------------------------------
# the report folder
# --------------------------------------------------------------------------


def test_a_foreign_non_empty_folder_is_refused_before_any_work(tmp_path, capsys):
    out_dir = tmp_path / "mine"
    out_dir.mkdir()
    (out_dir / "thesis.tex").write_text("precious")
    argv = [a for a in FAST if a != "--quiet"]
    status, out, err = _run(capsys, "recipe", "iris", "--output", str(out_dir), *argv)
    assert status == 2 and "--overwrite" in err and "[1/8]" not in out
    assert [p.name for p in out_dir.iterdir()] == ["thesis.tex"]
    status, _, err = _run(capsys, "recipe", "iris", "--output", str(out_dir), "--overwrite",
                          "--no-figures", *FAST)
    assert status == 0, err
    assert not (out_dir / "thesis.tex").exists() and (out_dir / "report.json").exists()


def test_a_report_folder_is_replaced_whole_and_its_symlinks_are_not_followed(tmp_path, capsys):
    out_dir = tmp_path / "rep"
    status, _, err = _run(capsys, "recipe", "iris", "--output", str(out_dir), *FAST)
    assert status == 0, err
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    (out_dir / "report.md").unlink()
    (out_dir / "report.md").symlink_to(victim)
    (out_dir / "old_figure.png").write_bytes(b"old")
    status, _, err = _run(capsys, "recipe", "iris", "--output", str(out_dir), "--no-figures",
                          *FAST)
    assert status == 0, err
    assert victim.read_text() == "untouched"
    assert not (out_dir / "report.md").is_symlink()
    assert "# sknet recipe" in (out_dir / "report.md").read_text()
    assert not (out_dir / "old_figure.png").exists()


def test_an_output_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "report"
    target.write_text("x")
    status, _, err = _run(capsys, "recipe", "iris", "--output", str(target), *FAST)
    assert status == 2 and str(target) in err and err.count("\n") == 1


def test_a_full_disk_leaves_no_half_report(tmp_path, capsys, monkeypatch):
    import errno

    import sknet.recipe.writers as writers

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writers, "html_page", full)
    out_dir = tmp_path / "rep"
    status, _, err = _run(capsys, "recipe", "iris", "--output", str(out_dir), "--no-figures",
                          *FAST)
    assert status == 2 and "No space left on device" in err
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------
# exit codes: never a traceback
# --------------------------------------------------------------------------


def test_an_internal_error_is_one_line_and_exit_1(tmp_path, capsys, monkeypatch):
    import sknet.recipe.stages as stages

    def broken(ctx):
        raise RuntimeError("something\nunexpected")

    monkeypatch.setattr(stages, "STAGES", stages.STAGES[:1] + (("split", "split", broken),))
    monkeypatch.setattr("sknet.recipe.run.STAGES", stages.STAGES)
    status, out, err = _run(capsys, "recipe", "iris", "--output", str(tmp_path / "o"), *FAST)
    assert status == 1 and "Traceback" not in err + out
    assert err == ("sknet recipe: internal error: RuntimeError: something unexpected (no "
                   "report written; SKNET_TRACEBACK=1 shows the traceback, please report "
                   "it)\n")
    assert not (tmp_path / "o").exists()


def test_a_failing_dask_cluster_is_exit_2(tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    from distributed.client import FutureCancelledError

    import sknet.model_selection

    def fit(self, *args, **kwargs):
        raise FutureCancelledError("key", "lost", "its data was already forgotten")

    monkeypatch.setattr(sknet.model_selection.CoarseToFineSearchCV, "fit", fit)
    status, _, err = _run(capsys, "recipe", "iris", "--output", str(tmp_path / "o"), *FAST)
    assert status == 2 and "the dask cluster failed (FutureCancelledError" in err
    assert err.count("\n") == 1


def test_a_search_in_which_every_fit_fails_falls_back_to_the_default_network(
        tmp_path, capsys, monkeypatch):
    """Every candidate fails (a negative alpha, refused by fit): the search
    records why and the recipe hands back the default network instead of
    scikit-learn's "All the N fits failed" traceback."""
    import sknet.recipe.stages as stages

    real_space = stages._space

    def broken_space(ctx):
        return {**real_space(ctx), f"{ctx.step}alpha": [-1.0]}

    monkeypatch.setattr(stages, "_space", broken_space)
    out_dir = tmp_path / "out"
    status, out, err = _run(capsys, "recipe", "iris", "--output", str(out_dir),
                            "--no-figures", *FAST)
    assert status == 0, err
    report = json.loads((out_dir / "report.json").read_text())
    s = report["search"]
    assert s["failure"].startswith("All 6 fits of the search (3 stages) failed")
    assert "InvalidParameterError" in s["failure"] and "alpha" in s["failure"]
    assert s["candidates"] == [] and s["n_failed"] == 3
    assert report["final"]["chosen"] == "default"
    assert "failed or diverged" in report["final"]["reason"]
    assert report["test"]["score"] > 0.6  # 20 epochs of the default network; chance is 1/3


def test_option_errors_are_one_line(capsys):
    for argv in (["recipe", "--test-size", "1.5"], ["recipe", "--whiten", "fancy"],
                 ["frobnicate"]):
        status, out, err = _run(capsys, *argv)
        assert status == 2 and out == ""
        assert err.count("\n") == 1 and "error:" in err and "--help" in err


def test_how_a_table_was_read_is_said(tmp_path, capsys):
    X, y = _blobs()
    lines = ["a;b;target"] + [f"{x[0]:.3f};{x[1]:.3f};{lab}".replace(".", ",")
                              for x, lab in zip(X, y)]
    path = tmp_path / "semi.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    argv = [a for a in FAST if a != "--quiet"]
    status, out, err = _run(capsys, "recipe", str(path), "--output", str(tmp_path / "o"),
                            "--no-figures", *argv)
    assert status == 0, err
    assert "read: csv, ';' separated, encoding utf-8" in out
    assert "decimal comma in 2 column(s)" in out
    assert "(read as csv, ';' separated" in (tmp_path / "o" / "report.md").read_text()
