"""Server flavours (influxkit.testing.flavours) in front of the suite's influxd.

The proxy is driven with plain http.client, and what it stored is read back
from influxd directly: the flavour is checked, not a client of it.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import http.client
import json
import time
import urllib.parse
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import msgpack
import pytest

from influxkit.testing import InfluxDBServer, InfluxDBServerError
from influxkit.testing.flavours import DEFAULT_ORG, FLAVOURS, ServerFlavour

T0 = 1_700_000_000_000_000_000  # 2023-11-14T22:13:20Z, in ns
# Floats whole and not, large and small, and an integer.
FLOATS = b"m big=1e100,e16=1e16,f=1,g=2.5,small=0.0000001,tiny=0.00001,i=3i 1000000000"


class Answer:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<Answer {self.status} {self.body[:200]!r}>"


def call(
    flavour: ServerFlavour,
    method: str,
    path: str,
    params: Mapping[str, str] | list[tuple[str, str]] | None = None,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    auth: str | None = "Token",
) -> Answer:
    """One request; *auth* is the scheme the flavour's token is sent with (None: none)."""
    fields = dict(headers or {})
    if auth is not None:
        fields.setdefault("Authorization", f"{auth} {flavour.token}")
    target = path + ("?" + urllib.parse.urlencode(params) if params else "")
    conn = http.client.HTTPConnection(flavour.host, flavour.port, timeout=10)
    try:
        conn.request(method, target, body=body, headers=fields)
        response = conn.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        conn.close()


