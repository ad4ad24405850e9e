"""Reading a user's table (sknet.recipe.tables) and planning its columns
(sknet.recipe.columns): formats, guesses, errors, kinds, and a pipeline
that trains and predicts on raw rows."""

import bz2
import gzip
import importlib.resources
import importlib.util
import json
import lzma
import pickle
import warnings
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import sknet
from sknet.recipe import tables
from sknet.recipe.columns import MISSING_LEVEL, ColumnPlan, plan_columns
from sknet.recipe.errors import InputError
from sknet.recipe.tables import read_table


def assert_one_line(message):
    assert "\n" not in message and "\r" not in message
    assert "np." not in message and "numpy" not in message


def error_of(call, *args, **kwargs):
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert_one_line(message)
    return message


def write(path, content, encoding="utf-8"):
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


@pytest.fixture(scope="module")
def penguins():
    pytest.importorskip("palmerpenguins")
    resource = importlib.resources.files("palmerpenguins") / "data" / "penguins.csv"
    with importlib.resources.as_file(resource) as path:
        return read_table(path)


# --- read_table: what is read ----------------------------------------------

def test_penguins_as_shipped(penguins):
    frame, info = penguins
    assert frame.shape == (344, 8)
    assert list(frame.columns) == [
        "species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm",
        "body_mass_g", "sex", "year",
    ]
    # "NA" is missing: 2 penguins were not measured, 11 not sexed.
    assert frame.isna().sum().to_dict() == {
        "species": 0, "island": 0, "bill_length_mm": 2, "bill_depth_mm": 2,
        "flipper_length_mm": 2, "body_mass_g": 2, "sex": 11, "year": 0,
    }
    assert frame["bill_length_mm"].dtype == np.float64
    assert frame["bill_length_mm"].iloc[0] == 39.1
    assert set(frame["species"]) == {"Adelie", "Chinstrap", "Gentoo"}
    assert info == {
        "format": "csv", "separator": ",", "encoding": "utf-8", "compression": None,
        "decimal": ".", "decimal_comma_columns": [], "header": True,
        "n_rows": 344, "n_columns": 8,
    }
    json.dumps(info)


def test_semicolon_and_decimal_comma(tmp_path):
    path = write(tmp_path / "preise.csv",
                 "Stadt;Preis;Menge;Notiz;Anzahl\n"
                 "Zürich;3,5;1.234,5;a,b;1\n"
                 "Bern;?;2;c;2\n"
                 "Genève;-4,25;3,25;d,e;3\n")
    frame, info = read_table(path)
    assert info["separator"] == ";" and info["decimal"] == ","
    assert info["decimal_comma_columns"] == ["Preis", "Menge"]
    np.testing.assert_array_equal(frame["Preis"], [3.5, np.nan, -4.25])
    np.testing.assert_array_equal(frame["Menge"], [1234.5, 2.0, 3.25])
    # Text holding commas that are not numbers stays text.
    assert frame["Notiz"].tolist() == ["a,b", "c", "d,e"]
    assert frame["Anzahl"].tolist() == [1, 2, 3]


def test_comma_separated_file_keeps_dot_decimals(tmp_path):
    frame, info = read_table(write(tmp_path / "t.csv", "a,b\n1.5,x\n2.25,y\n"))
    assert info["decimal"] == "." and info["separator"] == ","
    assert frame["a"].tolist() == [1.5, 2.25]


def test_latin1_and_cp1252(tmp_path):
    path = write(tmp_path / "cities.csv", "city;n\nZürich;1\nMünchen;2\n", encoding="latin-1")
    frame, info = read_table(path)
    assert frame["city"].tolist() == ["Zürich", "München"]
    # Windows-1252 is tried first; it agrees with latin-1 on every letter.
    assert info["encoding"] == "cp1252"
    # Byte 0x81 is undefined in Windows-1252: only latin-1 decodes it.
    frame, info = read_table(write(tmp_path / "odd.csv", b"name,n\nA\x81B,1\nC,2\n"))
    assert info["encoding"] == "latin-1"
    assert frame["name"].tolist() == ["A\x81B", "C"]


def test_utf8_byte_order_mark_is_not_part_of_the_first_name(tmp_path):
    frame, info = read_table(write(tmp_path / "bom.csv", "\ufeffcity,n\nZürich,1\n"))
    assert list(frame.columns) == ["city", "n"]
    assert info["encoding"] == "utf-8"
    assert frame["city"].tolist() == ["Zürich"]


