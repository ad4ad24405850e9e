"""Reading the user's table: delimited text or parquet into a pandas DataFrame.

:func:`read_table` guesses what a person would (the separator, the encoding,
a decimal comma, whether the first line is a header) and refuses, in one line
naming the file and the problem, what it cannot read without guessing wrong:
binary files, ragged lines, duplicated column names. What it guessed is
returned beside the frame, as a JSON-able dict, so a report can say it.
"""

import bz2
import csv
import gzip
import importlib.util
import io
import lzma
import os
import re
import warnings
import zipfile
from pathlib import Path

import pandas as pd

from .errors import InputError

__all__ = ["read_table"]

TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".data")
COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zip": "zip", ".zst": "zstd"}
SEPARATORS = (",", ";", "\t", "|")

# pandas' default missing markers (read_csv's documented na_values) and the
# UCI repository's "?". Re-applied after stripping, so " NA " is missing too.
MISSING_MARKERS = frozenset({
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
    "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null", "?",
})

_SNIFF_CHARS = 65536
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
# A number written with a decimal comma, optionally with "." grouping thousands.
_DECIMAL_COMMA = re.compile(r"[+-]?(\d+|\d{1,3}(\.\d{3})+)(,\d+)?")
_PANDAS_LINE = re.compile(r"line (\d+), saw (\d+)")


def _supported():
    return ", ".join(TEXT_SUFFIXES + (".parquet",)) + " (text optionally compressed: " + \
        ", ".join(COMPRESSIONS) + ")"


def _split_suffix(path):
    """Return (base suffix, compression) of ``path``, lower-cased."""
    suffixes = [s.lower() for s in path.suffixes]
    compression = None
    if suffixes and suffixes[-1] in COMPRESSIONS:
        compression = COMPRESSIONS[suffixes.pop()]
    base = suffixes[-1] if suffixes else ""
    if base in TEXT_SUFFIXES or (base == ".parquet" and compression is None):
        return base, compression
    last = path.suffixes[-2:] if compression else path.suffixes[-1:]
    shown = "".join(last) or "no extension"
    hint = " (export it as CSV)" if base in (".xlsx", ".xls", ".ods") else ""
    raise InputError(
        f"{path}: unsupported file type ({shown}){hint}; supported: {_supported()}"
    )


def _zstd_decompress(raw, path):
    try:
        from compression import zstd  # Python 3.14
        return zstd.decompress(raw)
    except ImportError:
        pass
    try:
        import zstandard
    except ImportError:
        raise InputError(
            f"{path}: reading .zst files needs the zstandard package: pip install zstandard"
        ) from None
    return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw)).read()


def _read_bytes(path, compression):
    """The file's content, decompressed."""
    try:
        if compression == "zip":
            with zipfile.ZipFile(path) as archive:
                members = [
                    m for m in archive.infolist()
                    if not m.is_dir() and not m.filename.startswith("__MACOSX/")
                ]
                if len(members) != 1:
                    raise InputError(
                        f"{path}: the zip archive holds {len(members)} files; "
                        "it must hold exactly one table"
                    )
                return archive.read(members[0])
        opener = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}.get(compression, open)
        with opener(path, "rb") as handle:
            raw = handle.read()
        if compression == "zstd":
            raw = _zstd_decompress(raw, path)
        return raw
    except InputError:
        raise
    except (OSError, EOFError, lzma.LZMAError, zipfile.BadZipFile, ValueError) as exc:
        what = f"could not be decompressed as {compression}" if compression else "could not be read"
        raise InputError(f"{path}: {what} ({_one_line(exc)})") from None


