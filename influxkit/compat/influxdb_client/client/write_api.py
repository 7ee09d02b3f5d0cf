"""``influxdb_client.client.write_api``: :class:`WriteApi`, its options and modes.

- ``SYNCHRONOUS``: each ``write()`` is sent at once through influxkit's
  :meth:`~influxkit.InfluxDBClient.write` and raises on error.
- ``ASYNCHRONOUS``: the same, on a thread pool; ``write()`` returns its
  ``multiprocessing.pool.ApplyResult`` (a list of them for several precisions).
- batching (``WriteOptions()``, the default): influxkit's batching writer
  (:meth:`~influxkit.InfluxDBClient.writer`), its options and callbacks translated.
"""

from __future__ import annotations

import enum
import os
import threading
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import influxkit
from influxkit.compat.influxdb_client._translate import (
    Write,
    convert,
    prepare,
    translated,
)
from influxkit.compat.influxdb_client.domain.write_precision import WritePrecision

from .write.point import DEFAULT_WRITE_PRECISION, client_precision
from .write.retry import WritesRetry

if TYPE_CHECKING:
    from multiprocessing.pool import ApplyResult
    from types import TracebackType

    from ._base import SyncClient

__all__ = [
    "ASYNCHRONOUS",
    "SYNCHRONOUS",
    "PointSettings",
    "WriteApi",
    "WriteOptions",
    "WritePrecision",
    "WriteType",
]


class WriteType(enum.Enum):
    """How a :class:`WriteApi` writes."""

    batching = 1
    asynchronous = 2
    synchronous = 3


_RETRY_DEFAULTS: Final = {"retry_interval": 5_000, "max_retries": 5,
                          "max_retry_delay": 125_000, "max_retry_time": 180_000,
                          "exponential_base": 2}


class WriteOptions:
    """How a :class:`WriteApi` writes; times in milliseconds, as in influxdb-client.

    Args:
        write_type: batching (the default), asynchronous or synchronous.
        batch_size: points per request, at most.
        flush_interval: a batch not full is sent once this old.
        jitter_interval: up to this much random time added to each flush interval.
        retry_interval: the ceiling of the first retry's wait.
        max_retries: retries of a batch (0: none).
        max_retry_delay: the longest wait between two attempts.
        max_retry_time: no retry starts later than this after a batch's first attempt.
        exponential_base: the growth of the wait's ceiling from one retry to the next.
        max_close_wait: how long ``close()`` waits for the batches to be delivered.
        write_scheduler: accepted and not used (influxkit's writer runs on its client's
            event loop).

    In batching mode they become influxkit's writer's options (in seconds) and its
    :class:`influxkit.RetryPolicy`. A synchronous write is retried with that policy when
    any retry option differs from its default (influxdb-client never retries
    synchronous writes, so ``SYNCHRONOUS`` and options left at their defaults don't).
    """

    def __init__(self, write_type: WriteType = WriteType.batching, batch_size: int = 1_000,
                 flush_interval: int = 1_000, jitter_interval: int = 0,
                 retry_interval: int = 5_000, max_retries: int = 5,
                 max_retry_delay: int = 125_000, max_retry_time: int = 180_000,
                 exponential_base: int = 2, max_close_wait: int = 300_000,
                 write_scheduler: Any = None) -> None:
        self.write_type = write_type
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.jitter_interval = jitter_interval
        self.retry_interval = retry_interval
        self.max_retries = max_retries
        self.max_retry_delay = max_retry_delay
        self.max_retry_time = max_retry_time
        self.exponential_base = exponential_base
        self.max_close_wait = max_close_wait
        self.write_scheduler = write_scheduler

    def to_retry_strategy(self, **kwargs: Any) -> WritesRetry:
        """The retry options as a :class:`WritesRetry` (in seconds)."""
        return WritesRetry(total=self.max_retries, retry_interval=self.retry_interval / 1_000,
                           jitter_interval=self.jitter_interval / 1_000,
                           max_retry_delay=self.max_retry_delay / 1_000,
                           max_retry_time=self.max_retry_time / 1_000,
                           exponential_base=self.exponential_base,
                           retry_callback=kwargs.get("retry_callback"))

    def retry_policy(self) -> influxkit.RetryPolicy:
        """The retry options as influxkit's :class:`~influxkit.RetryPolicy`."""
        return self.to_retry_strategy().to_retry_policy()

    def retries_given(self) -> bool:
        """Whether a retry option differs from its default."""
        return any(getattr(self, name) != value for name, value in _RETRY_DEFAULTS.items())


SYNCHRONOUS: Final = WriteOptions(write_type=WriteType.synchronous)
ASYNCHRONOUS: Final = WriteOptions(write_type=WriteType.asynchronous)
BATCHING: Final = WriteOptions()  # the default of write_api(): never changed