def test_utf16_with_byte_order_mark(tmp_path):
    path = write(tmp_path / "excel.txt", "a\tb\nZürich\t1\n", encoding="utf-16")
    frame, info = read_table(path)
    assert info["encoding"] == "utf-16" and info["separator"] == "\t"
    assert frame.to_dict("list") == {"a": ["Zürich"], "b": [1]}


@pytest.mark.parametrize("suffix, opener, compression", [
    (".csv.gz", gzip.open, "gzip"),
    (".csv.bz2", bz2.open, "bz2"),
    (".tsv.xz", lzma.open, "xz"),
    (".data.zip", None, "zip"),
])
def test_compressed(tmp_path, suffix, opener, compression):
    sep = "\t" if ".tsv" in suffix else ","
    text = f"x{sep}label\n1.5{sep}a\n2.5{sep}b\n"
    path = tmp_path / f"table{suffix}"
    if opener is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("table.data", text)
    else:
        with opener(path, "wt") as handle:
            handle.write(text)
    frame, info = read_table(path)
    assert info["compression"] == compression and info["separator"] == sep
    assert frame.to_dict("list") == {"x": [1.5, 2.5], "label": ["a", "b"]}


def test_zstd_without_zstandard_says_what_to_install(tmp_path):
    if importlib.util.find_spec("zstandard") is not None:
        pytest.skip("zstandard is installed")
    import sys
    if sys.version_info >= (3, 14):
        pytest.skip("Python 3.14 reads zstd itself")
    message = error_of(read_table, write(tmp_path / "t.csv.zst", b"(\xb5/\xfd garbage"))
    assert "t.csv.zst" in message and "pip install zstandard" in message


def test_zip_with_two_members_is_refused(tmp_path):
    path = tmp_path / "two.csv.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "a\n1\n")
        archive.writestr("b.csv", "b\n2\n")
    assert "holds 2 files" in error_of(read_table, path)


def test_corrupt_gzip(tmp_path):
    message = error_of(read_table, write(tmp_path / "t.csv.gz", b"not gzip at all"))
    assert "t.csv.gz" in message and "decompressed as gzip" in message


def test_tsv_prefers_tab(tmp_path):
    # Each line also holds exactly one comma, but the file is tab-separated.
    frame, info = read_table(write(tmp_path / "t.tsv", "a,1\tb\nx,2\t3\ny,4\t5\n"))
    assert info["separator"] == "\t"
    assert frame.to_dict("list") == {"a,1": ["x,2", "y,4"], "b": [3, 5]}


def test_quoted_fields_hold_the_separator(tmp_path):
    path = write(tmp_path / "q.csv",
                 'name,comment,n\n"Smith, J","said ""hi""; left",1\n"Doe, A","a|b",2\n')
    frame, info = read_table(path)
    assert info["separator"] == ","
    assert frame.to_dict("list") == {
        "name": ["Smith, J", "Doe, A"], "comment": ['said "hi"; left', "a|b"], "n": [1, 2],
    }


def test_pipe_separated(tmp_path):
    frame, info = read_table(write(tmp_path / "p.txt", "a|b\n1|x\n2|y\n"))
    assert info["separator"] == "|"
    assert frame.to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}


def test_missing_markers_and_whitespace(tmp_path):
    path = write(tmp_path / "m.csv",
                 " a , b ,c,d\n 1 , x ,?,NaN\nNA, y ,null,\n? ,  ,3, N/A \n")
    frame, info = read_table(path)
    assert list(frame.columns) == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(frame["a"], [1.0, np.nan, np.nan])
    assert frame["b"].tolist()[:2] == ["x", "y"] and pd.isna(frame["b"].iloc[2])
    np.testing.assert_array_equal(frame["c"], [np.nan, np.nan, 3.0])
    assert frame["d"].isna().all()


def test_headerless_uci_data(tmp_path):
    path = write(tmp_path / "iris.data",
                 "5.1,3.5,1.4,0.2,Iris-setosa\n4.9,3.0,1.4,0.2,Iris-setosa\n"
                 "7.0,3.2,4.7,1.4,Iris-versicolor\n")
    frame, info = read_table(path)
    assert info["header"] is False
    assert list(frame.columns) == [f"column_{k}" for k in range(1, 6)]
    assert len(frame) == 3 and frame["column_1"].tolist() == [5.1, 4.9, 7.0]
    assert frame["column_5"].tolist()[0] == "Iris-setosa"


