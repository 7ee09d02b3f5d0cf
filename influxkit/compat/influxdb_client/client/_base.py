"""What the write and bucket APIs need of their client, as protocols.

The clients (:mod:`.influxdb_client`, :mod:`.influxdb_client_async`) make their APIs,
so the APIs cannot import the client modules back: they see their client through these
protocols, which sit below both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from multiprocessing.pool import ThreadPool

    from influxkit import InfluxDBClient as KitClient
    from influxkit import RetryPolicy

__all__ = ["AsyncClient", "Closable", "SyncClient"]


class Closable(Protocol):
    """A batching write API, which the client closes with itself."""

    def close(self) -> None: ...


class _Client(Protocol):
    """What both clients give their APIs."""

    @property
    def org(self) -> str | None: ...

    @property
    def default_tags(self) -> dict[str, Any] | None: ...

    @property
    def _retry(self) -> RetryPolicy | None: ...


class SyncClient(_Client, Protocol):
    """:class:`~influxkit.compat.influxdb_client.InfluxDBClient`, as its APIs see it."""

    @property
    def influxkit(self) -> KitClient[Literal["blocking"]]: ...

    def _influxkit_for(self, org: str | None) -> KitClient[Any]: ...

    def _pool(self) -> ThreadPool: ...

    def _opened(self, api: Closable) -> None: ...

    def _closed(self, api: Closable) -> None: ...


class AsyncClient(_Client, Protocol):
    """:class:`~influxkit.compat.influxdb_client.client.influxdb_client_async.
    InfluxDBClientAsync`, as its write API sees it."""

    @property
    def influxkit(self) -> KitClient[Literal["async"]]: ...