def _one_line(exc):
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _decode(raw, path):
    """Text of ``raw`` and the encoding that decoded it.

    UTF-8 (a byte-order mark is dropped), then Windows-1252, then latin-1,
    which decodes any byte. UTF-16 is recognized by its byte-order mark.
    """
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise InputError(f"{path}: not a text table (invalid UTF-16)") from None
    head = raw[:_SNIFF_CHARS]
    if b"\x00" in head:
        hint = ""
        if head.startswith(b"PK\x03\x04"):
            hint = " (it looks like a zip archive or an Excel workbook: export it as CSV)"
        raise InputError(f"{path}: not a text table: it holds binary data{hint}")
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        break
    sample = text[:_SNIFF_CHARS]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f\v")
    if controls > 0.01 * len(sample):
        raise InputError(f"{path}: not a text table: it holds binary data (control characters)")
    return text, encoding


def _sample_lines(text):
    sample = text[:_SNIFF_CHARS]
    lines = sample.splitlines()
    if len(text) > len(sample) and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    return [line for line in lines if line.strip()][:200]


def _consistency(records):
    """(fraction of data records as wide as the header, header width)."""
    if not records:
        return 0.0, 0
    width = len(records[0])
    rest = records[1:]
    if not rest:
        return 1.0, width
    # A trailing separator on every data line is fine: pandas drops the empty field.
    fits = sum(
        len(r) == width or (len(r) > width and not "".join(r[width:]).strip()) for r in rest
    )
    return fits / len(rest), width


def _sniff_separator(lines, preferred):
    """The separator among ``SEPARATORS`` that splits the sample consistently.

    Each candidate splits the sample with :mod:`csv` (so quoted fields may
    hold separators); it qualifies if the header has at least two fields and
    at least 80% of the data lines have as many. The most consistent, then
    widest, wins; ties go to the order of ``SEPARATORS`` (tab first for
    ``.tsv``). Without a winner, runs of whitespace are tried, then comma.
    """
    candidates = ("\t",) + tuple(s for s in SEPARATORS if s != "\t") if preferred == "\t" \
        else SEPARATORS
    best, best_key = None, None
    joined = "\n".join(lines)
    for order, sep in enumerate(candidates):
        records = [r for r in csv.reader(io.StringIO(joined), delimiter=sep,
                                         skipinitialspace=True) if r]
        fraction, width = _consistency(records)
        if width < 2 or fraction < 0.8:
            continue
        key = (fraction, width, -order)
        if best_key is None or key > best_key:
            best, best_key = sep, key
    if best is not None:
        return best
    fraction, width = _consistency([line.split() for line in lines])
    if width >= 2 and fraction >= 0.8:
        return r"\s+"
    return ","


def _first_record(text, sep):
    if sep == r"\s+":
        for line in text.splitlines():
            if line.strip():
                return line.split()
        return []
    for record in csv.reader(io.StringIO(text[:_SNIFF_CHARS * 4]), delimiter=sep,
                             skipinitialspace=True):
        if record:
            return record
    return []


def _find_long_line(text, sep, width):
    """(line number, field count) of the first line wider than the header."""
    if sep == r"\s+":
        rows = ((n, line.split()) for n, line in enumerate(text.splitlines(), 1))
    else:
        reader = csv.reader(io.StringIO(text), delimiter=sep, skipinitialspace=True)
        rows = ((reader.line_num, r) for r in reader)
    seen_header = False
    for number, record in rows:
        if not record:
            continue
        if not seen_header:
            seen_header = True
            continue
        if len(record) > width and "".join(record[width:]).strip():
            return number, len(record)
    return None