def test_header_of_names_over_numbers_is_a_header(tmp_path):
    frame, info = read_table(write(tmp_path / "t.csv", "2001,label\n1.5,a\n2.5,b\n"))
    # "label" sits above text, so it tells nothing; "2001" above numbers does.
    assert info["header"] is False
    frame, info = read_table(write(tmp_path / "u.csv", "x,2001\n1.5,3\n2.5,4\n"))
    assert info["header"] is True and list(frame.columns) == ["x", "2001"]


def test_whitespace_separated(tmp_path):
    frame, info = read_table(write(tmp_path / "w.data", "a b  c\n1 2 3\n4   5 6\n"))
    assert info["separator"] == "whitespace"
    assert frame.to_dict("list") == {"a": [1, 4], "b": [2, 5], "c": [3, 6]}


def test_blank_names_and_trailing_separators(tmp_path):
    frame, _ = read_table(write(tmp_path / "b.csv", "a,,c,\n1,2,3,\n4,5,6,\n"))
    assert list(frame.columns) == ["a", "column_2", "c", "column_4"]
    assert frame["column_2"].tolist() == [2, 5]
    assert frame["column_4"].isna().all()


def test_parquet_round_trip(tmp_path):
    pytest.importorskip("pyarrow")
    expected = pd.DataFrame({"x": [1.5, None], "name": [" a ", "?"]})
    expected.to_parquet(tmp_path / "t.parquet")
    frame, info = read_table(tmp_path / "t.parquet")
    assert info["format"] == "parquet" and info["n_rows"] == 2
    np.testing.assert_array_equal(frame["x"], [1.5, np.nan])
    assert frame["name"].iloc[0] == "a" and pd.isna(frame["name"].iloc[1])


def test_parquet_without_an_engine_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "_has_parquet_engine", lambda: False)
    message = error_of(read_table, write(tmp_path / "t.parquet", b"PAR1 whatever PAR1"))
    assert "t.parquet" in message and "pip install pyarrow" in message


# --- read_table: what is refused --------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06"


@pytest.mark.parametrize("name, content, expected", [
    ("empty.csv", b"", ["empty.csv", "empty"]),
    ("blank.csv", "\n  \n\n", ["blank.csv", "empty"]),
    ("header.csv", "a,b,c\n", ["header.csv", "header line but no data rows"]),
    ("ragged.csv", "a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n",
     ["ragged.csv", "line 4 has 4 fields", "header line has 3"]),
    ("ragged_first.csv", "a,b,c\n1,2,3,4\n5,6,7,8\n", ["line 2 has 4 fields"]),
    ("ragged_late.csv", "a,b,c\n1,2,3,\n4,5,6,7\n", ["line 3 has 4 fields"]),
    ("dup.csv", "y,x,y, x ,z\n1,2,3,4,5\n",
     ["dup.csv", "duplicated column names", "'y' (columns 1, 3)", "'x' (columns 2, 4)"]),
    ("image.csv", PNG, ["image.csv", "not a text table"]),
    ("book.csv", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", ["not a text table",
                                                                      "Excel"]),
    ("controls.csv", b"a,b\n" + b"\x01\x02\x03\x04\x05\x06" * 50, ["not a text table"]),
    ("table.xlsx", "a,b\n1,2\n", ["table.xlsx", "unsupported file type", "export it as CSV",
                                  ".csv", ".parquet"]),
    ("table.json", "{}", ["table.json", "unsupported file type (.json)", ".tsv"]),
    ("table.npz", b"PK", ["unsupported file type (.npz)"]),
    ("noextension", "a\n1\n", ["unsupported file type (no extension)"]),
    ("table.parquet.gz", b"x", ["unsupported file type (.parquet.gz)"]),
])
def test_refused(tmp_path, name, content, expected):
    message = error_of(read_table, write(tmp_path / name, content))
    for part in expected:
        assert part in message


def test_no_such_file_and_folder(tmp_path):
    message = error_of(read_table, tmp_path / "absent.csv")
    assert "absent.csv" in message and "no such file" in message
    (tmp_path / "folder.csv").mkdir()
    message = error_of(read_table, tmp_path / "folder.csv")
    assert "folder.csv" in message and "folder" in message.split(":", 1)[1]


def test_unclosed_quote_is_refused(tmp_path):
    message = error_of(read_table, write(tmp_path / "q.csv", 'a,b\n"x,1\n2,3\n'))
    assert "q.csv" in message and "quoted field is never closed" in message