def stored(server: InfluxDBServer, db: str, measurement: str = "cpu",
           rp: str = "autogen") -> list[list[Any]]:
    """The rows influxd holds, times in ns."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    query = f'SELECT * FROM "{rp}"."{measurement}"'
    conn.request("GET", "/query?" + urllib.parse.urlencode({"db": db, "q": query, "epoch": "ns"}))
    answer = json.loads(conn.getresponse().read())
    conn.close()
    series = answer["results"][0].get("series")
    return series[0]["values"] if series else []


def name() -> str:
    return f"f{uuid.uuid4().hex[:12]}"


@pytest.fixture
def v2(influxdb_server: InfluxDBServer) -> Iterator[ServerFlavour]:
    with ServerFlavour(influxdb_server.url, "2.7") as flavour:
        yield flavour


@pytest.fixture(params=["3.0", "3.6", "3.9"])
def v3(request: pytest.FixtureRequest, influxdb_server: InfluxDBServer) -> Iterator[ServerFlavour]:
    with ServerFlavour(influxdb_server.url, request.param) as flavour:
        yield flavour


# -- the proxy itself -------------------------------------------------------------------


@pytest.mark.parametrize("flavour_name", FLAVOURS)
def test_properties(influxdb_server: InfluxDBServer, flavour_name: str) -> None:
    versions = {"2.7": "v2.7.11", "3.0": "3.0.0", "3.6": "3.6.0", "3.9": "3.9.1"}
    with ServerFlavour(influxdb_server.url, flavour_name, token="t0k") as flavour:
        assert flavour.name == flavour_name
        assert flavour.version == versions[flavour_name]
        assert flavour.product == ("2.x" if flavour_name == "2.7" else "3.x")
        assert flavour.token == "t0k"
        assert flavour.host == "127.0.0.1"
        assert flavour.url == f"http://127.0.0.1:{flavour.port}"
        assert flavour.target_url == influxdb_server.url
        if flavour.product == "2.x":
            assert flavour.org == DEFAULT_ORG
            assert len(flavour.org_id) == 16
        else:
            with pytest.raises(InfluxDBServerError):
                _ = flavour.org
    with pytest.raises(InfluxDBServerError):
        _ = flavour.port


def test_unknown_flavour(influxdb_server: InfluxDBServer) -> None:
    with pytest.raises(ValueError, match="unknown flavour"):
        ServerFlavour(influxdb_server.url, "1.8")


def test_requests_are_recorded(v2: ServerFlavour) -> None:
    call(v2, "POST", "/write", {"db": "nowhere", "precision": "s"}, b"cpu v=1",
         {"X-Test": "yes"})
    [record] = v2.wait_for_requests(1, path="/write")
    assert (record.method, record.path, record.status) == ("POST", "/write", 404)
    assert record.params == {"db": "nowhere", "precision": "s"}
    assert record.headers["x-test"] == "yes"
    assert record.headers["authorization"] == f"Token {v2.token}"
    v2.clear_requests()
    assert v2.requests == []
    with pytest.raises(TimeoutError):
        v2.wait_for_requests(1, timeout=0.05)


def test_nothing_of_the_proxy_is_left_on_influxd(influxdb_server: InfluxDBServer) -> None:
    def scratch() -> set[str]:
        series = influxdb_server.query("SHOW DATABASES")["results"][0]["series"][0]
        return {row[0] for row in series.get("values", [])
                if row[0].startswith("influxkit_flavour_scratch_")}

    others = scratch()  # of flavours still running
    with ServerFlavour(influxdb_server.url, "2.7") as flavour:
        database = name()
        flavour.create_database(database)
        assert call(flavour, "POST", "/write", {"db": database}, b"cpu v=1i 1").status == 204
        assert scratch() - others  # where batches are tried first
    assert scratch() <= others
    assert stored(influxdb_server, database) == [[1, 1]]


async def test_async_with(influxdb_server: InfluxDBServer) -> None:
    async with ServerFlavour(influxdb_server.url, "3.9") as flavour:
        answer = await asyncio.to_thread(call, flavour, "GET", "/health")
        assert (answer.status, answer.body) == (200, b"OK")


# -- 2.7: headers, ping, health, authentication -------------------------------------------


def test_v2_version_headers_on_every_answer(v2: ServerFlavour) -> None:
    for answer in (call(v2, "GET", "/ping", auth=None), call(v2, "GET", "/query", auth=None),
                   call(v2, "GET", "/api/v2/nothing"), call(v2, "GET", "/health")):
        assert answer.headers["X-Influxdb-Version"] == "v2.7.11"
        assert answer.headers["X-Influxdb-Build"] == "OSS"


def test_v2_ping_and_health_need_no_token(v2: ServerFlavour) -> None:
    assert call(v2, "GET", "/ping", auth=None).status == 204
    assert call(v2, "HEAD", "/ping", auth=None).status == 204
    assert call(v2, "POST", "/ping", auth=None).status == 405
    health = call(v2, "GET", "/health", auth=None)
    assert health.status == 200
    assert health.json() == {"name": "influxdb", "message": "ready for queries and writes",
                             "status": "pass", "checks": [], "version": "v2.7.11",
                             "commit": "fbf5d4ab5e"}


def test_v2_v1_authentication(v2: ServerFlavour) -> None:
    database = name()
    v2.create_database(database)
    line = b"cpu v=1i"
    basic = base64.b64encode(f"anyone:{v2.token}".encode()).decode()
    accepted = [
        call(v2, "POST", "/write", {"db": database}, line),
        call(v2, "POST", "/write", {"db": database}, line,
             {"Authorization": f"Token someone:{v2.token}"}),
        call(v2, "POST", "/write", {"db": database}, line, {"Authorization": f"Basic {basic}"}),
        call(v2, "POST", "/write", {"db": database, "u": "x", "p": v2.token}, line, auth=None),
    ]
    assert [a.status for a in accepted] == [204] * 4
    for answer in (call(v2, "POST", "/write", {"db": database}, line, auth="Bearer"),
                   call(v2, "POST", "/write", {"db": database, "p": v2.token}, line, auth=None),
                   call(v2, "POST", "/write", {"db": database}, line, auth=None)):
        assert answer.status == 401
        assert answer.json() == {"code": "unauthorized", "message": "unauthorized access"}
        assert answer.headers["X-Platform-Error-Code"] == "unauthorized"
    wrong = call(v2, "POST", "/write", {"db": database}, line, {"Authorization": "Token nope"})
    assert (wrong.status, wrong.json()["message"]) == (401, "Unauthorized")


def test_v2_api_authentication(v2: ServerFlavour) -> None:
    assert call(v2, "GET", "/api/v2/orgs", auth="Bearer").status == 200
    assert call(v2, "GET", "/api/v2/orgs", auth="token").status == 200
    basic = base64.b64encode(f"u:{v2.token}".encode()).decode()
    refused = call(v2, "GET", "/api/v2/orgs", headers={"Authorization": f"Basic {basic}"})
    assert refused.status == 401
    assert refused.json() == {"code": "unauthorized", "message": "unauthorized access"}


# -- 2.7: writing ---------------------------------------------------------------------------


@pytest.mark.parametrize(("precision", "unit"), [
    ("u", 1), ("µ", 1), ("n", 1), ("ns", 1), ("m", 1), ("h", 1), ("xyz", 1), (None, 1),
    ("us", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000),
])
def test_v2_v1_write_precision(v2: ServerFlavour, influxdb_server: InfluxDBServer,
                               precision: str | None, unit: int) -> None:
    """Only us, ms and s are honoured: u (and anything else) is read as ns, silently."""
    database = name()
    v2.create_database(database)
    params = {"db": database} | ({"precision": precision} if precision else {})
    answer = call(v2, "POST", "/write", params, b"cpu v=1i 1700000000")
    assert answer.status == 204
    assert stored(influxdb_server, database) == [[1_700_000_000 * unit, 1]]


def test_v2_v1_write_needs_a_db_and_a_mapping(v2: ServerFlavour) -> None:
    missing = call(v2, "POST", "/write", {}, b"cpu v=1")
    assert (missing.status, missing.json()) == (400, {"code": "invalid", "message": "missing db"})
    unmapped = call(v2, "POST", "/write", {"db": name()}, b"cpu v=1")
    assert (unmapped.status, unmapped.json()) == (
        404, {"code": "not found", "message": "no dbrp mapping found"})
    assert call(v2, "GET", "/write", {"db": "x"}).json()["message"] == "allow: OPTIONS, POST"


def test_v2_v1_write_errors(v2: ServerFlavour, influxdb_server: InfluxDBServer) -> None:
    database = name()
    v2.create_database(database)
    bad = call(v2, "POST", "/write", {"db": database}, b"cpu")
    assert bad.status == 400
    assert bad.json() == {"code": "invalid", "message": "unable to parse 'cpu': missing fields"}
    assert call(v2, "POST", "/write", {"db": database}, b"cpu v=1i 1").status == 204
    conflict = call(v2, "POST", "/write", {"db": database}, b"cpu v=1.5 2")
    assert conflict.status == 422
    assert conflict.json()["message"].startswith(
        "failure writing points to database: partial write: field type conflict:")
    assert stored(influxdb_server, database) == [[1, 1]]


def test_v2_batch_with_a_bad_line_stores_nothing(v2: ServerFlavour,
                                                 influxdb_server: InfluxDBServer) -> None:
    """points_parser.go parsePoints refuses the batch before anything is written (influxd,
    behind, would store the good lines)."""
    database = name()
    v2.create_database(database)
    for path, params in (("/write", {"db": database}),
                         ("/api/v2/write", {"org": v2.org, "bucket": database})):
        answer = call(v2, "POST", path, params, b"cpu v=1i 1\ncpu\ncpu v=3i 3\nmem x\n")
        assert answer.status == 400
        assert answer.json() == {"code": "invalid", "message": "unable to parse 'cpu': missing "
                                 "fields\nunable to parse 'mem x': invalid field format"}
    assert stored(influxdb_server, database) == []
    assert call(v2, "POST", "/write", {"db": database}, b"cpu v=1i 1").status == 204
    assert stored(influxdb_server, database) == [[1, 1]]


def test_v2_v1_write_truncates_the_time_of_points_without_one(
        v2: ServerFlavour, influxdb_server: InfluxDBServer) -> None:
    """models/points.go: h, m and u read explicit timestamps as ns, but SetPrecision
    truncates the time of day given to a point without one."""
    database = name()
    v2.create_database(database)
    hour = 3600 * 10**9
    before = time.time_ns() // hour * hour
    answer = call(v2, "POST", "/write", {"db": database, "precision": "h"},
                  b"cpu v=1i\ncpu v=2i 5\n")
    assert answer.status == 204
    assert call(v2, "POST", "/write", {"db": database, "precision": "h"},
                b"cpu v=3i\n").status == 204  # the same hour: the same point, overwritten
    (explicit, first), (truncated, last) = stored(influxdb_server, database)
    assert (explicit, first) == (5, 2)
    assert truncated % hour == 0
    assert truncated in (before, before + hour)
    assert last == 3
    # An error names the client's line, not the one with a time added to it.
    bad = call(v2, "POST", "/write", {"db": database, "precision": "m"}, b"cpu v=oops\n")
    assert bad.json()["message"] == "unable to parse 'cpu v=oops': invalid boolean"


def test_v2_v1_write_gzip(v2: ServerFlavour, influxdb_server: InfluxDBServer) -> None:
    database = name()
    v2.create_database(database)
    body = gzip.compress(b"cpu v=1i 5\n")
    for encoding in ("gzip", "x-gzip"):
        answer = call(v2, "POST", "/write", {"db": database}, body,
                      {"Content-Encoding": encoding})
        assert answer.status == 204
    broken = call(v2, "POST", "/write", {"db": database}, b"not gzip",
                  {"Content-Encoding": "gzip"})
    assert broken.status == 500
    assert broken.json()["code"] == "internal error"
    assert stored(influxdb_server, database) == [[5, 1]]


def test_v2_api_write(v2: ServerFlavour, influxdb_server: InfluxDBServer) -> None:
    bucket = name()
    created = call(v2, "POST", "/api/v2/buckets", body=json.dumps(
        {"orgID": v2.org_id, "name": bucket}).encode())
    assert created.status == 201
    params = {"org": v2.org, "bucket": bucket, "precision": "us"}
    assert call(v2, "POST", "/api/v2/write", params, b"cpu v=2i 1700000000").status == 204
    params = {"orgID": v2.org_id, "bucket": created.json()["id"], "precision": "s"}
    assert call(v2, "POST", "/api/v2/write", params, b"cpu v=3i 1700000000").status == 204
    assert stored(influxdb_server, bucket) == [[1_700_000_000_000, 2], [T0, 3]]


def test_v2_api_write_errors(v2: ServerFlavour) -> None:
    bucket = name()
    v2.create_database(bucket)
    cases = [
        ({"org": v2.org, "bucket": bucket, "precision": "u"}, 400,
         "invalid precision; valid precision units are ns, us, ms, and s"),
        ({"org": v2.org}, 404, "bucket not found"),
        ({"bucket": bucket}, 400, "Please provide either orgID or org"),
        ({"org": "nobody", "bucket": bucket}, 404, 'organization name "nobody" not found'),
        ({"org": v2.org, "bucket": "nothing"}, 404, 'bucket "nothing" not found'),
    ]
    for params, status, message in cases:
        answer = call(v2, "POST", "/api/v2/write", params, b"cpu v=1")
        assert (answer.status, answer.json()["message"]) == (status, message), params


# -- 2.7: organisations, buckets, DBRP mappings ----------------------------------------------


def test_v2_orgs(v2: ServerFlavour) -> None:
    answer = call(v2, "GET", "/api/v2/orgs", {"org": v2.org})
    assert answer.status == 200
    [org] = answer.json()["orgs"]
    assert (org["id"], org["name"]) == (v2.org_id, v2.org)
    missing = call(v2, "GET", "/api/v2/orgs", {"org": "other"})
    assert (missing.status, missing.json()["message"]) == (
        404, 'organization name "other" not found')


def test_v2_buckets(v2: ServerFlavour, influxdb_server: InfluxDBServer) -> None:
    bucket = name()
    body = {"orgID": v2.org_id, "name": bucket, "retentionRules": [
        {"type": "expire", "everySeconds": 7200}]}
    created = call(v2, "POST", "/api/v2/buckets", body=json.dumps(body).encode())
    assert created.status == 201
    assert created.body.startswith(b"{\n\t\"id\": ")  # kithttp API: tab-indented
    value = created.json()
    assert (value["name"], value["orgID"], value["type"]) == (bucket, v2.org_id, "user")
    assert value["retentionRules"] == [{"type": "expire", "everySeconds": 7200,
                                        "shardGroupDurationSeconds": 0}]
    rps = influxdb_server.query("SHOW RETENTION POLICIES", db=bucket)
    assert rps["results"][0]["series"][0]["values"][0][:2] == ["autogen", "2h0m0s"]

    listed = call(v2, "GET", "/api/v2/buckets", {"org": v2.org}).json()
    names = [b["name"] for b in listed["buckets"]]
    assert {"_monitoring", "_tasks", bucket} <= set(names)
    assert names == sorted(names)
    one = call(v2, "GET", "/api/v2/buckets", {"orgID": v2.org_id, "name": bucket}).json()
    assert [b["id"] for b in one["buckets"]] == [value["id"]]

    again = call(v2, "POST", "/api/v2/buckets", body=json.dumps(body).encode())
    assert (again.status, again.json()["message"]) == (
        422, f"bucket with name {bucket} already exists")
    reserved = call(v2, "POST", "/api/v2/buckets", body=json.dumps(
        {"orgID": v2.org_id, "name": "_mine"}).encode())
    assert reserved.status == 400
    short = call(v2, "POST", "/api/v2/buckets", body=json.dumps(
        {"orgID": v2.org_id, "name": name(), "retentionRules": [{"everySeconds": 60}]}).encode())
    assert (short.status, short.json()["message"]) == (
        500, "retention policy duration must be at least 1h0m0s")


def test_v2_deleted_bucket_takes_its_data_and_mappings(v2: ServerFlavour,
                                                        influxdb_server: InfluxDBServer) -> None:
    bucket = name()
    v2.create_database(bucket)
    assert call(v2, "POST", "/write", {"db": bucket}, b"cpu v=1i 1").status == 204
    [bucket_id] = [b["id"] for b in call(v2, "GET", "/api/v2/buckets",
                                         {"org": v2.org, "name": bucket}).json()["buckets"]]
    assert call(v2, "DELETE", f"/api/v2/buckets/{bucket_id}").status == 204
    assert call(v2, "GET", f"/api/v2/buckets/{bucket_id}").status == 404
    mappings = call(v2, "GET", "/api/v2/dbrps", {"orgID": v2.org_id, "db": bucket}).json()
    assert mappings == {"content": []}
    databases = influxdb_server.query("SHOW DATABASES")["results"][0]["series"][0]["values"]
    assert [bucket] not in databases
    assert call(v2, "POST", "/write", {"db": bucket}, b"cpu v=1i 1").status == 404


def test_v2_virtual_mappings_from_bucket_names(v2: ServerFlavour,
                                               influxdb_server: InfluxDBServer) -> None:
    """A bucket db/rp is database db, retention policy rp (2.4+), on influxd too."""
    database = name()
    for bucket in (database, f"{database}/weekly"):
        created = call(v2, "POST", "/api/v2/buckets", body=json.dumps(
            {"orgID": v2.org_id, "name": bucket}).encode())
        assert created.status == 201
    assert call(v2, "POST", "/write", {"db": database, "rp": "weekly"}, b"cpu v=7i 7").status \
        == 204
    assert call(v2, "POST", "/write", {"db": database}, b"cpu v=8i 8").status == 204
    assert stored(influxdb_server, database, rp="weekly") == [[7, 7]]
    assert stored(influxdb_server, database) == [[8, 8]]
    mappings = call(v2, "GET", "/api/v2/dbrps", {"orgID": v2.org_id, "db": database}).json()
    assert sorted((m["retention_policy"], m["default"], m["virtual"])
                  for m in mappings["content"]) == [("autogen", True, True),
                                                    ("weekly", False, True)]


def test_v2_bucket_without_a_default_mapping(v2: ServerFlavour) -> None:
    """Only bucket db/rp: its virtual mapping is not the database's default."""
    database = name()
    created = call(v2, "POST", "/api/v2/buckets", body=json.dumps(
        {"orgID": v2.org_id, "name": f"{database}/only"}).encode())
    assert created.status == 201
    assert call(v2, "POST", "/write", {"db": database}, b"cpu v=1i 1").status == 404
    assert call(v2, "POST", "/write", {"db": database, "rp": "only"}, b"cpu v=1i 1").status \
        == 204
    answer = call(v2, "GET", "/query", {"db": database, "q": "SELECT * FROM cpu"}).json()
    assert answer["results"] == [
        {"statement_id": 0, "error": f"default retention policy not set for: {database}"}]
    answer = call(v2, "GET", "/query", {"db": database, "rp": "only", "q": "SELECT v FROM cpu",
                                        "epoch": "ns"}).json()
    assert answer["results"][0]["series"][0]["values"] == [[1, 1]]