class PointSettings:
    """Default tags, added to every point a write API writes (not to line protocol
    text, as in influxdb-client).

    ``PointSettings(location="ams", version="1.2")``; ``PointSettings(default_tags={...})``
    is read as the same (a tag's value cannot be a mapping). A value ``"${env.NAME}"``
    is the environment variable ``NAME``.
    """

    def __init__(self, **default_tags: Any) -> None:
        self.defaultTags: dict[str, Any] = {}
        nested = default_tags.get("default_tags")
        if isinstance(nested, dict):
            default_tags = {**nested, **{key: value for key, value in default_tags.items()
                                         if key != "default_tags"}}
        for key, value in default_tags.items():
            self.add_default_tag(key, value)

    @staticmethod
    def _get_value(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("${env.") and value.endswith("}"):
            return os.environ.get(value[6:-1])
        return value

    def add_default_tag(self, key: str, value: Any) -> None:
        """Add a default tag (``"${env.NAME}"`` reads the environment variable)."""
        self.defaultTags[key] = self._get_value(value)


NO_DEFAULT_TAGS: Final = PointSettings()  # the default of write_api(): never changed


_CALLBACKS: Final = ("success_callback", "error_callback", "retry_callback")


class WriteApi:
    """Writes to a bucket: at once (``SYNCHRONOUS``), on a thread pool (``ASYNCHRONOUS``)
    or in the background through influxkit's batching writer (the default).

    Args:
        influxdb_client: the client.
        write_options: the mode, and the batching writer's options.
        point_settings: default tags (the client's ``default_tags`` are added).
        success_callback: batching: called with ``((bucket, org, precision), data)``
            after a batch is written; ``data`` is its line protocol (``bytes``).
        error_callback: batching: ``((bucket, org, precision), data, exception)`` for
            a batch not delivered. Without it, ``flush()`` and ``close()`` raise
            :class:`~influxkit.compat.influxdb_client.client.exceptions.WriteApiError`
            (influxdb-client only logs).
        retry_callback: batching: ``((bucket, org, precision), data, exception)``
            before each retry of a batch.

    The callbacks run on the client's event-loop thread; an exception in one is logged.
    """

    def __init__(self, influxdb_client: SyncClient,
                 write_options: WriteOptions = BATCHING,
                 point_settings: PointSettings = NO_DEFAULT_TAGS, **kwargs: Any) -> None:
        for name in kwargs:
            if name not in _CALLBACKS:
                raise TypeError(f"write_api() got an unexpected keyword argument {name!r}; "
                                f"it takes {', '.join(_CALLBACKS)}")
        self._influxdb_client = influxdb_client
        self._write_options = write_options
        # A copy: neither the PointSettings given nor its defaults change.
        settings = PointSettings(**point_settings.defaultTags)
        for key, value in (influxdb_client.default_tags or {}).items():
            settings.add_default_tag(key, value)
        self._point_settings = settings
        self._success_callback: Callable[..., Any] | None = kwargs.get("success_callback")
        self._error_callback: Callable[..., Any] | None = kwargs.get("error_callback")
        self._retry_callback: Callable[..., Any] | None = kwargs.get("retry_callback")
        self._writers: dict[str | None, influxkit.BlockingWriter] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._retry = influxdb_client._retry
        if write_options.write_type is WriteType.synchronous and write_options.retries_given():
            self._retry = write_options.retry_policy()
        if write_options.write_type is WriteType.asynchronous:
            warnings.warn("The 'WriteType.asynchronous' is deprecated: use "
                          "InfluxDBClientAsync (influxkit.compat.influxdb_client.client."
                          "influxdb_client_async) instead", DeprecationWarning, stacklevel=2)
        if write_options.write_type is WriteType.batching:
            influxdb_client._opened(self)

    def write(self, bucket: str, org: str | None = None, record: Any = None,
              write_precision: str = DEFAULT_WRITE_PRECISION, **kwargs: Any) -> Any:
        """Write a record to ``bucket`` (``"db/rp"`` names a retention policy).

        Args:
            bucket: the bucket (on InfluxDB 1.x, the database, or ``db/rp``).
            org: the organisation; the client's by default.
            record: a :class:`Point`, line protocol (``str``, ``bytes``), a ``dict``, a
                ``NamedTuple``, a dataclass, a pandas DataFrame, or an iterable of these.
            write_precision: the unit of integer times (a :class:`Point` is written in
                its own).
            **kwargs: ``data_frame_measurement_name``, ``data_frame_tag_columns``,
                ``data_frame_timestamp_column``, ``data_frame_timestamp_timezone``;
                ``record_measurement_key``, ``record_measurement_name``,
                ``record_time_key``, ``record_tag_keys``, ``record_field_keys``,
                ``field_types``.

        Returns:
            None (synchronous, batching); asynchronous: the ``ApplyResult`` of the
            write, or a list of them (one per precision).

        Raises:
            LineProtocolError: for data influxkit refuses, before anything is sent (a
                time finer than its precision, NaN, a point without fields...).
            ApiException: synchronous: for an error answer (also influxkit's class for
                it: ``DatabaseNotFoundError`` for a missing bucket...).
            influxkit.InfluxDBConnectionError: synchronous: the server could not be
                reached.
        """
        tags = self._point_settings.defaultTags
        target, database, policy, groups = prepare(
            bucket, org, self._influxdb_client.org, record, write_precision, kwargs, tags)
        kind = self._write_options.write_type
        if kind is WriteType.batching:
            writer = self._writer(target)
            for precision, writes in groups.items():
                for each in writes:
                    with translated():
                        writer.write(each.data, each.measurement, db=database, rp=policy,
                                     precision=precision, tag_columns=each.tag_columns,
                                     **(tags if each.tagged else {}))
            return None
        if kind is WriteType.synchronous:
            for precision, writes in groups.items():
                self._post(database, policy, target, precision, writes)
            return None
        pool = self._influxdb_client._pool()
        results: list[ApplyResult[None]] = [
            pool.apply_async(self._post, (database, policy, target, precision, writes))
            for precision, writes in groups.items()]
        return results[0] if len(results) == 1 else results

    def _post(self, database: str, policy: str | None, target: str | None, precision: str,
              writes: list[Write]) -> None:
        client = self._influxdb_client.influxkit
        tags = self._point_settings.defaultTags
        for each in writes:
            with translated():
                client.write(each.data, each.measurement, db=database, precision=precision,
                             rp=policy, tag_columns=each.tag_columns, retry=self._retry,
                             org=target, **(tags if each.tagged else {}))

    def _writer(self, org: str | None) -> influxkit.BlockingWriter:
        with self._lock:
            if self._closed:
                raise RuntimeError("the write API is closed")
            writer = self._writers.get(org)
            if writer is None:
                options = self._write_options
                callbacks: dict[str, Any] = {}
                if self._success_callback is not None:
                    callbacks["on_success"] = self._on_success(org, self._success_callback)
                if self._error_callback is not None:
                    callbacks["on_error"] = self._on_error(org, self._error_callback)
                if self._retry_callback is not None:
                    callbacks["on_retry"] = self._on_retry(org, self._retry_callback)
                writer = self._influxdb_client._influxkit_for(org).writer(
                    batch_size=options.batch_size,
                    flush_interval=options.flush_interval / 1_000,
                    jitter_interval=options.jitter_interval / 1_000,
                    retry=options.retry_policy(),
                    max_close_wait=options.max_close_wait / 1_000, **callbacks)
                self._writers[org] = writer
            return writer

    @staticmethod
    def _on_success(org: str | None, callback: Callable[..., Any]
                    ) -> Callable[[influxkit.Batch], None]:
        def on_success(batch: influxkit.Batch) -> None:
            callback(_conf(batch, org), batch.body())
        return on_success

    @staticmethod
    def _on_error(org: str | None, callback: Callable[..., Any]
                  ) -> Callable[[influxkit.Batch, BaseException], None]:
        def on_error(batch: influxkit.Batch, error: BaseException) -> None:
            callback(_conf(batch, org), batch.body(), convert(error))
        return on_error

    @staticmethod
    def _on_retry(org: str | None, callback: Callable[..., Any]
                  ) -> Callable[[influxkit.Batch, BaseException, float], None]:
        def on_retry(batch: influxkit.Batch, error: BaseException, delay: float) -> None:
            callback(_conf(batch, org), batch.body(), convert(error))
        return on_retry

    def flush(self) -> None:
        """Send what the batching writer holds and wait until it is delivered (or
        reported); influxdb-client's does nothing.

        Raises:
            WriteApiError: for batches not delivered since the last report, unless an
                ``error_callback`` took them.
        """
        with self._lock:
            writers = list(self._writers.values())
        _each(writers, influxkit.BlockingWriter.flush)

    def close(self) -> None:
        """Flush, and stop the batching writer (waiting at most ``max_close_wait``).

        Raises:
            WriteApiError: for batches not delivered, unless an ``error_callback``
                took them.
        """
        with self._lock:
            self._closed = True
            writers = list(self._writers.values())
        self._influxdb_client._closed(self)
        _each(writers, influxkit.BlockingWriter.close)

    def __enter__(self) -> WriteApi:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc_val: BaseException | None,
                 exc_tb: TracebackType | None) -> None:
        self.close()


def _conf(batch: influxkit.Batch, org: str | None) -> tuple[str, str | None, str]:
    bucket = f"{batch.db}/{batch.rp}" if batch.rp else batch.db
    return bucket, org, client_precision(batch.precision)


def _each(writers: list[influxkit.BlockingWriter],
          action: Callable[[influxkit.BlockingWriter], None]) -> None:
    """``action`` on every writer; then the failures of all of them, as one error."""
    failures: list[tuple[influxkit.Batch, BaseException]] = []
    for writer in writers:
        try:
            action(writer)
        except influxkit.WriterError as exc:
            failures += exc.failures
    if failures:
        with translated():
            raise influxkit.WriterError(failures)