# --- plan_columns -----------------------------------------------------------

def kinds(plans):
    return {p.name: (p.kind, p.kept) for p in plans}


def test_penguins_plan(penguins):
    frame, _ = penguins
    X = frame.drop(columns="species")
    transformer, plans = plan_columns(X)
    assert isinstance(transformer, ColumnTransformer)
    assert kinds(plans) == {
        "island": ("categorical", True), "sex": ("categorical", True),
        "bill_length_mm": ("numeric", True), "bill_depth_mm": ("numeric", True),
        "flipper_length_mm": ("numeric", True), "body_mass_g": ("numeric", True),
        "year": ("numeric", True),
    }
    by_name = {p.name: p for p in plans}
    assert by_name["bill_length_mm"].n_missing == 2
    assert "median" in by_name["bill_length_mm"].treatment
    assert "indicator" in by_name["bill_length_mm"].treatment
    assert by_name["year"].treatment == "numeric"
    assert by_name["island"].treatment == "one-hot (3 levels)"
    assert by_name["sex"].n_unique == 2 and by_name["sex"].n_missing == 11
    assert "11 missing" in by_name["sex"].treatment
    Z = transformer.fit_transform(X)
    # 5 numeric + 4 missing indicators + 3 islands + (female, male, missing)
    assert Z.shape == (344, 15) and Z.dtype == np.float64 and np.isfinite(Z).all()
    names = list(transformer.get_feature_names_out())
    assert f"categorical__sex_{MISSING_LEVEL}" in names
    assert "numeric__missingindicator_body_mass_g" in names
    assert "numeric__missingindicator_year" not in names
    json.dumps([p.to_dict() for p in plans])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_penguins_pipeline_trains_pickles_and_predicts_raw_rows(penguins, tmp_path):
    frame, _ = penguins
    X, y = frame.drop(columns="species"), frame["species"]
    transformer, _ = plan_columns(X)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    pipeline = Pipeline([
        ("columns", transformer), ("scale", StandardScaler()),
        ("mlp", sknet.MLPClassifier(hidden_layer_sizes=(16,), max_iter=100, random_state=0)),
    ])
    pipeline.fit(X_train, y_train)
    # Chance is 44% (the Adelie share); the species are nearly separable.
    assert pipeline.score(X_test, y_test) > 0.9

    joblib.dump(pipeline, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    expected = pipeline.predict(X_test)
    np.testing.assert_array_equal(loaded.predict(X_test), expected)
    # Raw rows as a caller builds them: plain Python objects, no dtypes.
    records = pd.DataFrame(X_test.to_dict("records"))
    np.testing.assert_array_equal(loaded.predict(records), expected)

    odd = X_test.iloc[:2].copy()
    odd["island"] = ["Atlantis", "Biscoe"]
    odd["sex"] = [None, "unknown"]
    odd["bill_length_mm"] = np.nan
    odd["year"] = [np.nan, np.inf]  # no year was missing at fit
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = loaded.predict_proba(odd)
        predicted = loaded.predict(odd)
    assert np.isfinite(proba).all() and set(predicted) <= {"Adelie", "Chinstrap", "Gentoo"}


def make_table(n=300, seed=0):
    rng = np.random.default_rng(seed)
    days = pd.date_range("2020-01-01", periods=n, freq="D")
    mixed = rng.choice(np.array([1, "a", 2.5, "b"], dtype=object), n)
    X = pd.DataFrame({
        "when": pd.Series(days.strftime("%Y-%m-%d"), dtype=object),
        "stamp": pd.date_range("2021-06-01", periods=n, freq="h", tz="Europe/Zurich"),
        "customer": [f"C{k:05d}" for k in rng.permutation(n)],
        "row": np.arange(n),
        "PassengerId": rng.permutation(n) + 1000,
        "income": rng.permutation(n) * 37 + 10_000,
        "country": ["CH"] * n,
        # 25 cities of 10 people each, 50 of one: 75 levels.
        "city": rng.permutation([f"city{k // 10}" for k in range(250)]
                                + [f"village{k}" for k in range(n - 250)]),
        "flag": rng.random(n) < 0.5,
        "flag_na": pd.Series(rng.choice(np.array([True, False, None], dtype=object), n),
                             dtype=object),
        "nothing": [np.nan] * n,
        "mixed": pd.Series(list(mixed), dtype=object),
        "x": rng.normal(size=n),
        "count": rng.integers(0, 5, n),
        "garage": ["yes" if k % 3 else None for k in range(n)],
        "size": pd.Categorical(rng.choice(["S", "M", "L"], n)),
    })
    X.loc[5, "when"] = None
    X.loc[7, "x"] = np.inf
    return X


def test_generated_table_kinds():
    X = make_table()
    transformer, plans = plan_columns(X)
    assert kinds(plans) == {
        "when": ("date", True), "stamp": ("date", True),
        "customer": ("identifier", False), "row": ("identifier", False),
        "PassengerId": ("identifier", False),
        # Distinct integers neither in row order nor named like an ID: a measurement.
        "income": ("numeric", True),
        "country": ("constant", False), "city": ("categorical", True),
        "flag": ("boolean", True), "flag_na": ("boolean", True),
        "nothing": ("empty", False), "mixed": ("categorical", True),
        "x": ("numeric", True), "count": ("numeric", True),
        # One value and missing values: the missingness is kept.
        "garage": ("categorical", True), "size": ("categorical", True),
    }
    by_name = {p.name: p for p in plans}
    assert by_name["customer"].treatment.startswith("dropped: identifier-like")
    assert "in row order" in by_name["row"].treatment
    assert "named like an ID" in by_name["PassengerId"].treatment
    assert by_name["country"].treatment.startswith("dropped: constant")
    assert by_name["nothing"].treatment == "dropped: entirely missing"
    assert by_name["nothing"].n_missing == 300 and by_name["nothing"].n_unique == 0
    assert by_name["x"].n_missing == 1  # the infinity
    assert by_name["when"].n_missing == 1
    assert by_name["flag_na"].n_unique == 2
    assert "only whether it is missing informs" in by_name["garage"].treatment
    # 25 frequent levels are more than max_categories - 1: the 19 most frequent stay.
    assert by_name["city"].n_unique == 75
    assert by_name["city"].treatment == \
        "one-hot (75 levels; 56 rare grouped into one column: 20 columns)"

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Z = transformer.fit_transform(X)
    assert Z.dtype == np.float64 and np.isfinite(Z).all()
    names = list(transformer.get_feature_names_out())
    assert len(names) == Z.shape[1]
    assert not any(dropped in name for name in names
                   for dropped in ("customer", "__row", "PassengerId", "country", "nothing"))
    # High cardinality: max_categories (20) columns, the rare levels grouped.
    city_columns = [name for name in names if name.startswith("categorical__city_")]
    assert len(city_columns) == 20
    assert "categorical__city_infrequent_sklearn" in city_columns
    # Calendar parts of a known row: 2020-01-03 is a Friday (day_of_week 4).
    column = {name: Z[:, k] for k, name in enumerate(names)}
    assert [column[f"date__when_{part}"][2] for part in ("year", "month", "day", "day_of_week")] \
        == [2020, 1, 3, 4]
    assert "date__missingindicator_when_year" in names
    # The aware timestamps are taken in UTC: 2021-06-01 00:00 in Zurich is May 31st.
    assert column["date__stamp_month"][0] == 5 and column["date__stamp_day"][0] == 31
    assert set(column["categorical__flag_True"]) == {0.0, 1.0}


def test_generated_pipeline_predicts_rows_it_never_saw():
    X = make_table()
    transformer, _ = plan_columns(X)
    transformer = pickle.loads(pickle.dumps(transformer)).fit(X.iloc[:200])
    width = transformer.transform(X.iloc[:1]).shape[1]
    row = X.iloc[:1].copy().astype(object)
    row.loc[row.index[0], ["when", "city", "mixed", "x", "count", "flag", "size"]] = [
        "not a date", "Atlantis", 3, None, None, None, "XXL",
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Z = transformer.transform(row)
    assert Z.shape == (1, width) and np.isfinite(Z).all()


def test_indicator_only_where_the_training_part_had_missing_values():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, np.nan], "b": [1.0, np.nan, 3.0, 4.0]})
    transformer, plans = plan_columns(X)
    assert all("indicator" in p.treatment for p in plans)  # the whole table has missing
    transformer.fit(X.iloc[:3])  # where "a" has none
    assert list(transformer.get_feature_names_out()) == [
        "numeric__a", "numeric__b", "numeric__missingindicator_b",
    ]
    Z = transformer.transform(pd.DataFrame({"a": [np.nan], "b": [np.nan]}))
    np.testing.assert_array_equal(Z, [[2.0, 2.0, 1.0]])  # medians of the training part