def test_v2_explicit_mapping(v2: ServerFlavour, influxdb_server: InfluxDBServer) -> None:
    bucket, alias = name(), name()
    created = call(v2, "POST", "/api/v2/buckets", body=json.dumps(
        {"orgID": v2.org_id, "name": bucket}).encode()).json()
    mapping = call(v2, "POST", "/api/v2/dbrps", body=json.dumps(
        {"orgID": v2.org_id, "bucketID": created["id"], "database": alias,
         "retention_policy": "autogen", "default": True}).encode())
    assert mapping.status == 201
    value = mapping.json()
    assert {k: value[k] for k in ("database", "retention_policy", "default", "virtual",
                                  "orgID", "bucketID")} == {
        "database": alias, "retention_policy": "autogen", "default": True, "virtual": False,
        "orgID": v2.org_id, "bucketID": created["id"]}
    listed = call(v2, "GET", "/api/v2/dbrps", {"orgID": v2.org_id, "db": alias}).json()
    assert [m["id"] for m in listed["content"]] == [value["id"]]
    duplicate = call(v2, "POST", "/api/v2/dbrps", body=json.dumps(
        {"orgID": v2.org_id, "bucketID": created["id"], "database": alias,
         "retention_policy": "autogen"}).encode())
    assert duplicate.status == 422

    # Data written through the alias lands in the bucket's place; queries follow it too.
    assert call(v2, "POST", "/write", {"db": alias}, b"cpu v=4i 4").status == 204
    assert stored(influxdb_server, bucket) == [[4, 4]]
    answer = call(v2, "GET", "/query", {"db": alias, "q": "SELECT v FROM cpu", "epoch": "ns"})
    assert answer.json()["results"][0]["series"][0]["values"] == [[4, 4]]

    no_org = call(v2, "GET", "/api/v2/dbrps")
    assert (no_org.status, no_org.json()["message"]) == (
        400, "either 'org' or 'orgID' must be provided")
    assert call(v2, "DELETE", f"/api/v2/dbrps/{value['id']}", {"orgID": v2.org_id}).status == 204
    assert call(v2, "POST", "/write", {"db": alias}, b"cpu v=5i 5").status == 404


