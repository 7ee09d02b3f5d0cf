"""Reference implementations: what the hardware and the libraries can do, without a client.

* :func:`dicts_fstring`: a pure-Python encoder specialized for the benchmark's mappings
  (it knows the keys; a client cannot).
* :func:`dicts_polars`, :func:`pandas_polars`, :func:`polars_lines`: line protocol
  built with polars' vectorized string expressions (``concat_str`` with escaping, NaN
  and null cells left out).
* :func:`query_msgpack`: a query fetched as MessagePack with the standard library's
  ``http.client`` and unpacked with ``msgpack`` into rows, and :func:`rows_to_pandas`.

Everything here imports its libraries lazily: the module is loaded by the peers'
environment too, which has no polars.
"""

from __future__ import annotations

import http.client
import io
import urllib.parse
from collections.abc import Sequence
from typing import Any

_TAG_ESCAPE = str.maketrans({"\\": "\\\\", ",": "\\,", " ": "\\ ", "=": "\\="})
_MEASUREMENT_ESCAPE = str.maketrans({"\\": "\\\\", ",": "\\,", " ": "\\ "})
_TAG_SPECIALS = ["\\", ",", " ", "="]
_TAG_REPLACEMENTS = ["\\\\", "\\,", "\\ ", "\\="]


# -- mappings ---------------------------------------------------------------------------------


def dicts_fstring(points: Sequence[dict[str, Any]]) -> bytes:
    """Encode the benchmark's mappings (tags t1, t2; fields f float, n int, b bool) with
    one f-string per point. Tag texts are escaped once per distinct value."""
    escaped: dict[str, str] = {}
    measurements: dict[str, str] = {}
    out: list[str] = []
    append = out.append
    for point in points:
        name = point["measurement"]
        head = measurements.get(name)
        if head is None:
            head = measurements[name] = name.translate(_MEASUREMENT_ESCAPE)
        tags = point["tags"]
        t1 = tags["t1"]
        e1 = escaped.get(t1)
        if e1 is None:
            e1 = escaped[t1] = t1.translate(_TAG_ESCAPE)
        t2 = tags["t2"]
        e2 = escaped.get(t2)
        if e2 is None:
            e2 = escaped[t2] = t2.translate(_TAG_ESCAPE)
        fields = point["fields"]
        value = fields["f"]
        flag = "true" if fields["b"] else "false"
        if value is None or value != value:
            append(f"{head},t1={e1},t2={e2} n={fields['n']}i,b={flag} {point['time']}")
        else:
            append(f"{head},t1={e1},t2={e2} f={value!r},n={fields['n']}i,b={flag} "
                   f"{point['time']}")
    return "\n".join(out).encode()


def dicts_polars(points: Sequence[dict[str, Any]]) -> bytes:
    """Encode the benchmark's mappings with polars: columns are pulled out of the
    mappings with list comprehensions, then joined by string expressions."""
    import polars as pl

    tags = [point["tags"] for point in points]
    fields = [point["fields"] for point in points]
    frame = pl.DataFrame(
        {
            "measurement": [point["measurement"] for point in points],
            "t1": [tag["t1"] for tag in tags],
            "t2": [tag["t2"] for tag in tags],
            "f": [field["f"] for field in fields],
            "n": [field["n"] for field in fields],
            "b": [field["b"] for field in fields],
            "time": [point["time"] for point in points],
        },
        schema={"measurement": pl.String, "t1": pl.String, "t2": pl.String,
                "f": pl.Float64, "n": pl.Int64, "b": pl.Boolean, "time": pl.Int64},
    )
    measurement = pl.col("measurement").str.replace_many(
        ["\\", ",", " "], ["\\\\", "\\,", "\\ "])
    return polars_lines(frame, measurement, ["t1", "t2"],
                        [("f", "float"), ("n", "int"), ("b", "bool")], pl.col("time"))


# -- DataFrames -------------------------------------------------------------------------------