def test_day_first_dates():
    X = pd.DataFrame({"d": ["02/01/2021", "25/12/2020", "13/03/2021", "01/02/2021"] * 5})
    transformer, plans = plan_columns(X)
    assert plans[0].kind == "date"
    Z = transformer.fit_transform(X)
    np.testing.assert_array_equal(Z[:4, :3], [[2021, 1, 2], [2020, 12, 25], [2021, 3, 13],
                                              [2021, 2, 1]])


def test_month_names_and_times_are_not_dates():
    X = pd.DataFrame({
        "month": ["Jan", "Feb", "Mar", "Apr"] * 10,
        "time": ["12:30", "08:15", "23:59", "00:00"] * 10,
    })
    _, plans = plan_columns(X)
    assert kinds(plans) == {"month": ("categorical", True), "time": ("categorical", True)}


def test_all_numeric_still_gets_a_transformer():
    X = pd.DataFrame({"a": [0.5, 1.5, 2.5], "b": [3, 1, 2]})
    transformer, plans = plan_columns(X)
    assert isinstance(transformer, ColumnTransformer)
    assert [p.treatment for p in plans] == ["numeric", "numeric"]
    np.testing.assert_array_equal(transformer.fit_transform(X), X.to_numpy(dtype=float))


def test_rare_levels_and_max_categories():
    X = pd.DataFrame({"c": ["a"] * 10 + ["b"] * 10 + ["c"] * 10 + ["d"] * 2 + ["e"]})
    transformer, plans = plan_columns(X, max_categories=3, min_frequency=5)
    assert plans[0].treatment == "one-hot (5 levels; 3 rare grouped into one column: 3 columns)"
    Z = transformer.fit_transform(X)
    assert Z.shape == (33, 3)
    # An unseen level counts as infrequent.
    unseen = transformer.transform(pd.DataFrame({"c": ["zzz"]}))
    np.testing.assert_array_equal(unseen, [[0.0, 0.0, 1.0]])


