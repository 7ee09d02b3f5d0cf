"""influxkit on every server: the real influxd 1.6.7, and the flavours of 2.x and 3.x
(:mod:`influxkit.testing.flavours`) in front of it.

Each test runs once per server. Values are always read back from the real influxd,
never from what a flavour said: a time written through 2.x's ``/write`` lands where
2.x would put it, so a client that spelt the precision wrong would see the point a
thousand times too early here.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pandas as pd
import polars as pl
import pytest

from influxkit import (
    FLOAT,
    TIMEINT,
    AuthenticationError,
    DatabaseNotFoundError,
    InfluxDBClient,
    NotSupportedError,
    PartialWriteError,
    Point,
    RetryPolicy,
    lineprotocol,
)
from influxkit._core.time import NS_PER_UNIT
from influxkit.testing import InfluxDBServer
from influxkit.testing.faultproxy import FaultProxy
from influxkit.testing.flavours import FLAVOURS, ServerFlavour

SERVERS = ("1.6.7", *FLAVOURS)
# 2023-11-14T22:00:00Z: a whole number of every unit, hours included.
SECONDS = 1_699_999_200
UNITS = ("u", "ms", "s", "m", "h")


@dataclasses.dataclass
class Target:
    """Where a test's client connects, and how it authenticates."""

    name: str
    url: str
    token: str | None
    org: str | None
    flavour: ServerFlavour | None
    backend: InfluxDBServer

    @property
    def major(self) -> int:
        return int(self.name[0])

    def create_database(self, name: str) -> None:
        if self.flavour is None:
            self.backend.create_database(name)
        else:
            self.flavour.create_database(name)

    def client(self, db: str | None = None, **options: Any) -> InfluxDBClient[Any]:
        if self.token:
            options.setdefault("token", self.token)
        return InfluxDBClient.from_url(self.url, db=db, **options)

    def paths(self) -> list[str]:
        assert self.flavour is not None
        return [request.path for request in self.flavour.requests]


@pytest.fixture(scope="module", params=SERVERS)
def target(request: pytest.FixtureRequest, influxdb_server: InfluxDBServer
           ) -> Iterator[Target]:
    name = request.param
    if name == "1.6.7":
        yield Target(name, influxdb_server.url, None, None, None, influxdb_server)
        return
    with ServerFlavour(influxdb_server.url, name) as flavour:
        org = flavour.org if flavour.product == "2.x" else None
        yield Target(name, flavour.url, flavour.token, org, flavour, influxdb_server)


@pytest.fixture
def db(target: Target) -> Iterator[str]:
    name = f"servers_{uuid.uuid4().hex[:12]}"
    target.create_database(name)
    yield name
    target.backend.drop_database(name)


@pytest.fixture(params=["async", "blocking"])
async def client(request: pytest.FixtureRequest, target: Target, db: str
                 ) -> AsyncIterator[InfluxDBClient[Any]]:
    async with target.client(db, mode=request.param) as client:
        yield client


