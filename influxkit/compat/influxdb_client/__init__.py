"""influxdb-client (``influxdb_client`` 1.x, the official 2.x client), its write side on
influxkit: change ``influxdb_client`` to ``influxkit.compat.influxdb_client`` in the
imports, and the code runs on influxkit's encoder, batching writer and error tree.

What it maps (the modules of influxdb-client that code imports from), with
influxdb-client 1.50's signatures, defaults and return values::

    influxdb_client                       InfluxDBClient, Point, WritePrecision, WriteApi,
                                          WriteOptions, BucketsApi (and WriteType,
                                          PointSettings, which the seed imports here)
    .client.influxdb_client               InfluxDBClient: write_api(), buckets_api(),
                                          ping(), version(), build(), health(), close(),
                                          from_env_properties(), from_config_file(), with
    .client.influxdb_client_async         InfluxDBClientAsync: write_api(), ping(),
                                          version(), build(), close(), async with,
                                          from_env_properties(), from_config_file()
    .client.write_api                     WriteApi (write, flush, close, with),
                                          WriteOptions, WriteType, SYNCHRONOUS,
                                          ASYNCHRONOUS, PointSettings
    .client.write_api_async               WriteApiAsync (await write(...) -> True, close)
    .client.write.point                   Point (an influxkit.Point, these signatures)
    .client.write.retry                   WritesRetry (carried out by a RetryPolicy)
    .client.exceptions                    InfluxDBError; LineProtocolError,
                                          NotSupportedError, WriteApiError,
                                          WriteRetryError (also influxkit's classes)
    .client.bucket_api                    BucketsApi: create_bucket, delete_bucket,
                                          find_bucket_by_name, find_buckets
    .domain.write_precision               WritePrecision
    .rest                                 ApiException

- ``InfluxDBClient`` is a blocking-mode :class:`influxkit.InfluxDBClient` (its
  ``influxkit`` attribute, for InfluxQL queries), ``InfluxDBClientAsync`` an async-mode
  one. With ``org``, writes to InfluxDB 2.x go to ``/api/v2/write`` (the bucket as
  given); elsewhere to ``/write``, where a bucket ``db/rp`` is database ``db`` and
  retention policy ``rp``, as InfluxDB 1.8's ``/api/v2/write`` reads it. A token
  ``"username:password"`` (1.8's way for this client) is sent as HTTP basic auth,
  which every 1.x server reads.
  ``from_env_properties`` reads ``INFLUXDB_V2_*`` (default tags from
  ``INFLUXDB_V2_TAG_<NAME>``), ``from_config_file`` an INI, TOML or JSON file.
- ``write_api(SYNCHRONOUS)`` writes with influxkit's ``write()``; ``ASYNCHRONOUS`` does
  the same on a thread pool and returns its ``ApplyResult``; batching (the default)
  hands the points to influxkit's batching writer: ``WriteOptions`` in milliseconds
  become its options in seconds and its ``RetryPolicy``, and ``success_callback(conf,
  data)``, ``error_callback(conf, data, exception)``, ``retry_callback(conf, data,
  exception)`` its callbacks, ``conf`` being ``(bucket, org, precision)`` and ``data``
  the batch's line protocol (``bytes``).
- Records: ``Point``, line protocol (``str``, ``bytes``), dicts (``record_*`` keys,
  ``field_types``), NamedTuples, dataclasses, pandas DataFrames (``data_frame_*``
  keys; polars frames too), iterables of them. A ``Point`` is written in its own
  precision, the rest in ``write_precision``.
- Default tags: ``PointSettings`` (``"${env.NAME}"`` values), the client's
  ``default_tags``, ``INFLUXDB_V2_TAG_*`` and a configuration file's ``[tags]``.
- Errors: an HTTP error is an ``ApiException`` (``status``, ``reason``, ``body``,
  ``headers``, ``message``, ``retry_after``) that is also influxkit's class for it
  (``InfluxDBWriteError``; a missing database or bucket a ``DatabaseNotFoundError``, 401
  an ``AuthenticationError``, 429 and 5xx a ``ServerUnavailableError``...).

What differs, and why:

- What influxkit refuses is refused before anything is sent, with
  ``LineProtocolError`` (an ``InfluxDBError``, influxkit's ``LineProtocolError``, a
  ``ValueError``), where influxdb-client stores it altered or drops it silently: a time
  finer than its precision (``.time(datetime.utcnow(), WritePrecision.S)``; cut off
  there), an integer time before 1971 in its precision (most likely another unit),
  NaN and infinite floats (dropped there), a point without fields (dropped), a newline
  in a name or tag (stored altered), unsigned integer fields (``field_types``
  ``'uint'``), an object of a type no record has (skipped there), Rx ``Observable``
  records (subscribed to there). A float time is taken when it is whole
  (influxdb-client refuses any).
- Times are exact: an RFC 3339 string keeps its nanoseconds (influxdb-client keeps
  microseconds), and ``Point.to_line_protocol(precision)`` converts an integer time
  too (influxdb-client leaves it as it is).
- Default tags never change the caller's points, dicts or ``PointSettings``, and a
  record's own tag wins over a default tag of the same name (influxdb-client
  overwrites it, in the caller's point). They go to every record but line protocol
  text, as there (influxdb-client skips NamedTuples and dataclasses too). A default
  tag cannot be named like an argument of influxkit's ``write()`` (``org``, ``db``,
  ``precision``, ``timeout``...).
- Tags and fields are written in the order given, not sorted, and a float ``1.0`` as
  ``1.0`` (the same points are stored).
- Batching: ``flush()`` delivers what is buffered (influxdb-client's does nothing); a
  batch not delivered is raised as ``WriteApiError`` (``WriteRetryError`` when its
  retries ran out) by ``flush()``/``close()`` unless ``error_callback`` is given
  (influxdb-client only logs it); ``error_callback`` gets the last error (an
  ``ApiException``, where influxdb-client gives urllib3's ``MaxRetryError``).
  Retries follow influxkit's rules (full jitter, ``Retry-After`` honoured, 413 splits
  the batch, other 4xx never retried). ``client.close()`` closes the batching write
  APIs left open, delivering their points.
- A synchronous write is retried with ``retries=WritesRetry(...)`` (also on
  ``InfluxDBClientAsync``), as there, and with
  ``WriteOptions(write_type=WriteType.synchronous, ...)`` whose retry options are not
  all defaults, as the seed documents (influxdb-client ignores them). ``WritesRetry``
  is not a urllib3 ``Retry``.
- Without ``org``, writes to InfluxDB 2.x go to ``/write`` (its DBRP mapping of the
  bucket) instead of failing.
- ``ApiException.body`` is the server's message in 2.x's JSON shape, rebuilt
  (influxkit keeps the message, not the raw body); ``retry_after`` is seconds, a
  float (influxdb-client: the header's text).
- ``WritePrecision`` and ``WriteType`` are influxdb-client's (strings; an Enum of 1, 2,
  3), not the seed's summary (an Enum of strings); ``PointSettings(default_tags={...})``,
  as the seed writes it, is read as the tags.
- ``BucketsApi`` works by name, through influxkit's database commands: a ``Bucket``
  has a ``name`` (its ``id`` is None), and ``create_bucket`` refuses retention rules
  and a description (``NotSupportedError``, naming ``create_retention_policy``).
  ``health()`` answers ``status='fail'`` on servers without ``/health`` (before 1.8).
- Not supported, each raising ``NotSupportedError`` (a ``NotImplementedError``) that
  says what to use: ``query_api()`` (Flux: query InfluxQL with
  ``client.influxkit.query("SELECT ...")``), ``delete_api()``, the organisations,
  users, tasks, labels, authorizations and scripts APIs, ``ready()``,
  ``proxy_headers``, ``client_session_type``, ``allow_redirects=False``.
  ``username``/``password`` are sent as HTTP basic auth (not 2.x's sign-in).
  ``write_scheduler``, ``connection_pool_maxsize``, ``profilers``, ``max_redirects``
  are accepted and not used; unknown keyword arguments are refused (``TypeError``).
"""

from __future__ import annotations

from .client.bucket_api import BucketsApi
from .client.influxdb_client import InfluxDBClient
from .client.write.point import Point
from .client.write_api import PointSettings, WriteApi, WriteOptions, WriteType
from .domain.write_precision import WritePrecision

__all__ = [
    "BucketsApi",
    "InfluxDBClient",
    "Point",
    "PointSettings",
    "WriteApi",
    "WriteOptions",
    "WritePrecision",
    "WriteType",
]