def _parse(text, sep, names, header, path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pd.read_csv(
                io.StringIO(text), sep=sep, header=header, names=names, index_col=False,
                skipinitialspace=True, na_values=["?"], keep_default_na=True,
                low_memory=False,
            )
        except pd.errors.EmptyDataError:
            raise InputError(f"{path}: the file is empty") from None
        except pd.errors.ParserError as exc:
            long_line = _find_long_line(text, sep, len(names))
            if long_line is None:
                found = _PANDAS_LINE.search(str(exc))
                long_line = (int(found[1]), int(found[2])) if found else None
            if long_line is not None:
                raise InputError(
                    f"{path}: line {long_line[0]} has {long_line[1]} fields but the header "
                    f"line has {len(names)}"
                ) from None
            message = _one_line(exc).replace("Error tokenizing data. C error: ", "")
            if "EOF inside string" in message:
                raise InputError(
                    f"{path}: a quoted field is never closed ({message})"
                ) from None
            raise InputError(f"{path}: could not be parsed as a table ({message})") from None
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        long_line = _find_long_line(text, sep, len(names))
        where = f"line {long_line[0]} has {long_line[1]} fields" if long_line \
            else "some lines have more fields"
        raise InputError(f"{path}: {where} but the header line has {len(names)}")
    return frame


def _is_number(text):
    return _NUMBER.fullmatch(text.strip()) is not None


def _header_is_data(frame, names):
    """Whether the first line is data: every name above a numeric column is a number."""
    numeric = [
        name for column, name in zip(frame.columns, names, strict=True)
        if pd.api.types.is_numeric_dtype(frame[column]) and frame[column].notna().any()
    ]
    return bool(numeric) and all(_is_number(name) for name in numeric)


def _column_names(raw, path):
    names = []
    for position, name in enumerate(raw, 1):
        name = str(name).strip()
        names.append(name if name else f"column_{position}")
    seen = {}
    for position, name in enumerate(names, 1):
        seen.setdefault(name, []).append(position)
    duplicated = {name: where for name, where in seen.items() if len(where) > 1}
    if duplicated:
        listed = "; ".join(
            f"'{name}' (columns {', '.join(map(str, where))})"
            for name, where in duplicated.items()
        )
        raise InputError(f"{path}: duplicated column names in the header line: {listed}")
    return names


def _all_strings(series):
    """Whether every non-missing value of ``series`` is a str (and there is one)."""
    return pd.api.types.infer_dtype(series, skipna=True) == "string"


def _tidy_strings(frame):
    """Strip string values; re-read as missing the markers that stripping reveals;
    make numbers of string columns that hold only numbers."""
    for column in frame.columns:
        series = frame[column]
        if not _all_strings(series):
            continue
        strings = series.str.strip()
        strings = strings.mask(strings.isin(MISSING_MARKERS))
        present = strings.dropna()
        if len(present) and pd.to_numeric(present, errors="coerce").notna().all():
            strings = pd.to_numeric(strings, errors="coerce")
        frame[column] = strings
    return frame


def _decimal_comma(frame):
    """Convert the string columns that are all numbers written with a decimal
    comma; the names of the columns converted."""
    converted = []
    for column in frame.columns:
        series = frame[column]
        if not _all_strings(series):
            continue
        present = series.dropna()
        if not (present.str.contains(",", regex=False).any()
                and present.str.fullmatch(_DECIMAL_COMMA).all()):
            continue
        frame[column] = pd.to_numeric(
            series.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        )
        converted.append(str(column))
    return converted


def _has_parquet_engine():
    return any(importlib.util.find_spec(name) is not None for name in ("pyarrow", "fastparquet"))


def _read_parquet(path):
    if not _has_parquet_engine():
        raise InputError(f"{path}: reading parquet files needs pyarrow: pip install pyarrow")
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # the engines raise many types for a damaged file
        raise InputError(f"{path}: could not be read as parquet ({_one_line(exc)})") from None
    frame = frame.reset_index(drop=True)
    names = _column_names([str(c) for c in frame.columns], path)
    frame.columns = names
    return frame


def read_table(path):
    """Read a table file into a DataFrame, saying what was guessed.

    Delimited text (``.csv``, ``.tsv``, ``.txt``, ``.data``, each optionally
    compressed as ``.gz``, ``.bz2``, ``.xz``, ``.zip`` or ``.zst``) and
    ``.parquet`` are read. For text:

    - the separator is the one of ``,`` ``;`` tab ``|`` that splits the
      first lines consistently (quoted fields may hold it), else runs of
      whitespace, else comma;
    - the encoding is UTF-8 (with or without byte-order mark), else
      Windows-1252, else latin-1 (UTF-16 with a byte-order mark is read too);
    - the first line is the header, unless every field of it that sits
      above a numeric column is itself a number (UCI ``.data`` files have no
      header): then the columns are named ``column_1`` ... ``column_k``;
    - blank column names are named ``column_<k>``, k counting from 1;
    - pandas' missing markers (empty, ``NA``, ``NaN``, ``null`` ...) and
      ``?`` are missing; string values and names are stripped of
      surrounding whitespace, and a string column that then holds only
      numbers becomes numeric;
    - with ``;`` as separator, a string column whose values are all numbers
      written with a decimal comma (``3,5``, ``1.234,5``) becomes numeric.

    The whole file is read into memory, decompressed and decoded, before
    pandas parses it: the encoding is decided on all of it, not on a sample.

    Parameters
    ----------
    path : str or path-like
        The file to read.

    Returns
    -------
    frame : pandas.DataFrame
        The table, with string column names and a default RangeIndex.
    info : dict
        What was read and guessed, JSON-able: ``format`` ('csv' for any
        delimited text, or 'parquet'), ``separator`` (the character,
        ``'whitespace'``, or None for parquet), ``encoding`` (None for
        parquet), ``compression`` (pandas' name, e.g. 'gzip', or None),
        ``decimal`` ('.' or ','), ``decimal_comma_columns`` (the columns read
        with a decimal comma), ``header`` (False when the first line was
        data), ``n_rows`` and ``n_columns``.

    Raises
    ------
    InputError
        In one line naming the file: it does not exist or is a folder; its
        extension is not supported; it is empty, binary, or has a header but
        no data rows; a line has more fields than the header (naming the
        line); column names are duplicated (naming them); parquet is read
        without pyarrow or fastparquet installed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sknet.recipe.tables import read_table
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "prices.csv").write_text("city;price\\nZürich;3,5\\nBern;?\\n")
    >>> frame, info = read_table(folder / "prices.csv")
    >>> frame["price"].tolist()
    [3.5, nan]
    >>> info["separator"], info["decimal"], info["n_rows"]
    (';', ',', 2)
    """
    path = Path(os.fspath(path))
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a table file")
    base, compression = _split_suffix(path)
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty")

    if base == ".parquet":
        frame = _read_parquet(path)
        if not len(frame.columns):
            raise InputError(f"{path}: the table has no columns")
        if not len(frame):
            raise InputError(f"{path}: the table has no rows")
        frame = _tidy_strings(frame)
        info = {"format": "parquet", "separator": None, "encoding": None, "compression": None,
                "decimal": ".", "decimal_comma_columns": [], "header": True}
        info.update(n_rows=int(len(frame)), n_columns=int(len(frame.columns)))
        return frame, info

    text, encoding = _decode(_read_bytes(path, compression), path)
    if not text.strip():
        raise InputError(f"{path}: the file is empty")
    lines = _sample_lines(text)
    sep = _sniff_separator(lines, "\t" if base == ".tsv" else None)
    raw_names = _first_record(text, sep)
    placeholders = [f"_{k}" for k in range(len(raw_names))]
    frame = _parse(text, sep, placeholders, 0, path)
    header = True
    if len(frame) and _header_is_data(frame, raw_names):
        header = False
        names = [f"column_{k}" for k in range(1, len(raw_names) + 1)]
        frame = _parse(text, sep, names, None, path)
    else:
        names = _column_names(raw_names, path)
    if not len(frame):
        raise InputError(f"{path}: the file has a header line but no data rows")
    frame.columns = names
    frame = _tidy_strings(frame)
    converted = _decimal_comma(frame) if sep == ";" else []
    info = {
        "format": "csv",
        "separator": "whitespace" if sep == r"\s+" else sep,
        "encoding": encoding,
        "compression": compression,
        "decimal": "," if converted else ".",
        "decimal_comma_columns": converted,
        "header": header,
        "n_rows": int(len(frame)),
        "n_columns": int(len(frame.columns)),
    }
    return frame, info
