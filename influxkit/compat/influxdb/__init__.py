"""influxdb-python's API over influxkit: ``from influxkit.compat.influxdb import
InfluxDBClient, DataFrameClient, SeriesHelper``.

Code written for influxdb-python 5.3 (the official 1.x client, package ``influxdb``)
runs with only its import line changed, on influxkit's blocking client, encoder,
decoder and checks. Its submodules are here too: ``client``, ``dataframe_client``,
``exceptions``, ``resultset``, ``helper``, ``line_protocol``.

What it maps:

- ``InfluxDBClient(host, port, username, password, database, ssl, verify_ssl, timeout,
  retries, use_udp, udp_port, proxies, pool_size, path, cert, gzip, session, headers,
  socket_options)``, in that order and with those defaults (``'root'``/``'root'``,
  no certificate verification); ``from_dsn``; ``switch_database``, ``switch_user``,
  ``close()``, ``with``; ``_baseurl``, ``_host``, ``_port``, ``_path``, ``_database``,
  ``_username``, ``_use_udp``/``use_udp``, ``_udp_port``/``udp_port``.
  ``client.influxkit_client`` is the influxkit client underneath.
- ``query(query, params, bind_params, epoch, expected_response_code, database,
  raise_errors, chunked, chunk_size, method)``: a ``ResultSet``, a list of them for
  several statements, a generator of one per chunk with ``chunked``; ``raise_errors=
  False`` returns the failed statement's ``ResultSet`` with its ``error``.
- ``write(data, params, expected_response_code, protocol)`` (``params``: ``db``,
  ``rp``, ``precision``) and ``write_points(points, time_precision, database,
  retention_policy, tags, batch_size, protocol, consistency)``, which return True;
  ``send_packet(packet, protocol, time_precision)``.
- ``ping()`` (the version), the administration methods with influxdb-python's
  arguments and results (None, or its lists): databases, retention policies, users
  and privileges, continuous queries, measurements and series.
- ``ResultSet``: ``get_points``, ``keys``, ``items``, ``raw``, ``error``, indexing by
  name, tags or both, iteration (a list of points per series), ``len``, ``repr``,
  ``point_from_cols_vals``; a series without a name is ``'results'``.
- ``DataFrameClient``: ``write_points(dataframe, measurement, tags, tag_columns,
  field_columns, time_precision, database, retention_policy, batch_size, protocol,
  numeric_precision)``; ``query(..., dropna, data_frame_index)`` returns dicts of
  DataFrames keyed by measurement, or ``(measurement, ((tag, value), ...))``.
- ``SeriesHelper`` and its ``Meta``, ``commit``, ``_json_body_``, ``_reset_``.
- ``InfluxDBClientError(content, code=None)`` and ``InfluxDBServerError(content)``,
  raised where influxdb-python raised them (``content``: the server's body, ``code``:
  its status), each also the influxkit error of the failure;
  ``line_protocol.make_lines``, ``make_line``, ``quote_ident``, ``quote_literal``.

What differs, on purpose:

- A time finer than the precision (influxdb-python truncated it), a NaN or infinite
  float (in a DataFrame, NaN is a missing value, left out as before), a value or name
  line protocol cannot carry, shared tags on line protocol text: refused before
  anything is sent, as an ``InfluxDBClientError`` (no ``code``) that is also a
  ``LineProtocolError`` (a ``ValueError``). Integer times before 1971 in the
  precision are refused as being in the wrong unit. Arguments influxdb-python left to
  the server (a duration, a privilege, no database...) are checked first: an
  ``InfluxDBClientError`` that is also a ``ValueError``.
- ``content`` of an error answer in JSON or MessagePack is ``{"error":"..."}``
  (what influxdb-python gave for influxd's MessagePack answers; 2.x's ``message`` is
  put there too); any other body is its text.
- Times as strings (``epoch=None``) are the server's RFC 3339, to the nanosecond
  (``'...:09.5Z'``; influxdb-python's MessagePack decoding gave ``'...:09.500000Z'``
  and dropped nanoseconds). DataFrames of queries are typed exactly (integers with
  gaps are ``Int64``), and integer times (``epoch='s'``...) read in their unit.
- A failed statement's error is the server's message: influxd's plain answer, which
  influxdb-python read, says only ``'not executed'`` for it when statements came
  before it. ``raise_errors=False`` gives a ``ResultSet`` per statement (those after
  the failed one: ``'not executed'``); with ``chunked``, a failed statement raises (or
  is returned as a ``ResultSet`` with ``error``) instead of being dropped.
- ``write()`` without ``params['db']`` writes to the client's database (influxdb-python
  sent no database). Unknown ``params`` keys, ``expected_response_code`` other than
  the default, a ``method`` other than GET or POST, ``session``, ``socket_options``
  and a ``consistency``: refused. ``pool_size`` is accepted and unused.
- ``retries`` retries connection errors and timeouts; 429 and 503 are retried too.
  An unreachable server raises ``influxkit.InfluxDBConnectionError``, an answer that is
  not InfluxDB's ``influxkit.InvalidResponseError`` (influxdb-python: ``requests``'
  errors, or a ``ValueError`` of its JSON decoder).
- With ``use_udp``, ``write_points(..., database=..., retention_policy=...)`` is
  refused: the listener's own apply. Datagrams are at most 1,400 bytes.
- ``DataFrameClient.query`` of a ``SELECT`` with ``chunked=True`` returns the whole
  answer's DataFrames (influxdb-python failed), and several statements a list
  (influxdb-python: a ``map``).
- ``rs['cpu']`` does not warn ``DeprecationWarning``.
- ``SeriesHelper``: each subclass keeps its own points, in the order recorded; a
  failed commit keeps them; ``bulk_size`` below 1 is refused (``TypeError``), and a
  point without a time gets an integer one.
- A client dropped without ``close()`` (or ``with``) warns ``ResourceWarning``.
- ``request()`` is not provided (``NotImplementedError``); ``quote_ident`` refuses an
  empty name, and both quoting functions a carriage return or NUL.
"""

from __future__ import annotations

from . import client, dataframe_client, exceptions, helper, line_protocol, resultset
from .client import InfluxDBClient
from .dataframe_client import DataFrameClient
from .helper import SeriesHelper

__all__ = [
    "DataFrameClient",
    "InfluxDBClient",
    "SeriesHelper",
    "client",
    "dataframe_client",
    "exceptions",
    "helper",
    "line_protocol",
    "resultset",
]
