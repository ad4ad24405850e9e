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
    assert {"report.json", "report.md", "model.joblib"} <= {p.name for p in out_dir.iterdir()}
    report = json.loads((out_dir / "report.json").read_text())
    assert report["data"]["name"] == "digits"
    assert report["split"] == {"n_train": 1437, "n_test": 360, "stratified": True,
                               "test_size": 0.2}
    for key in ("sanity_checks", "lr_finder", "search", "final_model", "test"):
        assert key in report
    # init='auto' starts the default network at the no-information loss
    assert report["sanity_checks"]["initial_loss"]["verdict"] == "OK"
    assert report["search"]["n_fits"] == 6
    assert report["test"]["accuracy"] > 0.9  # 0.956 measured; chance is 0.1
    # figures: matplotlib is a test dependency
    assert {"lr_finder.png", "search.png", "loss_curve.png", "confusion_matrix.png"} <= set(
        report["figures"]
    )
    for name in report["figures"]:
        assert (out_dir / name).stat().st_size > 0
    model = joblib.load(out_dir / "model.joblib")
    assert model.predict(np.zeros((1, 64))).shape == (1,)
    assert "TEST ACCURACY" in out
    assert "Test accuracy" in (out_dir / "report.md").read_text()


def test_progress_is_printed_stage_by_stage(tmp_path, capsys):
    argv = [a for a in FAST if a != "--quiet"]
    status, out, _ = _run(capsys, "recipe", "iris", "--output", str(tmp_path), "--no-figures",
                          *argv)
    assert status == 0
    for i in range(1, 9):
        assert f"[{i}/8]" in out
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
    assert "r2" in report["test"]


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
    nan_rows = [list(r) for r in rows]
    nan_rows[5][1] = "nan"
    text_rows = [list(r) for r in rows]
    text_rows[3][0] = "red"
    one_class = [[*x, 1] for x in X]
    np.savez(tmp_path / "no_y.npz", X=X, target=y)
    return {
        "missing file": ([str(tmp_path / "nope.csv")], "no such file"),
        "unknown target": (
            [str(_csv(tmp_path / "ok.csv", header, rows)), "--target", "label"],
            "no column named 'label'",
        ),
        "non-numeric": (
            [str(_csv(tmp_path / "text.csv", header, text_rows))], "non-numeric value 'red'"
        ),
        "nan": ([str(_csv(tmp_path / "nan.csv", header, nan_rows))], "missing or infinite"),
        "empty cell": (
            [str(_csv(tmp_path / "empty.csv", header,
                      [r if i != 7 else [r[0], "", r[2], r[3]] for i, r in enumerate(rows)]))],
            "missing or infinite",
        ),
        "single class": (
            [str(_csv(tmp_path / "one.csv", header, one_class))], "single class"
        ),
        "npz without the target array": ([str(tmp_path / "no_y.npz")], "no array named 'y'"),
        "unknown data set": (["mnist"], "not a built-in data set"),
    }


@pytest.mark.parametrize(
    "case",
    ["missing file", "unknown target", "non-numeric", "nan", "empty cell", "single class",
     "npz without the target array", "unknown data set"],
)
def test_bad_input_is_a_clear_error(case, tmp_path, capsys):
    argv, expected = _bad_input_cases(tmp_path)[case]
    status, out, err = _run(capsys, "recipe", *argv, "--output", str(tmp_path / "out"), *FAST)
    assert status == 2
    assert "Traceback" not in err and "Traceback" not in out
    assert err.startswith("sknet recipe: error: ")
    assert expected in err
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