def test_v2_create_database_makes_bucket_and_mapping(v2: ServerFlavour) -> None:
    database = name()
    v2.create_database(database)
    v2.create_database(database)  # again: nothing more
    buckets = call(v2, "GET", "/api/v2/buckets", {"org": v2.org, "name": database}).json()
    [bucket] = buckets["buckets"]
    [mapping] = call(v2, "GET", "/api/v2/dbrps", {"org": v2.org, "db": database}).json()[
        "content"]
    assert (mapping["bucketID"], mapping["retention_policy"], mapping["default"],
            mapping["virtual"]) == (bucket["id"], "autogen", True, False)


# -- 2.7: querying ---------------------------------------------------------------------------


@pytest.fixture
def v2_data(v2: ServerFlavour) -> str:
    database = name()
    v2.create_database(database)
    body = b"cpu,host=a v=1.5 1000000000\ncpu,host=b v=2 2000000000\nmem v=3i 3000000000\n"
    assert call(v2, "POST", "/write", {"db": database}, body).status == 204
    return database


def test_v2_query(v2: ServerFlavour, v2_data: str) -> None:
    answer = call(v2, "POST", "/query", body=urllib.parse.urlencode(
        {"db": v2_data, "q": "SELECT v FROM cpu"}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.body == (b'{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":'
                           b'["time","v"],"values":[["1970-01-01T00:00:01Z",1.5],'
                           b'["1970-01-01T00:00:02Z",2]]}]}]}\n')


@pytest.mark.parametrize(("epoch", "first"), [("us", 1_000_000_000), ("n", 1_000_000_000),
                                              ("u", 1_000_000), ("ms", 1_000), ("s", 1)])
def test_v2_query_epoch(v2: ServerFlavour, v2_data: str, epoch: str, first: int) -> None:
    answer = call(v2, "GET", "/query", {"db": v2_data, "q": "SELECT v FROM cpu", "epoch": epoch})
    assert answer.json()["results"][0]["series"][0]["values"][0][0] == first


def test_v2_query_statement_errors(v2: ServerFlavour, v2_data: str) -> None:
    def results(q: str, **params: str) -> list[dict[str, Any]]:
        answer = call(v2, "GET", "/query", {"db": v2_data, "q": q} | params)
        assert answer.status == 200, answer
        return list(answer.json()["results"])

    unmapped = name()
    assert results("SELECT * FROM cpu", db=unmapped) == [
        {"statement_id": 0, "error": f"database not found: {unmapped}"}]
    assert results("SELECT * FROM cpu", rp="nope") == [
        {"statement_id": 0, "error": "retention policy not found: nope"}]
    assert results("CREATE DATABASE x") == [
        {"statement_id": 0, "error": "not implemented: CREATE DATABASE"}]
    assert results("SELECT v INTO other FROM cpu") == [
        {"statement_id": 0, "error": "not implemented: SELECT INTO"}]
    assert results("DROP RETENTION POLICY autogen ON x")[0]["error"] == \
        "not implemented: DROP RETENTION POLICY"
    # After an error, "not executed" results, the first of which hides the real error
    # (influxql/query/executor.go with GatherResults, as in 1.x).
    assert results("SELECT v FROM mem; CREATE USER u WITH PASSWORD 'p'; SELECT v FROM cpu") == [
        {"statement_id": 0, "series": [{"name": "mem", "columns": ["time", "v"],
                                        "values": [["1970-01-01T00:00:03Z", 3]]}]},
        {"statement_id": 1, "error": "not executed"}]


def test_v2_show_databases_and_retention_policies(v2: ServerFlavour, v2_data: str) -> None:
    answer = call(v2, "GET", "/query", {"q": "SHOW DATABASES"}).json()
    [series] = answer["results"][0]["series"]
    assert series["name"] == "databases"
    assert {"_monitoring", "_tasks", v2_data} <= {row[0] for row in series["values"]}
    answer = call(v2, "GET", "/query", {"q": f'SHOW RETENTION POLICIES ON "{v2_data}"'}).json()
    assert answer["results"][0]["series"] == [{
        "columns": ["name", "duration", "shardGroupDuration", "replicaN", "default"],
        "values": [["autogen", "0s", "168h0m0s", 1, True]]}]


def test_v2_query_request_errors(v2: ServerFlavour, v2_data: str) -> None:
    blank = call(v2, "POST", "/query", body=b"q=+", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert (blank.status, blank.body) == (200, b"{}\n")
    no_query = call(v2, "GET", "/query", {"db": v2_data})
    assert (no_query.status, no_query.json()) == (
        400, {"code": "invalid", "message": "mime: no media type"})
    bad = call(v2, "GET", "/query", {"db": v2_data, "q": "SELECT FROM"})
    assert bad.status == 400
    assert bad.json()["message"].startswith("failed to parse query: found FROM")
    raw = call(v2, "POST", "/query", {"db": v2_data}, b"SELECT v FROM mem",
               {"Content-Type": "application/vnd.influxql"})
    assert raw.json()["results"][0]["series"][0]["name"] == "mem"


def test_v2_query_formats(v2: ServerFlavour, v2_data: str) -> None:
    params = {"db": v2_data, "q": "SELECT v FROM cpu"}
    packed = call(v2, "GET", "/query", params, headers={"Accept": "application/x-msgpack"})
    assert packed.headers["Content-Type"] == "application/x-msgpack"
    decoded = msgpack.unpackb(packed.body, timestamp=3)
    assert decoded["results"][0]["series"][0]["values"][0][1] == 1.5
    csv = call(v2, "GET", "/query", params, headers={"Accept": "application/csv"})
    assert csv.headers["Content-Type"] == "application/csv"
    assert csv.body == b"name,tags,time,v\ncpu,,1000000000,1.5\ncpu,,2000000000,2\n"
    # Anything but an exact match is JSON (query_request.go EncodingFormatFromMimeType).
    loose = call(v2, "GET", "/query", params, headers={"Accept": "application/json, */*"})
    assert loose.headers["Content-Type"] == "application/json"


def test_v2_query_value_types(v2: ServerFlavour) -> None:
    """2.7 answers as 1.x does (influxql/query/response_writer.go): Go's encoding/json
    writes a whole float as an integer, and MessagePack keeps float64 and int64 apart."""
    database = name()
    v2.create_database(database)
    assert call(v2, "POST", "/write", {"db": database}, FLOATS).status == 204
    params = {"db": database, "q": "SELECT * FROM m"}
    values = call(v2, "GET", "/query", params).body.split(b'"values":[[')[1].split(b"]]")[0]
    assert values == b'"1970-01-01T00:00:01Z",1e+100,10000000000000000,1,2.5,3,1e-7,0.00001'
    packed = call(v2, "GET", "/query", params, headers={"Accept": "application/x-msgpack"})
    row = msgpack.unpackb(packed.body, timestamp=3)["results"][0]["series"][0]["values"][0]
    assert [type(value) for value in row[1:]] == [float] * 4 + [int] + [float] * 2
    assert row[1:] == [1e100, 1e16, 1.0, 2.5, 3, 1e-7, 0.00001]


def test_v2_query_mixed_statements_in_msgpack_and_csv(v2: ServerFlavour, v2_data: str) -> None:
    params = {"db": v2_data, "q": "SHOW DATABASES; SELECT v FROM mem; DROP SERIES FROM cpu"}
    packed = call(v2, "GET", "/query", params, headers={"Accept": "application/x-msgpack"})
    results = msgpack.unpackb(packed.body, timestamp=3)["results"]
    assert results[0]["series"][0]["name"] == "databases"
    assert results[1]["statement_id"] == 1
    assert results[1]["series"][0]["values"][0][1] == 3
    assert results[2] == {"error": "not implemented: DROP SERIES"}
    csv = call(v2, "GET", "/query", params, headers={"Accept": "text/csv"}).body.decode()
    assert csv.endswith("\nname,tags,time,v\nmem,,3000000000,3\n")


def test_v2_query_answers_gzipped(v2: ServerFlavour, v2_data: str) -> None:
    body = b"".join(b"big,n=%d v=%di %d\n" % (i, i, i) for i in range(100))
    assert call(v2, "POST", "/write", {"db": v2_data}, body).status == 204
    params = {"db": v2_data, "q": "SELECT * FROM big"}
    answer = call(v2, "GET", "/query", params, headers={"Accept-Encoding": "gzip"})
    assert answer.headers["Content-Encoding"] == "gzip"
    assert answer.headers["Vary"] == "Accept-Encoding"
    assert len(json.loads(gzip.decompress(answer.body))["results"][0]["series"][0]["values"]) \
        == 100
    small = call(v2, "GET", "/query", {"db": v2_data, "q": "SELECT v FROM mem"},
                 headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers  # under gziphandler's 1400 bytes


# -- 3.x: ping, health, authentication ----------------------------------------------------


def test_v3_everything_needs_the_token(v3: ServerFlavour) -> None:
    for path in ("/ping", "/health", "/query", "/api/v3/configure/database", "/nothing"):
        answer = call(v3, "GET", path, auth=None)
        assert answer.status == 401, path
        expected = b'{"error": "the request was not authenticated"}' if v3.name == "3.9" \
            else b""
        assert answer.body == expected
    assert call(v3, "GET", "/health", auth="Bearer").status == 200
    assert call(v3, "GET", "/health", auth="Token").status == 200
    wrong = call(v3, "GET", "/health", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401
    malformed = call(v3, "GET", "/health", headers={"Authorization": "Bearer a b"})
    assert malformed.status == 400
    assert "Authorization header was malformed" in malformed.json()["error"]


def test_v3_basic_and_p_parameter(v3: ServerFlavour) -> None:
    basic = base64.b64encode(f"user:{v3.token}".encode()).decode()
    answer = call(v3, "GET", "/health", headers={"Authorization": f"Basic {basic}"})
    assert answer.status == (400 if v3.name == "3.0" else 200)
    # (A database of the test's own: the suite's influxd must not get an _internal.)
    v3.create_database("basic_and_p")
    query = call(v3, "GET", "/query", {"q": "SHOW MEASUREMENTS", "db": "basic_and_p",
                                       "p": v3.token}, auth=None)
    assert query.status != 401
    assert call(v3, "GET", "/health", {"p": v3.token}, auth=None).status == 401


def test_v3_ping(v3: ServerFlavour) -> None:
    answer = call(v3, "GET", "/ping")
    assert answer.status == 200
    body = answer.json()
    keys = {"3.0": ["version", "revision"], "3.6": ["version", "revision", "process_id"],
            "3.9": ["product_name", "version", "revision", "process_id"]}[v3.name]
    assert list(body) == keys
    assert body["version"] == v3.version
    if v3.name == "3.0":
        assert "X-Influxdb-Version" not in answer.headers
    else:
        assert answer.headers["X-Influxdb-Version"] == v3.version
        assert answer.headers["X-Influxdb-Build"] == "Core"
        assert "X-Influxdb-Version" not in call(v3, "GET", "/health").headers
    if v3.name == "3.9":
        assert body["product_name"] == "InfluxDB 3 Core"
    assert call(v3, "POST", "/ping").status == 200
    head = call(v3, "HEAD", "/ping")
    assert head.status == 404
    assert call(v3, "GET", "/health").body == b"OK"


# -- 3.x: writing ------------------------------------------------------------------------


def test_v3_v1_write(v3: ServerFlavour, influxdb_server: InfluxDBServer) -> None:
    database = name()
    assert call(v3, "POST", "/write", {"db": database}, b"cpu v=1i 1").status == 204
    assert call(v3, "POST", "/write", {"db": database, "precision": "u"},
                b"cpu v=2i 2").status == 204
    assert call(v3, "POST", "/write", {"db": database, "rp": "Weekly"}, b"cpu v=3i 3").status \
        == 204
    assert call(v3, "POST", "/write", {"db": database, "rp": "autogen"}, b"cpu v=4i 4").status \
        == 204
    assert stored(influxdb_server, database) == [[1, 1], [4, 4], [2_000, 2]]
    assert stored(influxdb_server, database, rp="weekly") == [[3, 3]]
    listed = call(v3, "GET", "/api/v3/configure/database", {"format": "json"}).json()
    assert {"iox::database": database} in listed
    assert {"iox::database": f"{database}/weekly"} in listed


@pytest.mark.parametrize("precision", ["m", "h", "µ", "", "xyz"])
def test_v3_v1_write_refuses_precision(v3: ServerFlavour, precision: str) -> None:
    answer = call(v3, "POST", "/write", {"db": name(), "precision": precision}, b"cpu v=1 1")
    assert answer.status == 400
    assert answer.json()["error"] == (
        f"failed to deserialize db/rp/precision in request: unknown variant `{precision}`, "
        "expected one of `s`, `second`, `millisecond`, `ms`, `microsecond`, `u`, `us`, `n`, "
        "`nanosecond`, `ns`")


def test_v3_v1_write_rejects_the_batch_answer(v3: ServerFlavour) -> None:
    answer = call(v3, "POST", "/write", {"db": name()}, b"cpu v=1i 1\ncpu\n")
    assert answer.status == 400
    body = answer.json()
    assert body["error"] == "parsing failed for write_lp endpoint"
    assert isinstance(body["data"], dict)
    assert body["data"]["line_number"] == 2
    assert body["data"]["original_line"] == "cpu"
    order = ["original_line", "line_number", "error_message"] if v3.name == "3.0" else \
        ["error_message", "line_number", "original_line"]
    assert list(body["data"]) == order


def test_v3_write_lp(v3: ServerFlavour, influxdb_server: InfluxDBServer) -> None:
    database = name()
    body = b"cpu v=1i 1700000000\ncpu v=2i 1700000001000\ncpu v=3i 1700000002000000\n" \
           b"cpu v=4i 1700000003000000000\n"
    assert call(v3, "POST", "/api/v3/write_lp", {"db": database}, body).status == 204
    seconds = 1_000_000_000
    assert stored(influxdb_server, database) == [[T0 + i * seconds, i + 1] for i in range(4)]
    explicit = call(v3, "POST", "/api/v3/write_lp", {"db": database, "precision": "second"},
                    b"cpu v=5i 1700000004")
    assert explicit.status == 204
    short = call(v3, "POST", "/api/v3/write_lp", {"db": database, "precision": "s"},
                 b"cpu v=6i 1700000005")
    assert short.status == (400 if v3.name == "3.0" else 204)


def test_v3_write_lp_partial(v3: ServerFlavour, influxdb_server: InfluxDBServer) -> None:
    database = name()
    answer = call(v3, "POST", "/api/v3/write_lp", {"db": database},
                  b"cpu v=1i 1\nbad\ncpu v=3i 3\n")
    assert answer.status == 400
    body = answer.json()
    assert body["error"] == "partial write of line protocol occurred"
    assert [(e["line_number"], e["original_line"]) for e in body["data"]] == [(2, "bad")]
    # The good lines are stored; precision=auto took 1 and 3 for seconds.
    assert stored(influxdb_server, database) == [[1_000_000_000, 1], [3_000_000_000, 3]]
    empty = call(v3, "POST", "/api/v3/write_lp", {"db": database}, b"\n\n")
    assert (empty.status, empty.body) == (400, b"incoming write was empty")
    no_db = call(v3, "POST", "/api/v3/write_lp", {"precision": "auto"}, b"cpu v=1")
    assert (no_db.status, no_db.body) == (400, b"serde error: missing field `db`")


def listed_databases(flavour: ServerFlavour) -> list[str]:
    answer = call(flavour, "GET", "/api/v3/configure/database", {"format": "json"})
    return [row["iox::database"] for row in answer.json()]


def test_v3_refused_batches_store_nothing(v3: ServerFlavour,
                                          influxdb_server: InfluxDBServer) -> None:
    """validator.rs v1_parse_lines_and_catalog_updates returns at the first bad line when
    partial writes are not accepted (/write, /api/v2/write, write_lp with
    accept_partial=false): nothing is written, and a new database is not committed."""
    body = b"cpu v=1i 1\nbad\ncpu v=3i 3\n"
    for path, params in (("/write", {"db": name()}), ("/api/v2/write", {"bucket": name()}),
                         ("/api/v3/write_lp", {"db": name(), "accept_partial": "false"})):
        answer = call(v3, "POST", path, params, body)
        assert answer.status == 400
        database = params.get("db") or params["bucket"]
        assert stored(influxdb_server, database) == []
        assert database not in listed_databases(v3)
    database = name()
    refused = call(v3, "POST", "/api/v3/write_lp", {"db": database, "accept_partial": "false"},
                   body)
    # http.rs IntoResponse for WriteBufferError::ParseError: data is one line, an object.
    assert refused.json()["error"] == "parsing failed for write_lp endpoint"
    assert (refused.json()["data"]["line_number"], refused.json()["data"]["original_line"]) \
        == (2, "bad")
    # Types conflicting inside the batch refuse it too.
    conflict = call(v3, "POST", "/write", {"db": database}, b"cpu v=1i 1\ncpu v=\"x\" 2\n")
    assert conflict.status == 400
    assert stored(influxdb_server, database) == []


def test_v3_write_lp_flags(v3: ServerFlavour, influxdb_server: InfluxDBServer) -> None:
    """http.rs WriteParams: accept_partial and no_sync are Option<bool> (serde_urlencoded)."""
    database = name()
    assert call(v3, "POST", "/api/v3/write_lp", {"db": database, "no_sync": "true"},
                b"cpu v=1i 1").status == 204
    assert call(v3, "POST", "/api/v3/write_lp", {"db": database, "no_sync": "false",
                                                 "accept_partial": "true"},
                b"cpu v=2i 2").status == 204
    assert stored(influxdb_server, database) == [[1_000_000_000, 1], [2_000_000_000, 2]]
    for flag in ("no_sync", "accept_partial"):
        for value in ("yes", "1", ""):
            answer = call(v3, "POST", "/api/v3/write_lp", {"db": database, flag: value},
                          b"cpu v=3i 3")
            assert (answer.status, answer.body) == (
                400, b"serde error: provided string was not `true` or `false`")
    assert len(stored(influxdb_server, database)) == 2


def test_v3_line_numbers_and_original_lines(v3: ServerFlavour) -> None:
    """line_number counts the points (parse_lines skips blank lines and comments, and a
    string may hold a newline); original_line is that line of str::lines, which counts
    them all (validator.rs), so it can name another line."""
    def details(body: bytes) -> list[tuple[int, str]]:
        answer = call(v3, "POST", "/api/v3/write_lp", {"db": name()}, body)
        assert answer.status == 400
        return [(e["line_number"], e["original_line"]) for e in answer.json()["data"]]

    assert details(b"\n# comment\ncpu v=1i 1\nbad\n") == [(2, "# comment")]
    assert details(b'cpu s="a\nb" 1\nbad\n') == [(2, 'b" 1')]
    # precision=auto rewrote the timestamp influxd saw; the error is still the client's line.
    assert details(b"cpu v=1i 1\ncpu v=oops 2\n") == [(2, "cpu v=oops 2")]


def test_v3_line_cut_inside_a_character(v3: ServerFlavour,
                                        influxdb_server: InfluxDBServer) -> None:
    """From 3.6, WriteLineError's Serialize cuts original_line with
    ``&self.original_line[..20]``, which panics inside a character: no answer at all."""
    database = name()
    body = "cpu v=1i 1\n" + "a" * 19 + "é\n"
    if v3.name == "3.0":
        answer = call(v3, "POST", "/api/v3/write_lp", {"db": database}, body.encode())
        assert answer.json()["data"][0]["original_line"] == "a" * 19 + "é"
    else:
        with pytest.raises((http.client.HTTPException, OSError)):
            call(v3, "POST", "/api/v3/write_lp", {"db": database}, body.encode())
        assert v3.wait_for_requests(1, path="/api/v3/write_lp")[-1].status is None
        cut = call(v3, "POST", "/api/v3/write_lp", {"db": database},
                   ("a" * 20 + "é").encode())
        assert cut.json()["data"][0]["original_line"] == "a" * 20
    assert stored(influxdb_server, database) == [[1_000_000_000, 1]]


def test_v3_empty_write_makes_the_database(v3: ServerFlavour) -> None:
    """The catalog transaction that makes the database is committed before EmptyWrite."""
    database = name()
    answer = call(v3, "POST", "/api/v3/write_lp", {"db": database}, b"\n# nothing\n")
    assert (answer.status, answer.body) == (400, b"incoming write was empty")
    assert database in listed_databases(v3)


def test_v3_time_of_points_without_one(v3: ServerFlavour,
                                       influxdb_server: InfluxDBServer) -> None:
    """A point without a timestamp gets the time of day: truncated to the precision from
    3.6 (Precision::to_nanos), as it is in 3.0 (validator.rs ingest_time)."""
    database = name()
    before = time.time_ns()
    answer = call(v3, "POST", "/write", {"db": database, "precision": "s"},
                  b"cpu v=1i\ncpu v=2i 5\n")
    assert answer.status == 204
    (explicit, second), (given, first) = stored(influxdb_server, database)
    assert (explicit, second, first) == (5_000_000_000, 2, 1)
    assert before // 10**9 * 10**9 <= given <= time.time_ns()
    assert (given % 10**9 == 0) == (v3.name != "3.0")


def test_v3_request_bodies(v3: ServerFlavour, influxdb_server: InfluxDBServer) -> None:
    database = name()
    packed = gzip.compress(b"cpu v=1i 1")
    assert call(v3, "POST", "/write", {"db": database}, packed,
                {"Content-Encoding": "gzip"}).status == 204
    refused = call(v3, "POST", "/write", {"db": database}, packed,
                   {"Content-Encoding": "x-gzip"})
    assert (refused.status, refused.body) == (400, b"unacceptable content-encoding: x-gzip")
    assert stored(influxdb_server, database) == [[1, 1]]
    bad_name = call(v3, "POST", "/api/v3/write_lp", {"db": "_hidden"}, b"cpu v=1")
    assert bad_name.status == 400
    assert bad_name.json() == {"error": "db name did not start with a number or letter"}


def test_v3_api_v2_write(v3: ServerFlavour, influxdb_server: InfluxDBServer) -> None:
    database = name()
    params = {"bucket": database, "org": "ignored", "precision": "s"}
    assert call(v3, "POST", "/api/v2/write", params, b"cpu v=1i 1").status == 204
    assert stored(influxdb_server, database) == [[1_000_000_000, 1]]
    bad = call(v3, "POST", "/api/v2/write", {"bucket": database}, b"cpu")
    assert bad.status == 400
    if v3.name == "3.0":
        assert bad.json()["error"] == "parsing failed for write_lp endpoint"
    else:
        assert bad.json() == {"code": "invalid",
                              "message": "write buffer error: parsing for line protocol failed"}


def test_v3_create_database_helper(v3: ServerFlavour, influxdb_server: InfluxDBServer) -> None:
    database = name()
    v3.create_database(database)
    listed = call(v3, "GET", "/api/v3/configure/database", {"format": "json"}).json()
    assert {"iox::database": database} in listed
    assert [database] in influxdb_server.query("SHOW DATABASES")["results"][0]["series"][0][
        "values"]
    v3.stop()
    with pytest.raises(InfluxDBServerError):
        v3.create_database(name())


# -- 3.x: databases ----------------------------------------------------------------------


def test_v3_configure_database(v3: ServerFlavour, influxdb_server: InfluxDBServer) -> None:
    database = name()
    no_format = call(v3, "GET", "/api/v3/configure/database")
    assert (no_format.status, no_format.body) == (400, b"serde error: missing field `format`")
    headers = {"Content-Type": "application/json"}
    created = call(v3, "POST", "/api/v3/configure/database",
                   body=json.dumps({"db": database}).encode(), headers=headers)
    assert (created.status, created.body) == (200, b"")
    again = call(v3, "POST", "/api/v3/configure/database",
                 body=json.dumps({"db": database}).encode(), headers=headers)
    assert (again.status, again.body) == (409, b"attempted to create a resource that already "
                                               b"exists")
    listed = call(v3, "GET", "/api/v3/configure/database", {"format": "json"})
    assert listed.headers["Content-Type"] == "application/json"
    assert {"iox::database": "_internal"} in listed.json()
    assert {"iox::database": database} in listed.json()

    assert call(v3, "POST", "/write", {"db": database}, b"cpu v=1i 1").status == 204
    assert call(v3, "DELETE", "/api/v3/configure/database", {"db": database}).status == 200
    assert {"iox::database": database} not in call(v3, "GET", "/api/v3/configure/database",
                                                   {"format": "json"}).json()
    assert stored(influxdb_server, database) == []
    missing = call(v3, "DELETE", "/api/v3/configure/database", {"db": database})
    message = b"the requested resource was not found"
    assert (missing.status, missing.body) == (
        404, message + (f": {database}".encode() if v3.name == "3.9" else b""))


def test_v3_database_retention_period(v3: ServerFlavour) -> None:
    database = name()
    answer = call(v3, "POST", "/api/v3/configure/database",
                  body=json.dumps({"db": database, "retention_period": "7d"}).encode(),
                  headers={"Content-Type": "application/json"})
    assert answer.status == 200
    if v3.name == "3.9":
        rps = call(v3, "GET", "/query", {"q": "SHOW RETENTION POLICIES", "db": database}).json()
        assert rps["results"][0]["series"][0]["values"] == [[database, "168h0m0s", True]]
    unsupported = call(v3, "POST", "/api/v3/configure/database",
                       body=json.dumps({"db": name()}).encode(),
                       headers={"Content-Type": "text/plain"})
    assert unsupported.status == 415


# -- 3.x: querying -----------------------------------------------------------------------


@pytest.fixture
def v3_data(v3: ServerFlavour) -> str:
    database = name()
    body = b"cpu,host=a v=1.5 1000000000\ncpu,host=b v=2 2000000000\nmem v=3i 3000000000\n"
    assert call(v3, "POST", "/write", {"db": database}, body).status == 204
    return database


def test_v3_query_json(v3: ServerFlavour, v3_data: str) -> None:
    answer = call(v3, "GET", "/query", {"db": v3_data, "q": "SELECT v FROM cpu"})
    assert answer.status == 200
    whole = b"2" if v3.name == "3.9" else b"2.0"  # 3.9 writes whole floats as integers
    expected = (b'{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],'
                b'"values":[["1970-01-01T00:00:01Z",1.5],["1970-01-01T00:00:02Z",' + whole
                + b"]]}]}]}")
    assert answer.body == expected + (b"" if v3.name == "3.9" else b"\r\n")


def test_v3_query_msgpack(v3: ServerFlavour, v3_data: str) -> None:
    answer = call(v3, "GET", "/query", {"db": v3_data, "q": "SELECT v FROM cpu"},
                  headers={"Accept": "application/x-msgpack"})
    if v3.name != "3.9":
        assert (answer.status, answer.body) == (500, b"invalid mime type (application/x-msgpack)")
        return
    assert answer.headers["Content-Type"] == "application/x-msgpack"
    assert msgpack.unpackb(answer.body) == [[[0, [["cpu", ["time", "v"], [
        ["1970-01-01T00:00:01Z", 1.5], ["1970-01-01T00:00:02Z", 2]]]]]]]


def test_v3_query_errors(v3: ServerFlavour, v3_data: str) -> None:
    missing = name()
    answer = call(v3, "GET", "/query", {"db": missing, "q": "SELECT * FROM cpu"})
    several = call(v3, "GET", "/query",
                   {"db": v3_data, "q": "SELECT v FROM cpu; SELECT v FROM mem"})
    ddl = call(v3, "GET", "/query", {"db": v3_data, "q": "CREATE DATABASE x"})
    user = call(v3, "GET", "/query", {"db": v3_data, "q": "CREATE USER u WITH PASSWORD 'p'"})
    parse_error = ("error in InfluxQL statement: parsing error: Invalid CREATE statement, "
                   "expected DATABASE following CREATE at pos 7")
    if v3.name == "3.9":
        assert answer.json() == {"results": [{"statement_id": 0, "error": "Cannot retrieve "
                                 f"database: External error: database not found: {missing}"}]}
        assert [r["statement_id"] for r in several.json()["results"]] == [0, 1]
        assert ddl.json()["results"][0]["error"] == \
            "datafusion error: This feature is not implemented: CREATE DATABASE"
        assert user.json() == {"results": [{"statement_id": 0, "error": parse_error}]}
    else:
        assert (answer.status, answer.json()) == (
            404, {"error": f"query error: database not found: {missing}"})
        assert (several.status, several.body) == (
            500, b"must provide only one InfluxQl statement per query")
        assert (ddl.status, ddl.body) == (500, b"query error: error while planning query: This "
                                               b"feature is not implemented: CREATE DATABASE")
        assert (user.status, user.body) == (500, parse_error.encode())


@pytest.mark.parametrize(("epoch", "first"), [
    ("u", 1_000_000), ("µ", 1_000_000), ("ms", 1_000), ("s", 1), ("us", None), ("n", None),
    ("d", 0),
])
def test_v3_query_epoch(v3: ServerFlavour, v3_data: str, epoch: str, first: int | None) -> None:
    answer = call(v3, "GET", "/query", {"db": v3_data, "q": "SELECT v FROM cpu", "epoch": epoch})
    if epoch == "d" and v3.name != "3.9":
        first = None
    if first is None:
        assert answer.status == 400
        message = answer.json()["error"] if v3.name == "3.9" else answer.body.decode()
        assert f"unknown variant `{epoch}`" in message
        return
    assert answer.json()["results"][0]["series"][0]["values"][0][0] == first


def test_v3_query_series_order_and_chunks(v3: ServerFlavour, v3_data: str) -> None:
    q = "SELECT v FROM cpu, mem"
    buffered = call(v3, "GET", "/query", {"db": v3_data, "q": q}).json()
    names = [s["name"] for s in buffered["results"][0]["series"]]
    # 3.0-3.6 push series to the front of a VecDeque and drain it from the front.
    assert names == (["cpu", "mem"] if v3.name == "3.9" else ["mem", "cpu"])
    chunked = call(v3, "GET", "/query", {"db": v3_data, "q": q, "chunked": "true",
                                         "chunk_size": "1"}).body
    if v3.name == "3.9":
        documents = [json.loads(d) for d in chunked.replace(b"}]}{", b"}]}\n{").split(b"\n")]
        assert [d["results"][0].get("partial", False) for d in documents] == [True, True, False]
        assert [d["results"][0]["series"][0].get("partial", False) for d in documents] == [
            True, False, False]
    else:
        documents = [json.loads(d) for d in chunked.split(b"\r\n") if d]
        assert ["partial" in json.dumps(d) for d in documents] == [False] * 3
        assert [d["results"][0]["series"][0]["name"] for d in documents] == ["cpu", "cpu", "mem"]


def test_v3_query_chunked_statement_without_rows(v3: ServerFlavour, v3_data: str) -> None:
    params = {"db": v3_data, "q": "SELECT v FROM cpu WHERE time > now()", "chunked": "true"}
    answer = call(v3, "GET", "/query", params)
    assert answer.status == 200
    if v3.name == "3.9":
        assert answer.body == b""
    else:
        assert answer.body == b'{"results":[{"statement_id":0}]}\r\n'


def test_v3_query_csv(v3: ServerFlavour, v3_data: str) -> None:
    answer = call(v3, "GET", "/query", {"db": v3_data, "q": "SELECT v FROM cpu"},
                  headers={"Accept": "text/csv"})
    assert answer.headers["Content-Type"] == "application/csv"
    expected = {
        "3.0": b"name,tags,time,v\ncpu,,1970-01-01T00:00:01Z,1.5\ncpu,,1970-01-01T00:00:02Z,2.0"
               b"\n\r\n",
        "3.6": b"name,tags,time,v\ncpu,,1000000000,1.5\ncpu,,2000000000,2.0\n\r\n",
        "3.9": b"name,tags,time,v\ncpu,,1000000000,1.5\ncpu,,2000000000,2\n",
    }[v3.name]
    assert answer.body == expected


def test_v3_query_float_text(v3: ServerFlavour) -> None:
    """Floats as each server's JSON writes an f64: 3.0 and 3.6 build serde_json Numbers
    (v1.rs cast_column_value), written with ryu (serde_json 1.0.134, 1.0.145): 1.0, 1e100,
    1e-7, 0.00001. 3.9's ValueSerializer (v1api/value.rs) writes whole floats below 2**63
    as integers, and the rest with zmij (serde_json 1.0.149): 1e+100. CSV: 3.0 and 3.6
    write serde_json's text, 3.9 Rust's Display (never an exponent)."""
    database = name()
    assert call(v3, "POST", "/write", {"db": database}, FLOATS).status == 204
    params = {"db": database, "q": "SELECT * FROM m"}
    values = call(v3, "GET", "/query", params).body.split(b'"values":[[')[1].split(b"]]")[0]
    csv = call(v3, "GET", "/query", params, headers={"Accept": "text/csv"}).body
    if v3.name == "3.9":
        assert values == b'"1970-01-01T00:00:01Z",1e+100,10000000000000000,1,2.5,3,1e-7,0.00001'
        assert csv.splitlines()[1] == b"m,,1000000000," + b"1" + b"0" * 100 + \
            b",10000000000000000,1,2.5,3,0.0000001,0.00001"
    else:
        assert values == b'"1970-01-01T00:00:01Z",1e100,1e16,1.0,2.5,3,1e-7,0.00001'
        assert csv.splitlines()[1].endswith(b",1e100,1e16,1.0,2.5,3,1e-7,0.00001")
    pretty = call(v3, "GET", "/query", params | {"pretty": "true"}).body
    assert (b"1e+100" if v3.name == "3.9" else b"1e100") in pretty


def test_v3_show_databases(v3: ServerFlavour, v3_data: str) -> None:
    if v3.name == "3.9":
        answer = call(v3, "GET", "/query", {"q": "SHOW DATABASES"}).json()
        [series] = answer["results"][0]["series"]
        assert series["name"] == "databases"
        assert series["values"][0] == ["_internal"]
        assert [v3_data] in series["values"]
        rps = call(v3, "GET", "/query", {"q": f"SHOW RETENTION POLICIES ON {v3_data}"}).json()
        assert rps["results"][0]["series"] == [{
            "name": "retention_policies", "columns": ["name", "duration", "default"],
            "values": [[v3_data, "0s", True]]}]
        return
    # 3.0-3.6: the rows have no iox::measurement, so the answer's body breaks off.
    with pytest.raises((http.client.HTTPException, OSError)):
        call(v3, "GET", "/query", {"q": "SHOW DATABASES"})
    missing = call(v3, "GET", "/query", {"q": "SHOW RETENTION POLICIES ON nothing"})
    assert (missing.status, missing.json()) == (
        404, {"error": "query error: database not found: nothing"})


def test_v3_no_response_compression(v3: ServerFlavour, v3_data: str) -> None:
    body = b"".join(b"big,n=%d v=%di %d\n" % (i, i, i) for i in range(100))
    assert call(v3, "POST", "/write", {"db": v3_data}, body).status == 204
    answer = call(v3, "GET", "/query", {"db": v3_data, "q": "SELECT * FROM big"},
                  headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in answer.headers
    assert len(answer.body) > 1400
