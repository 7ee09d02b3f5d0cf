"""``influxdb_client.client.influxdb_client_async``: :class:`InfluxDBClientAsync`, an
async-mode :class:`influxkit.InfluxDBClient` underneath
(:attr:`InfluxDBClientAsync.influxkit`)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Literal

from influxkit import InfluxDBClient as _KitClient
from influxkit.compat.influxdb_client._translate import (
    config_file_arguments,
    connection,
    env_arguments,
    translated,
)

from .exceptions import InfluxDBError
from .influxdb_client import unsupported
from .write_api import NO_DEFAULT_TAGS, PointSettings
from .write_api_async import WriteApiAsync

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

__all__ = ["InfluxDBClientAsync"]


class InfluxDBClientAsync:
    """influxdb-client's asyncio client, on an async-mode :class:`influxkit.InfluxDBClient`.

    Made inside a running event loop (else :class:`InfluxDBError`, as there); use it as
    ``async with``. The arguments are :class:`InfluxDBClient`'s, with ``timeout`` in
    milliseconds or an ``aiohttp.ClientTimeout``, and ``client_session_kwargs`` passed
    to ``aiohttp.ClientSession``; ``allow_redirects`` and ``max_redirects`` are accepted
    (aiohttp's defaults); ``client_session_type`` raises :class:`NotSupportedError`.

    Example::

        async with InfluxDBClientAsync(url="http://localhost:8086", token="my-token",
                                       org="my-org") as client:
            await client.write_api().write(bucket="my-bucket", record="cpu load=0.5")
    """

    influxkit: _KitClient[Literal["async"]]
    """The influxkit client underneath (async mode): for InfluxQL queries and the
    administration methods."""

    def __init__(self, url: str, token: str | None = None, org: str | None = None,
                 debug: Any = None, timeout: Any = 10_000, enable_gzip: bool = False,
                 **kwargs: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise InfluxDBError(response=None, message=(
                "The async client should be initialised inside async coroutine otherwise "
                "there can be unexpected behaviour.")) from None
        self.url = url
        self.token = token
        self.org = org
        self.default_tags: dict[str, Any] | None = kwargs.pop("default_tags", None)
        translated_arguments = connection(url, token, org, debug, timeout, enable_gzip,
                                          kwargs, asynchronous=True)
        self._retry = translated_arguments.retry
        self.influxkit = _KitClient(mode="async", **translated_arguments.options)

    @classmethod
    def from_config_file(cls, config_file: str = "config.ini", debug: Any = None,
                         enable_gzip: bool = False, **kwargs: Any) -> Self:
        """As :meth:`InfluxDBClient.from_config_file`."""
        name = kwargs.pop("config_name", "influx2")
        arguments = {**config_file_arguments(config_file, name), **kwargs}
        return cls(debug=debug, enable_gzip=enable_gzip, **arguments)

    @classmethod
    def from_env_properties(cls, debug: Any = None, enable_gzip: bool = False,
                            **kwargs: Any) -> Self:
        """As :meth:`InfluxDBClient.from_env_properties`."""
        return cls(debug=debug, enable_gzip=enable_gzip, **{**env_arguments(), **kwargs})

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connections."""
        await self.influxkit.close()

    async def ping(self) -> bool:
        """``True`` when the server answers ``/ping``.

        Raises:
            ApiException: for an error answer.
            influxkit.InfluxDBConnectionError: the server could not be reached.
        """
        with translated():
            await self.influxkit.ping()
        return True

    async def version(self) -> str:
        """The server's version (``X-Influxdb-Version``), or ``'unknown'``."""
        with translated():
            headers = await self.influxkit.ping()
        return str(headers.get("X-Influxdb-Version") or self.influxkit.version or "unknown")

    async def build(self) -> str:
        """The server's build (``X-Influxdb-Build``: ``'OSS'``...), or ``'unknown'``."""
        with translated():
            headers = await self.influxkit.ping()
            server = await self.influxkit.detect_server()
        return str(headers.get("X-Influxdb-Build") or server.build or "unknown")

    def write_api(self, point_settings: PointSettings = NO_DEFAULT_TAGS) -> WriteApiAsync:
        """A :class:`WriteApiAsync`."""
        return WriteApiAsync(influxdb_client=self, point_settings=point_settings)

    def query_api(self, query_options: Any = None) -> Any:
        """Not supported (Flux): raises :class:`NotSupportedError`, saying to query with
        InfluxQL through :attr:`influxkit`."""
        raise unsupported("query_api()")

    def delete_api(self) -> Any:
        """Not supported: raises :class:`NotSupportedError`, naming influxkit's ways."""
        raise unsupported("delete_api()")