def polars_lines(frame: Any, measurement: Any, tag_columns: Sequence[str],
                 fields: Sequence[tuple[str, str]], time: Any) -> bytes:
    """Line protocol for every row of a polars *frame*, built column-wise.

    *measurement* and *time* are polars expressions (or a plain string for a constant
    measurement); *fields* pairs a column with its kind (``float``, ``int``, ``bool``,
    ``str``). Null and NaN cells are left out of their line, empty tags too, and rows
    left without a field are dropped. Every line ends with a newline.
    """
    import polars as pl

    if isinstance(measurement, str):
        measurement = pl.lit(measurement.translate(_MEASUREMENT_ESCAPE))
    tag_parts = []
    for name in tag_columns:
        column = pl.col(name)
        text = column.str.replace_many(_TAG_SPECIALS, _TAG_REPLACEMENTS)
        text = pl.when(column == "").then(None).otherwise(text)
        key = name.translate(_TAG_ESCAPE)
        tag_parts.append(pl.concat_str([pl.lit(f",{key}="), text]))
    field_parts = []
    for name, kind in fields:
        column = pl.col(name)
        if kind == "float":
            text = column.fill_nan(None).cast(pl.String)
        elif kind == "int":
            text = pl.concat_str([column.cast(pl.String), pl.lit("i")])
        elif kind == "bool":
            text = pl.when(column).then(pl.lit("true")).when(~column).then(pl.lit("false"))
        else:
            text = pl.concat_str([
                pl.lit('"'), column.str.replace_many(["\\", '"'], ["\\\\", '\\"']), pl.lit('"'),
            ])
        key = name.translate(_TAG_ESCAPE)
        field_parts.append(pl.concat_str([pl.lit(f"{key}="), text]))
    field_text = pl.concat_str(field_parts, separator=",", ignore_nulls=True)
    line = pl.concat_str([
        measurement,
        pl.concat_str(tag_parts, ignore_nulls=True) if tag_parts else pl.lit(""),
        pl.lit(" "),
        field_text,
        pl.lit(" "),
        time.cast(pl.String),
    ])
    lines = (frame.lazy()
             .select(line.alias("line"), (field_text != "").alias("keep"))
             .filter(pl.col("keep"))
             .select("line")
             .collect())
    # Written out as CSV without quoting or header: the lines' bytes, each followed by
    # a newline (line protocol allows the last one), without a detour through str.
    buffer = io.BytesIO()
    lines.write_csv(buffer, include_header=False, quote_style="never")
    return buffer.getvalue()


_FRAME_FIELDS = [("f1", "float"), ("f2", "float"), ("f3", "float"), ("f4", "float"),
                 ("i1", "int")]


def polars_frame_lines(frame: Any, measurement: str, tag_columns: Sequence[str]) -> bytes:
    """The benchmark's polars frame (``time`` column, Datetime ns) as line protocol."""
    import polars as pl

    return polars_lines(frame, measurement, tag_columns, _FRAME_FIELDS,
                        pl.col("time").dt.epoch("ns"))


def pandas_polars(frame: Any, measurement: str, tag_columns: Sequence[str]) -> bytes:
    """The benchmark's pandas frame as line protocol: handed to polars (numeric columns
    without a copy), time taken from the index as int64 nanoseconds."""
    import polars as pl

    converted = pl.from_pandas(frame, nan_to_null=True).with_columns(
        pl.Series("time", frame.index.asi8))
    return polars_lines(converted, measurement, tag_columns, _FRAME_FIELDS, pl.col("time"))


# -- queries ----------------------------------------------------------------------------------


def query_msgpack(host: str, port: int, db: str, q: str, *, chunked: bool = False,
                  chunk_size: int = 10_000) -> tuple[list[str], list[list[Any]]]:
    """``POST /query`` asking for MessagePack (``epoch=ns``); returns the columns and the
    rows of the (single) series. ``chunked=True`` streams the answer through a
    ``msgpack.Unpacker``."""
    import msgpack

    form = {"q": q, "db": db, "epoch": "ns"}
    if chunked:
        form.update(chunked="true", chunk_size=str(chunk_size))
    connection = http.client.HTTPConnection(host, port, timeout=600)
    try:
        connection.request("POST", "/query", urllib.parse.urlencode(form),
                           {"Content-Type": "application/x-www-form-urlencoded",
                            "Accept": "application/x-msgpack"})
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {response.read()[:300]!r}")
        columns: list[str] = []
        rows: list[list[Any]] = []
        if not chunked:
            documents = [msgpack.unpackb(response.read())]
        else:
            unpacker = msgpack.Unpacker(max_buffer_size=1 << 30)
            documents = []
            while True:
                block = response.read1(1 << 20)
                if not block:
                    break
                unpacker.feed(block)
                documents.extend(unpacker)
        for document in documents:
            for result in document.get("results", []):
                if "error" in result:
                    raise RuntimeError(result["error"])
                for series in result.get("series", []):
                    columns = series["columns"]
                    rows.extend(series["values"])
        return columns, rows
    finally:
        connection.close()


def rows_to_pandas(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Any:
    """Rows of a query (time first, int ns) as a DataFrame with a UTC DatetimeIndex; each
    column gets the type its values have (float64, int64, bool, strings)."""
    import numpy as np
    import pandas as pd

    if not rows:
        return pd.DataFrame(columns=list(columns[1:]))
    transposed = list(zip(*rows, strict=True))
    index = pd.DatetimeIndex(pd.to_datetime(np.array(transposed[0], dtype=np.int64),
                                            unit="ns", utc=True))
    data: dict[str, Any] = {}
    for name, values in zip(columns[1:], transposed[1:], strict=True):
        kinds = {type(value) for value in values} - {type(None)}
        if kinds == {float} or kinds == {float, int}:
            data[name] = np.array(values, dtype=np.float64)
        elif kinds == {int} and len(kinds) == 1 and None not in values:
            data[name] = np.array(values, dtype=np.int64)
        elif kinds == {bool} and None not in values:
            data[name] = np.array(values, dtype=bool)
        else:
            data[name] = pd.array(values)
    return pd.DataFrame(data, index=index)