async def run(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def stored_ns(target: Target, db: str, measurement: str) -> list[int]:
    """The times of a measurement's points, in ns, read from the real influxd."""
    url = f"{target.backend.url}/query?" + urllib.parse.urlencode(
        {"db": db, "epoch": "ns", "q": f'SELECT * FROM "{measurement}"'})
    with urllib.request.urlopen(url, timeout=30) as response:
        document = json.loads(response.read())
    series = document["results"][0].get("series") or [{"values": []}]
    return [row[0] for row in series[0]["values"]]


# -- knowing the server ---------------------------------------------------------------------


async def test_the_client_knows_the_server(client: InfluxDBClient[Any], target: Target
                                           ) -> None:
    assert client.server is None  # nothing sent yet
    server = await run(client.detect_server())
    assert server.major == target.major
    assert client.server == server
    if target.flavour is not None:
        assert server.version == target.flavour.version
    else:
        assert server.version.startswith("1.6.7")


async def test_a_given_server_is_not_asked(target: Target, db: str) -> None:
    if target.flavour is None:
        pytest.skip("the real server has no record of requests")
    target.flavour.clear_requests()
    async with target.client(db, server=target.name) as client:
        await client.write({"measurement": "m", "fields": {"v": 1.0}, "time": SECONDS},
                           precision="s")
    assert "/ping" not in target.paths()
    assert stored_ns(target, db, "m") == [SECONDS * 10**9]


async def test_health(client: InfluxDBClient[Any], target: Target) -> None:
    if target.major == 1:  # 1.6.7 has no /health: said before anything is sent
        with pytest.raises(NotSupportedError, match=r"1\.8 and later"):
            await run(client.health())
        return
    health = await run(client.health())
    assert health["status"] == "pass"


# -- exact times --------------------------------------------------------------------------


@lineprotocol
@dataclasses.dataclass
class Reading:
    time: TIMEINT
    v: FLOAT


def every_input(unit: str) -> dict[str, Any]:
    """The same point, at SECONDS, as each input type, with times in ``unit``."""
    number = SECONDS * 10**9 // NS_PER_UNIT[unit]
    moment = pd.Timestamp(SECONDS, unit="s", tz="UTC")
    return {
        "dicts": [{"measurement": "dicts", "time": number, "fields": {"v": 1.5}}],
        "point": Point("point").field("v", 1.5).time(number, unit),
        "Reading": Reading(number, 1.5),
        "text": f"text v=1.5 {number}",
        "pandas": pd.DataFrame({"v": [1.5]}, index=pd.DatetimeIndex([moment])),
        "polars": pl.DataFrame({"time": [moment.to_pydatetime()], "v": [1.5]}),
    }


async def write_every_input(client: InfluxDBClient[Any], target: Target, db: str,
                            unit: str) -> None:
    inputs = every_input(unit)
    for name, data in inputs.items():
        measurement = name if name in ("pandas", "polars") else None
        await run(client.write(data, measurement=measurement, precision=unit))
    for name in inputs:
        assert stored_ns(target, db, name) == [SECONDS * 10**9], (name, unit)


@pytest.mark.parametrize("unit", UNITS)
async def test_every_input_lands_at_its_exact_time(client: InfluxDBClient[Any],
                                                   target: Target, db: str,
                                                   unit: str) -> None:
    if target.flavour is not None:
        target.flavour.clear_requests()
    await write_every_input(client, target, db, unit)
    if target.flavour is not None:
        # 3.x's own endpoint; 2.x's /write without an org.
        expected = "/api/v3/write_lp" if target.major == 3 else "/write"
        assert {r.path for r in target.flavour.requests if "write" in r.path} == {expected}


@pytest.mark.parametrize("unit", UNITS)
async def test_every_input_lands_exactly_through_2x_own_endpoint(target: Target, db: str,
                                                                 unit: str) -> None:
    if target.major != 2:
        pytest.skip("2.x's /api/v2/write")
    assert target.flavour is not None
    target.flavour.clear_requests()
    async with target.client(db, org=target.org) as client:
        await write_every_input(client, target, db, unit)
    assert {r.path for r in target.flavour.requests if "write" in r.path} == {"/api/v2/write"}


@pytest.mark.parametrize("unit", ["ns", "u", "ms", "s", "m", "h"])
async def test_query_epochs_read_back_exactly(client: InfluxDBClient[Any], target: Target,
                                              db: str, unit: str) -> None:
    await run(client.write({"measurement": "e", "time": SECONDS, "fields": {"v": 2.0}},
                           precision="s"))
    result = await run(client.query('SELECT "v" FROM "e"', epoch=unit))
    row = result["results"][0]["series"][0]["values"][0]
    assert row[0] == SECONDS * 10**9 // NS_PER_UNIT[unit]


# -- answers ------------------------------------------------------------------------------


@pytest.mark.parametrize("output", ["json", "dataframe", "polars", "resultset"])
async def test_queries_in_every_output(target: Target, db: str, output: str) -> None:
    async with target.client(db, output=output) as client:
        await client.write([{"measurement": "q", "tags": {"h": f"h{i % 2}"},
                             "time": SECONDS + i, "fields": {"v": float(i), "n": i}}
                            for i in range(10)], precision="s")
        result = await client.query('SELECT "v", "n" FROM "q"')
    if output == "json":
        values = result["results"][0]["series"][0]["values"]
        assert [row[1:] for row in values] == [[float(i), i] for i in range(10)]
    elif output == "dataframe":
        assert list(result["v"]) == [float(i) for i in range(10)]
    elif output == "polars":
        assert result["v"].to_list() == [float(i) for i in range(10)]
    else:
        assert [p["n"] for p in result.get_points()] == list(range(10))
    if target.flavour is not None:
        accepts = [r.headers.get("accept") for r in target.flavour.requests
                   if r.path == "/query"]
        # 3.x is never asked for MessagePack (3.0-3.6 refuse it, 3.7+ send their own
        # layout); 2.x is.
        expected = "application/x-msgpack" if target.major == 2 else "application/json"
        assert set(accepts) == {expected}


async def test_chunked_queries(client: InfluxDBClient[Any], target: Target, db: str) -> None:
    await run(client.write([{"measurement": "c", "time": SECONDS + i, "fields": {"v": i}}
                            for i in range(25)], precision="s"))
    chunks = await run(client.query('SELECT "v" FROM "c"', chunked=True, chunk_size=10))
    rows: list[Any] = []
    if inspect.isasyncgen(chunks) or hasattr(chunks, "__aiter__"):
        async for chunk in chunks:
            rows += chunk["results"][0]["series"][0]["values"]
    else:
        for chunk in chunks:
            rows += chunk["results"][0]["series"][0]["values"]
    assert [row[1] for row in rows] == list(range(25))


async def test_several_statements(client: InfluxDBClient[Any], target: Target, db: str
                                  ) -> None:
    await run(client.write({"measurement": "s", "time": SECONDS, "fields": {"v": 1}},
                           precision="s"))
    query = 'SELECT "v" FROM "s"; SELECT count("v") FROM "s"'
    if target.flavour is not None:
        target.flavour.clear_requests()
    result = await run(client.query(query))
    assert [r["statement_id"] for r in result["results"]] == [0, 1]
    assert result["results"][1]["series"][0]["values"][0][1] == 1
    if target.name in ("3.0", "3.6"):
        # One statement per request, put together as one answer.
        assert target.paths().count("/query") == 2
        with pytest.raises(NotSupportedError, match="one statement per query"):
            await run(client.query(query, chunked=True))
        assert target.paths().count("/query") == 2  # refused before sending


# -- errors ---------------------------------------------------------------------------------


async def test_a_missing_database_is_named_on_query(target: Target) -> None:
    async with target.client("no_such_db") as client:
        with pytest.raises(DatabaseNotFoundError) as info:
            await client.query('SELECT * FROM "m"')
    assert info.value.database == "no_such_db"


async def test_a_partial_write_names_what_was_dropped(client: InfluxDBClient[Any],
                                                      target: Target, db: str) -> None:
    await run(client.write("pw v=1.5 1000000000", precision="ns"))
    # A field of another type: refused by every server; 3.x's /api/v3/write_lp stores
    # the good line and names the bad one, 1.x and 2.x store the good ones too.
    with pytest.raises(PartialWriteError) as info:
        await run(client.write("pw v=2.5 2000000000\npw v=\"text\" 3000000000",
                               precision="ns"))
    assert info.value.dropped == 1
    assert stored_ns(target, db, "pw") == [1_000_000_000, 2_000_000_000]


async def test_a_wrong_token_is_an_authentication_error(target: Target, db: str) -> None:
    if target.flavour is None:
        pytest.skip("the suite's 1.6.7 runs without authentication")
    async with InfluxDBClient.from_url(target.url, db=db, token="wrong",
                                       server=target.name) as client:
        with pytest.raises(AuthenticationError):
            await client.write({"measurement": "m", "fields": {"v": 1.0}})


async def test_the_writer_retries_through_each_server(target: Target, db: str) -> None:
    with FaultProxy(target.url) as proxy:
        proxy.respond(503, b'{"error":"busy"}', count=2, path=None)
        async with InfluxDBClient.from_url(proxy.url, db=db, token=target.token,
                                           server=target.name, org=target.org) as client:
            writer = client.writer(batch_size=100, flush_interval=0.05,
                                   retry=RetryPolicy(retry_interval=0.01))
            async with writer:
                for i in range(250):
                    await writer.write({"measurement": "w", "time": SECONDS + i,
                                        "fields": {"v": i}}, precision="s")
    times = stored_ns(target, db, "w")
    assert times == [(SECONDS + i) * 10**9 for i in range(250)]


# -- databases ------------------------------------------------------------------------------


async def test_databases_on_every_server(target: Target) -> None:
    name = f"admin_{uuid.uuid4().hex[:12]}"
    async with target.client(name, mode="blocking") as client:
        client.create_database()
        client.create_database()  # no error when it exists
        assert {"name": name} in client.get_list_database()
        client.write({"measurement": "m", "time": SECONDS, "fields": {"v": 1.0}},
                     precision="s")
        assert stored_ns(target, name, "m") == [SECONDS * 10**9]
        client.drop_database()
        assert {"name": name} not in client.get_list_database()


async def test_show_databases_in_the_clients_output(target: Target, db: str) -> None:
    async with target.client(db) as client:
        answer = await client.show_databases()
    names = [row[0] for row in answer["results"][0]["series"][0]["values"]]
    assert db in names


async def test_retention_policies_where_the_server_has_them(target: Target, db: str) -> None:
    async with target.client(db, mode="blocking") as client:
        if target.major == 3:
            with pytest.raises(NotSupportedError, match="no retention policies"):
                client.create_retention_policy("week", "7d", 1)
            return
        client.create_retention_policy("week", "7d", 1)
        now = int(time.time())
        client.write({"measurement": "rp", "time": now, "fields": {"v": 1.0}},
                     precision="s", rp="week")
        assert [p["name"] for p in client.get_list_retention_policies()] == [
            "autogen", "week"]
        # Stored where 1.x keeps a policy's points: influxd's database db, policy week
        # (2.x's bucket "db/week").
        stored = target.backend.query(f'SELECT "v" FROM "{db}"."week"."rp"', db=db)
        assert stored["results"][0]["series"][0]["values"][0][1] == 1.0
        client.drop_retention_policy("week")
        assert "week" not in [p["name"] for p in client.get_list_retention_policies()]
    answer = target.backend.query('SHOW RETENTION POLICIES', db=db)
    assert "week" not in [row[0] for row in answer["results"][0]["series"][0]["values"]]


async def test_deleting_series_and_measurements(target: Target, db: str) -> None:
    async with target.client(db, mode="blocking") as client:
        client.write([{"measurement": "d", "tags": {"h": h}, "time": SECONDS,
                       "fields": {"v": 1.0}} for h in ("a", "b")], precision="s")
        if target.major == 3:  # 3.x deletes whole tables only
            with pytest.raises(NotSupportedError, match="influxdb3 delete table"):
                client.delete_series(measurement="d", tags={"h": "a"})
            with pytest.raises(NotSupportedError, match="influxdb3 delete table"):
                client.drop_measurement("d")
            return
        client.delete_series(measurement="d", tags={"h": "a"})  # 2.x: DELETE
        answer = target.backend.query('SELECT "v" FROM "d" GROUP BY "h"', db=db)
        assert [s["tags"]["h"] for s in answer["results"][0]["series"]] == ["b"]
        client.drop_measurement("d")
        assert stored_ns(target, db, "d") == []


async def test_what_a_server_cannot_do_is_refused_before_sending(target: Target,
                                                                 db: str) -> None:
    if target.flavour is None:
        pytest.skip("1.x has InfluxQL administration")
    async with target.client(db) as client:
        await client.detect_server()
        target.flavour.clear_requests()
        with pytest.raises(NotSupportedError, match="token"):
            await client.create_user("alice", "s3cret")
        with pytest.raises(NotSupportedError, match="continuous queries"):
            await client.get_list_continuous_queries()
    assert target.paths() == []


async def test_bucket_and_org_writes_use_the_v2_endpoint(target: Target, db: str) -> None:
    if target.major != 2:
        pytest.skip("2.x's own endpoint")
    assert target.flavour is not None
    target.flavour.clear_requests()
    async with InfluxDBClient.from_url(target.url, bucket=db, org=target.org,
                                       token=target.token) as client:
        await client.write(Point("b2").field("v", 1.0).time(SECONDS * 1000, "ms"))
    writes = [r for r in target.flavour.requests if "write" in r.path]
    assert [r.path for r in writes] == ["/api/v2/write"]
    assert writes[0].params["bucket"] == db
    assert stored_ns(target, db, "b2") == [SECONDS * 10**9]


async def test_the_official_2x_clients_environment(target: Target, db: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    if target.major != 2:
        pytest.skip("the official 2.x client's variables")
    assert target.flavour is not None
    for name in ("INFLUX_URL", "INFLUX_HOST", "INFLUX_TOKEN", "INFLUX_ORG", "INFLUX_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INFLUXDB_V2_URL", target.url)
    monkeypatch.setenv("INFLUXDB_V2_TOKEN", target.flavour.token)
    monkeypatch.setenv("INFLUXDB_V2_ORG", target.flavour.org)
    monkeypatch.setenv("INFLUXDB_V2_TIMEOUT", "10000")
    target.flavour.clear_requests()
    async with InfluxDBClient.from_env(bucket=db) as client:
        assert client.timeout.total == 10.0
        await client.write({"measurement": "env", "time": SECONDS, "fields": {"v": 1.0}},
                           precision="s")
    assert "/api/v2/write" in target.paths()
    assert stored_ns(target, db, "env") == [SECONDS * 10**9]
