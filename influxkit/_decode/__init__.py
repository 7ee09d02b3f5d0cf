"""Query answers: bytes decoded into one result model (:mod:`.documents`), from which
every output is made (:mod:`.outputs`: JSON dicts, result sets, pandas and polars
DataFrames; :func:`~influxkit.iterpoints`). No I/O here.
"""