def test_nothing_kept_says_why():
    X = pd.DataFrame({"id": [f"u{k}" for k in range(30)], "k": [1] * 30, "e": [None] * 30})
    message = error_of(plan_columns, X)
    assert "no usable feature column" in message
    assert "'id' identifier-like" in message and "'k' constant" in message
    assert "'e' entirely missing" in message


@pytest.mark.parametrize("X, kwargs, expected", [
    (np.zeros((3, 2)), {}, "needs a pandas DataFrame, not ndarray"),
    (pd.DataFrame({0: [1.0, 2.0], "b": [1.0, 2.0]}), {}, "not: 0"),
    (pd.DataFrame([[1.0, 2.0]], columns=["a", "a"]), {}, "duplicated column names: a"),
    (pd.DataFrame({"a": []}), {}, "no rows"),
    (pd.DataFrame(index=range(3)), {}, "no feature columns"),
    (pd.DataFrame({"a": [1.0]}), {"max_categories": 1}, "max_categories"),
    (pd.DataFrame({"a": [1.0]}), {"min_frequency": 1.5}, "min_frequency"),
    (pd.DataFrame({"a": [1.0]}), {"min_frequency": np.int64(0)}, "not 0"),
])
def test_plan_refuses(X, kwargs, expected):
    assert expected in error_of(plan_columns, X, **kwargs)


def test_column_plan_to_dict_is_plain():
    plan = ColumnPlan(name="a", kind="numeric", treatment="numeric", n_missing=np.int64(2),
                      n_unique=np.int64(3), kept=np.bool_(True))
    as_dict = plan.to_dict()
    assert as_dict == {"name": "a", "kind": "numeric", "treatment": "numeric",
                       "n_missing": 2, "n_unique": 3, "kept": True}
    assert type(as_dict["n_missing"]) is int and type(as_dict["kept"]) is bool
    json.dumps(as_dict)


@pytest.mark.parametrize("qualname", [
    "sknet.recipe.tables.read_table", "sknet.recipe.columns.plan_columns",
    "sknet.recipe.columns.ColumnPlan", "sknet.recipe.columns.ColumnPlan.to_dict",
])
def test_docstrings(qualname):
    validate = pytest.importorskip("numpydoc.validate")
    checked = {"GL08", "PR01", "PR02", "PR03", "SS01", "SS03", "RT01"}
    errors = [
        f"{code}: {message}" for code, message in validate.validate(qualname)["errors"]
        if code in checked and not (code == "PR01" and qualname.endswith("ColumnPlan"))
    ]
    assert not errors, "; ".join(errors)
