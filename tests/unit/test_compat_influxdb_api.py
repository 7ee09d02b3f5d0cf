"""``influxkit.compat.influxdb`` without a server: influxdb-python's signatures, its
``ResultSet`` over recorded answers, its exceptions, and what is refused before anything
is sent.

The signatures are influxdb-python 5.3's, written out here as data (the package is never
imported); the answers are influxd 1.6.7's, recorded; what influxdb-python's
``ResultSet`` makes of them was observed with influxdb-python 5.3.2 and is written out
too. Clients here point at a port where nothing listens: a refusal that is not a
connection error proves nothing was sent.
"""

from __future__ import annotations

import copy
import datetime
import inspect
import math
import pickle
import types
from collections.abc import Callable
from typing import Any, ClassVar

import pytest

import influxkit
from influxkit._errors import http_error, query_error
from influxkit.compat import influxdb
from influxkit.compat.influxdb import DataFrameClient, InfluxDBClient, SeriesHelper
from influxkit.compat.influxdb.exceptions import (
    InfluxDBClientError,
    InfluxDBServerError,
    translate,
)
from influxkit.compat.influxdb.line_protocol import (
    make_line,
    make_lines,
    quote_ident,
    quote_literal,
)
from influxkit.compat.influxdb.resultset import ResultSet

SECRET = "pa55-W0rd-not-to-show"

# -- signatures ---------------------------------------------------------------------------

# influxdb-python 5.3's signatures, parameter by parameter after ``self``/``cls``, as
# ``inspect.signature`` renders them without annotations.
SIGNATURES: dict[str, str] = {
    "InfluxDBClient.__init__":
        "host='localhost', port=8086, username='root', password='root', database=None, "
        "ssl=False, verify_ssl=False, timeout=None, retries=3, use_udp=False, "
        "udp_port=4444, proxies=None, pool_size=10, path='', cert=None, gzip=False, "
        "session=None, headers=None, socket_options=None",
    "InfluxDBClient.from_dsn": "dsn, **kwargs",
    "InfluxDBClient.switch_database": "database",
    "InfluxDBClient.switch_user": "username, password",
    "InfluxDBClient.request":
        "url, method='GET', params=None, data=None, stream=False, "
        "expected_response_code=200, headers=None",
    "InfluxDBClient.write": "data, params=None, expected_response_code=204, protocol='json'",
    "InfluxDBClient.query":
        "query, params=None, bind_params=None, epoch=None, expected_response_code=200, "
        "database=None, raise_errors=True, chunked=False, chunk_size=0, method='GET'",
    "InfluxDBClient.write_points":
        "points, time_precision=None, database=None, retention_policy=None, tags=None, "
        "batch_size=None, protocol='json', consistency=None",
    "InfluxDBClient.ping": "",
    "InfluxDBClient.get_list_database": "",
    "InfluxDBClient.get_list_series": "database=None, measurement=None, tags=None",
    "InfluxDBClient.create_database": "dbname",
    "InfluxDBClient.drop_database": "dbname",
    "InfluxDBClient.get_list_measurements": "",
    "InfluxDBClient.drop_measurement": "measurement",
    "InfluxDBClient.create_retention_policy":
        "name, duration, replication, database=None, default=False, shard_duration='0s'",
    "InfluxDBClient.alter_retention_policy":
        "name, database=None, duration=None, replication=None, default=None, "
        "shard_duration=None",
    "InfluxDBClient.drop_retention_policy": "name, database=None",
    "InfluxDBClient.get_list_retention_policies": "database=None",
    "InfluxDBClient.get_list_users": "",
    "InfluxDBClient.create_user": "username, password, admin=False",
    "InfluxDBClient.drop_user": "username",
    "InfluxDBClient.set_user_password": "username, password",
    "InfluxDBClient.delete_series": "database=None, measurement=None, tags=None",
    "InfluxDBClient.grant_admin_privileges": "username",
    "InfluxDBClient.revoke_admin_privileges": "username",
    "InfluxDBClient.grant_privilege": "privilege, database, username",
    "InfluxDBClient.revoke_privilege": "privilege, database, username",
    "InfluxDBClient.get_list_privileges": "username",
    "InfluxDBClient.get_list_continuous_queries": "",
    "InfluxDBClient.create_continuous_query": "name, select, database=None, resample_opts=None",
    "InfluxDBClient.drop_continuous_query": "name, database=None",
    "InfluxDBClient.send_packet": "packet, protocol='json', time_precision=None",
    "InfluxDBClient.close": "",
    "InfluxDBClient.__enter__": "",
    "DataFrameClient.__init__":
        "host='localhost', port=8086, username='root', password='root', database=None, "
        "ssl=False, verify_ssl=False, timeout=None, retries=3, use_udp=False, "
        "udp_port=4444, proxies=None, pool_size=10, path='', cert=None, gzip=False, "
        "session=None, headers=None, socket_options=None",
    "DataFrameClient.write_points":
        "dataframe, measurement, tags=None, tag_columns=None, field_columns=None, "
        "time_precision=None, database=None, retention_policy=None, batch_size=None, "
        "protocol='line', numeric_precision=None",
    "DataFrameClient.query":
        "query, params=None, bind_params=None, epoch=None, expected_response_code=200, "
        "database=None, raise_errors=True, chunked=False, chunk_size=0, method='GET', "
        "dropna=True, data_frame_index=None",
    "ResultSet.__init__": "series, raise_errors=True",
    "ResultSet.get_points": "measurement=None, tags=None",
    "ResultSet.keys": "",
    "ResultSet.items": "",
    "ResultSet.__getitem__": "key",
    "ResultSet.point_from_cols_vals": "cols, vals",
    "InfluxDBClientError.__init__": "content, code=None",
    "InfluxDBServerError.__init__": "content",
    "SeriesHelper.__init__": "**kw",
    "SeriesHelper.commit": "client=None",
    "SeriesHelper._json_body_": "",
    "SeriesHelper._reset_": "",
    "line_protocol.make_lines": "data, precision=None",
    "line_protocol.make_line": "measurement, tags=None, fields=None, time=None, precision=None",
    "line_protocol.quote_ident": "value",
    "line_protocol.quote_literal": "value",
}

# The seed document (influxdb-python's documentation as of 4.1.1) shows older signatures;
# 5.3 added parameters to them. Code written for either must work: every documented
# parameter is there, with its default, in its order.
SEED_SIGNATURES: dict[str, str] = {
    "InfluxDBClient.__init__":
        "host='localhost', port=8086, username='root', password='root', database=None, "
        "ssl=False, verify_ssl=False, timeout=None, retries=3, use_udp=False, "
        "udp_port=4444, proxies=None",
    "InfluxDBClient.alter_retention_policy":
        "name, database=None, duration=None, replication=None, default=None",
    "InfluxDBClient.create_retention_policy":
        "name, duration, replication, database=None, default=False",
    "InfluxDBClient.query":
        "query, params=None, epoch=None, expected_response_code=200, database=None, "
        "raise_errors=True, chunked=False, chunk_size=0",
    "InfluxDBClient.request":
        "url, method='GET', params=None, data=None, expected_response_code=200, headers=None",
    "InfluxDBClient.send_packet": "packet, protocol='json'",
    "InfluxDBClient.write": "data, params=None, expected_response_code=204, protocol='json'",
    "InfluxDBClient.write_points":
        "points, time_precision=None, database=None, retention_policy=None, tags=None, "
        "batch_size=None, protocol='json'",
    "SeriesHelper.commit": "client=None",
    "ResultSet.__init__": "series, raise_errors=True",
    "ResultSet.get_points": "measurement=None, tags=None",
    "ResultSet.point_from_cols_vals": "cols, vals",
    "InfluxDBClientError.__init__": "content, code=None",
    "InfluxDBServerError.__init__": "content",
}

OWNERS: dict[str, Any] = {
    "InfluxDBClient": InfluxDBClient, "DataFrameClient": DataFrameClient,
    "ResultSet": ResultSet, "InfluxDBClientError": InfluxDBClientError,
    "InfluxDBServerError": InfluxDBServerError, "SeriesHelper": SeriesHelper,
    "line_protocol": influxdb.line_protocol,
}


def target(name: str) -> Callable[..., Any]:
    owner, _, attribute = name.partition(".")
    found: Callable[..., Any] = getattr(OWNERS[owner], attribute)
    return found


def rendered(function: Callable[..., Any]) -> str:
    """The parameters of ``function`` after ``self`` (bound methods: after ``cls``), as
    ``name=default`` without annotations."""
    parameters = list(inspect.signature(function).parameters.values())
    if not isinstance(function, types.MethodType) and parameters and \
            parameters[0].name == "self":
        parameters = parameters[1:]
    parts = []
    for parameter in parameters:
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            parts.append(f"**{parameter.name}")
        elif parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            parts.append(f"*{parameter.name}")
        elif parameter.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD:
            parts.append(f"{parameter.name}:{parameter.kind.name}")
        elif parameter.default is inspect.Parameter.empty:
            parts.append(parameter.name)
        else:
            parts.append(f"{parameter.name}={parameter.default!r}")
    return ", ".join(parts)


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_signature_is_influxdb_pythons(name: str) -> None:
    assert rendered(target(name)) == SIGNATURES[name]


@pytest.mark.parametrize("name", sorted(SEED_SIGNATURES))
def test_the_seed_documents_signatures_still_bind(name: str) -> None:
    ours = [part.strip() for part in rendered(target(name)).split(",") if part.strip()]
    documented = [part.strip() for part in SEED_SIGNATURES[name].split(",") if part.strip()]
    # Each documented parameter, with its default, in the documented order.
    positions = [ours.index(part) for part in documented]
    assert positions == sorted(positions)


def test_the_renderer_sees_a_difference() -> None:
    def documented(self: Any, query: Any, params: Any = None) -> None: ...

    def reordered(self: Any, params: Any = None, query: Any = None) -> None: ...

    def keyword_only(self: Any, query: Any, *, params: Any = None) -> None: ...

    assert rendered(documented) == "query, params=None"
    assert rendered(reordered) != rendered(documented)
    assert rendered(keyword_only) != rendered(documented)


def test_static_and_class_methods_are_so() -> None:
    assert isinstance(inspect.getattr_static(ResultSet, "point_from_cols_vals"), staticmethod)
    for name in ("from_dsn",):
        assert isinstance(inspect.getattr_static(InfluxDBClient, name), classmethod)
    for name in ("commit", "_json_body_", "_reset_"):
        assert isinstance(inspect.getattr_static(SeriesHelper, name), classmethod)
    for name in ("raw", "error"):
        assert isinstance(inspect.getattr_static(ResultSet, name), property)


def test_the_modules_and_names() -> None:
    assert set(influxdb.__all__) >= {"InfluxDBClient", "DataFrameClient", "SeriesHelper"}
    for module in ("client", "dataframe_client", "exceptions", "helper", "line_protocol",
                   "resultset"):
        assert getattr(influxdb, module).__name__ == f"influxkit.compat.influxdb.{module}"
    assert influxdb.client.InfluxDBClient is InfluxDBClient
    assert influxdb.dataframe_client.DataFrameClient is DataFrameClient
    assert influxdb.helper.SeriesHelper is SeriesHelper
    assert influxdb.resultset.ResultSet is ResultSet
    assert issubclass(DataFrameClient, InfluxDBClient)


# -- ResultSet over recorded answers ------------------------------------------------------

# influxd 1.6.7's answers (JSON, epoch=None), one statement's result each.
SELECT_ALL = {"statement_id": 0, "series": [{
    "name": "cpu", "columns": ["time", "host", "n", "region", "value"],
    "values": [["1970-01-01T00:00:01Z", "a", 2, "us", 1],
               ["1970-01-01T00:00:02Z", "b", None, "eu", 2]]}]}
GROUPED = {"statement_id": 0, "series": [
    {"name": "cpu", "tags": {"host": "a", "region": "us"},
     "columns": ["time", "free", "n", "value"],
     "values": [["1970-01-01T00:00:01Z", None, 2, 1]]},
    {"name": "cpu", "tags": {"host": "b", "region": "eu"},
     "columns": ["time", "free", "n", "value"],
     "values": [["1970-01-01T00:00:02Z", None, None, 2]]},
    {"name": "mem", "tags": {"host": "a", "region": ""},
     "columns": ["time", "free", "n", "value"],
     "values": [["1970-01-01T00:00:01Z", 10, None, None]]}]}
SHOW_USERS = {"statement_id": 0, "series": [{"columns": ["user", "admin"],
                                             "values": [["admin", True]]}]}
SHOW_CQS = {"statement_id": 0, "series": [{"name": "d", "columns": ["name", "query"]}]}
EMPTY = {"statement_id": 0}

CPU_A = {"time": "1970-01-01T00:00:01Z", "free": None, "n": 2, "value": 1}
CPU_B = {"time": "1970-01-01T00:00:02Z", "free": None, "n": None, "value": 2}
MEM_A = {"time": "1970-01-01T00:00:01Z", "free": 10, "n": None, "value": None}
ROW_A = {"time": "1970-01-01T00:00:01Z", "host": "a", "n": 2, "region": "us", "value": 1}
ROW_B = {"time": "1970-01-01T00:00:02Z", "host": "b", "n": None, "region": "eu", "value": 2}


def test_resultset_of_a_select() -> None:
    rs = ResultSet(copy.deepcopy(SELECT_ALL))
    assert rs.keys() == [("cpu", None)]
    assert len(rs) == 1
    assert list(rs) == [[ROW_A, ROW_B]]
    assert list(rs.get_points()) == [ROW_A, ROW_B]
    assert list(rs.get_points("cpu")) == [ROW_A, ROW_B]
    assert list(rs.get_points("mem")) == []
    # Tags of a series that is not grouped are columns of its points.
    assert list(rs.get_points(tags={"host": "b"})) == [ROW_B]
    assert list(rs[{"host": "b"}]) == [ROW_B]
    assert list(rs.get_points(tags={"n": None})) == [ROW_B]
    assert repr(rs) == (
        "ResultSet({'('cpu', None)': [{'time': '1970-01-01T00:00:01Z', 'host': 'a', "
        "'n': 2, 'region': 'us', 'value': 1}, {'time': '1970-01-01T00:00:02Z', "
        "'host': 'b', 'n': None, 'region': 'eu', 'value': 2}]})")


def test_resultset_of_grouped_series() -> None:
    rs = ResultSet(copy.deepcopy(GROUPED))
    assert rs.keys() == [("cpu", {"host": "a", "region": "us"}),
                         ("cpu", {"host": "b", "region": "eu"}),
                         ("mem", {"host": "a", "region": ""})]
    # The tags of a key are the answer's own dict.
    assert rs.keys()[0][1] is rs.raw["series"][0]["tags"]
    assert len(rs) == 3
    assert list(rs) == [[CPU_A], [CPU_B], [MEM_A]]
    items = rs.items()
    assert isinstance(items, list)
    assert [key for key, _ in items] == rs.keys()
    assert all(inspect.isgenerator(points) for _, points in items)
    assert [list(points) for _, points in items] == [[CPU_A], [CPU_B], [MEM_A]]
    assert list(rs.get_points("cpu")) == [CPU_A, CPU_B]
    assert list(rs.get_points(tags={"host": "a"})) == [CPU_A, MEM_A]
    assert list(rs.get_points("cpu", {"host": "a"})) == [CPU_A]
    assert list(rs.get_points("mem", {"region": ""})) == [MEM_A]
    assert list(rs.get_points(tags={"host": "a", "region": "eu"})) == []


def test_resultset_indexing() -> None:
    rs = ResultSet(copy.deepcopy(GROUPED))
    assert list(rs["cpu"]) == [CPU_A, CPU_B]
    assert list(rs[{"host": "a"}]) == [CPU_A, MEM_A]
    assert list(rs["mem", {"host": "a"}]) == [MEM_A]
    assert list(rs["cpu", {"host": "a"}]) == [CPU_A]
    assert list(rs[None, {"region": "eu"}]) == [CPU_B]
    assert list(rs["cpu", None]) == [CPU_A, CPU_B]
    assert list(rs[None]) == [CPU_A, CPU_B, MEM_A]
    with pytest.raises(TypeError, match="only 2-tuples allowed"):
        rs["cpu",]
    with pytest.raises(TypeError, match="tags should be a dict"):
        rs["cpu", "host"]
    with pytest.raises(TypeError, match="measurement must be an str or None"):
        list(rs[3])


def test_a_series_without_a_name_is_results() -> None:
    rs = ResultSet(copy.deepcopy(SHOW_USERS))
    assert rs.keys() == [("results", None)]
    assert list(rs["results"]) == [{"user": "admin", "admin": True}]
    assert list(rs.get_points()) == [{"user": "admin", "admin": True}]
    assert repr(rs) == "ResultSet({'('results', None)': [{'user': 'admin', 'admin': True}]})"


def test_a_series_without_values_and_an_empty_result() -> None:
    rs = ResultSet(copy.deepcopy(SHOW_CQS))
    assert rs.keys() == [("d", None)]
    assert list(rs) == [[]]
    assert [(key, list(points)) for key, points in rs.items()] == [(("d", None), [])]
    assert repr(rs) == "ResultSet({'('d', None)': []})"
    empty = ResultSet(dict(EMPTY))
    assert (empty.keys(), empty.items(), list(empty), len(empty)) == ([], [], [], 0)
    assert list(empty.get_points()) == []
    assert repr(empty) == "ResultSet({})"


def test_get_points_is_a_generator_and_raw_is_the_answer() -> None:
    raw = copy.deepcopy(GROUPED)
    rs = ResultSet(raw)
    assert inspect.isgenerator(rs.get_points())
    assert rs.raw is raw
    assert rs.error is None
    rs.raw = copy.deepcopy(SHOW_USERS)
    assert rs.keys() == [("results", None)]
    assert ResultSet.point_from_cols_vals(["a", "b"], [1, 2]) == {"a": 1, "b": 2}


def test_a_failed_statement() -> None:
    with pytest.raises(InfluxDBClientError) as caught:
        ResultSet({"statement_id": 0, "error": "boom"})
    error = caught.value
    assert (str(error), error.content, error.code) == ("boom", "boom", None)
    assert isinstance(error, influxkit.InfluxDBQueryError)
    kept = ResultSet({"statement_id": 0, "error": "boom"}, raise_errors=False)
    assert kept.error == "boom"
    assert kept.raw == {"statement_id": 0, "error": "boom"}
    assert (len(kept), repr(kept)) == (0, "ResultSet({})")


# -- exceptions ---------------------------------------------------------------------------


def test_exceptions_made_by_hand() -> None:
    error = InfluxDBClientError(b'{"error":"x"}', 400)
    assert (str(error), error.content, error.code) == ('400: {"error":"x"}',
                                                         '{"error":"x"}', 400)
    assert error.args == ('400: {"error":"x"}',)
    plain = InfluxDBClientError("refused")
    assert (str(plain), plain.content, plain.code) == ("refused", "refused", None)
    server = InfluxDBServerError("oops")
    assert (str(server), server.args, server.content) == ("oops", ("oops",), "oops")
    assert isinstance(error, influxkit.InfluxDBClientError)
    assert isinstance(server, influxkit.InfluxDBServerError)
    for made in (error, plain, server):
        again = pickle.loads(pickle.dumps(made))
        assert type(again) is type(made)
        assert (str(again), again.args, again.content) == (str(made), made.args, made.content)
    assert pickle.loads(pickle.dumps(error)).code == 400


def http(status: int, message: str, *, write: bool = False) -> influxkit.InfluxDBError:
    path = "/write" if write else "/query"
    return http_error(status, message, write=write, method="POST",
                      url=f"http://127.0.0.1:8086{path}",
                      headers={"Content-Type": "application/x-msgpack"})


@pytest.mark.parametrize(("made", "code", "content", "also"), [
    (lambda: http(404, 'database not found: "nope"', write=True), 404,
     '{"error":"database not found: \\"nope\\""}',
     (influxkit.DatabaseNotFoundError, influxkit.InfluxDBWriteError)),
    (lambda: http(400, "partial write: unable to parse 'x': bad dropped=0", write=True),
     400, '{"error":"partial write: unable to parse \'x\': bad dropped=0"}',
     (influxkit.PartialWriteError,)),
    (lambda: http(401, "authorization failed"), 401,
     '{"error":"authorization failed"}', (influxkit.AuthenticationError,)),
    (lambda: http(403, "forbidden"), 403, '{"error":"forbidden"}',
     (influxkit.AuthorizationError,)),
    (lambda: query_error("database not found: nope", statement_id=0, query="SELECT 1"),
     None, "database not found: nope",
     (influxkit.DatabaseNotFoundError, influxkit.InfluxDBQueryError)),
])
def test_server_answers_are_both_classes(made: Callable[[], influxkit.InfluxDBError],
                                         code: int | None, content: str,
                                         also: tuple[type[Exception], ...]) -> None:
    error = translate(made())
    assert isinstance(error, InfluxDBClientError)
    assert isinstance(error, also)
    assert (error.code, error.content) == (code, content)
    assert str(error) == (content if code is None else f"{code}: {content}")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert (again.code, again.content, str(again)) == (code, content, str(error))


def test_a_server_failure_is_influxdb_server_error() -> None:
    error = translate(http(500, "timeout"))
    assert isinstance(error, InfluxDBServerError)
    assert isinstance(error, influxkit.InfluxDBServerError)
    assert not isinstance(error, InfluxDBClientError)
    assert (str(error), error.content) == ('{"error":"timeout"}', '{"error":"timeout"}')
    assert error.status == 500  # type: ignore[attr-defined]
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), str(again), again.content) == (type(error), str(error),
                                                         error.content)


def test_a_429_is_a_client_error_with_its_code() -> None:
    error = translate(http(429, "slow down"))
    assert isinstance(error, InfluxDBClientError)
    assert isinstance(error, influxkit.ServerUnavailableError)
    assert error.code == 429


def test_an_unreachable_server_is_influxkits_error() -> None:
    error = influxkit.InfluxDBConnectionError("refused")
    assert translate(error) is error


# -- refused before anything is sent ------------------------------------------------------


@pytest.fixture
def nowhere() -> Any:
    client = InfluxDBClient("127.0.0.1", 9, "root", SECRET, "db", retries=1)
    yield client
    client.close()


def test_a_port_int_refuses_is_a_value_error_without_the_value() -> None:
    with pytest.raises(ValueError) as caught:
        InfluxDBClient("host", "80/redir")
    assert "80/redir" not in str(caught.value)
    # A password given in the port's place is not shown either.
    with pytest.raises(ValueError) as caught:
        InfluxDBClient("localhost", SECRET, "root")
    assert SECRET not in str(caught.value)
    with pytest.raises(ValueError):
        InfluxDBClient("localhost", 8086, udp_port="x")
    with pytest.raises(ValueError):
        InfluxDBClient.from_dsn(f"influxdb://root:{SECRET}@localhost:80x/db")
    assert InfluxDBClient("h", "8087")._port == 8087


def test_the_client_shows_no_password(nowhere: InfluxDBClient) -> None:
    assert SECRET not in repr(nowhere)
    assert SECRET not in str(vars(nowhere))
    assert nowhere._baseurl == "http://127.0.0.1:9"
    assert (nowhere._host, nowhere._port, nowhere._path) == ("127.0.0.1", 9, "")
    assert (nowhere._database, nowhere._username) == ("db", "root")
    assert (nowhere._use_udp, nowhere._udp_port) == (False, 4444)


def test_from_dsn_as_documented() -> None:
    # The documentation's examples, with the output it shows.
    cli = InfluxDBClient.from_dsn('influxdb://username:password@'
                                  'localhost:8086/databasename', timeout=5)
    assert type(cli) is InfluxDBClient
    cli.close()
    cli = InfluxDBClient.from_dsn('udp+influxdb://username:pass@'
                                  'localhost:8086/databasename', timeout=5, udp_port=159)
    # (the documentation's print(), kept as it is written)
    shown = '{0._baseurl} - {0.use_udp} {0.udp_port}'.format(cli)  # noqa: UP032
    assert shown == "http://localhost:8086 - True 159"
    assert (cli._database, cli._username) == ("databasename", "username")
    cli.close()
    secure = DataFrameClient.from_dsn("https+influxdb://a:b@h1:8087,h2:8088/x", path="/p")
    assert type(secure) is DataFrameClient
    assert secure._baseurl == "https://h1:8087/p"
    secure.close()
    for wrong in ("http://localhost:8086/db", "foo+influxdb://localhost/db"):
        with pytest.raises(ValueError):
            InfluxDBClient.from_dsn(wrong)


def test_unsupported_arguments_are_refused(nowhere: InfluxDBClient) -> None:
    with pytest.raises(TypeError):
        InfluxDBClient(session=object())
    with pytest.raises(TypeError):
        InfluxDBClient(socket_options=[(1, 2, 3)])
    with pytest.raises(ValueError, match="ssl"):
        InfluxDBClient(cert="/x.pem")
    with pytest.raises(ValueError, match="expected_response_code"):
        nowhere.query("SELECT 1", expected_response_code=204)
    with pytest.raises(ValueError, match="method"):
        nowhere.query("SELECT 1", method="PUT")
    with pytest.raises(ValueError, match="'chunked'"):
        nowhere.query("SELECT 1", params={"chunked": "true"})
    with pytest.raises(ValueError, match="consistency"):
        nowhere.write_points([{"measurement": "m", "fields": {"v": 1}}], consistency="one")
    with pytest.raises(ValueError, match="consistency"):
        nowhere.write_points([{"measurement": "m", "fields": {"v": 1}}], consistency="x")
    with pytest.raises(ValueError, match="protocol"):
        nowhere.write("m v=1", protocol="lines")
    with pytest.raises(ValueError, match="'foo'"):
        nowhere.write("m v=1", params={"db": "x", "foo": "1"}, protocol="line")
    with pytest.raises(NotImplementedError):
        nowhere.request("query")


@pytest.mark.parametrize(("points", "precision", "what"), [
    ([{"measurement": "m", "fields": {"v": math.nan}}], None, "NaN"),
    ([{"measurement": "m", "fields": {"v": 1},
       "time": datetime.datetime(2020, 1, 1, 0, 0, 0, 500_000)}], "s", "precision"),
    ([{"measurement": "m", "tags": {"t": "a\nb"}, "fields": {"v": 1}}], None, "newline"),
    ([{"measurement": "m", "fields": {}}], None, "field"),
    ([{"measurement": "m", "fields": {"v": 2**63}}], None, "64-bit"),
])
def test_bad_data_is_both_classes_before_sending(nowhere: InfluxDBClient, points: Any,
                                                 precision: str | None, what: str) -> None:
    with pytest.raises(InfluxDBClientError) as caught:
        nowhere.write_points(points, time_precision=precision)
    error = caught.value
    assert isinstance(error, influxkit.LineProtocolError)
    assert isinstance(error, ValueError)
    assert error.code is None
    assert what.lower() in str(error).lower()
    again = pickle.loads(pickle.dumps(error))
    assert isinstance(again, InfluxDBClientError)
    assert isinstance(again, influxkit.LineProtocolError)


def test_shared_tags_on_line_protocol_are_refused(nowhere: InfluxDBClient) -> None:
    with pytest.raises(InfluxDBClientError) as caught:
        nowhere.write_points(["m v=1"], tags={"a": "b"}, protocol="line")
    assert isinstance(caught.value, influxkit.LineProtocolError)


def test_retention_policies_need_a_database() -> None:
    client = InfluxDBClient("127.0.0.1", 9, retries=1)
    with pytest.raises(InfluxDBClientError, match="database"):
        client.get_list_retention_policies()
    client.close()


# -- SeriesHelper's refusals, as influxdb-python's ----------------------------------------


def test_series_helper_refusals(nowhere: InfluxDBClient) -> None:
    class NoMeta(SeriesHelper):
        pass

    class NoTags(SeriesHelper):
        class Meta:
            series_name = "events.stats.{server_name}"
            fields: ClassVar = ["time", "server_name"]

    class AutoWithoutClient(SeriesHelper):
        class Meta:
            series_name = "s"
            fields: ClassVar = ["v"]
            tags: ClassVar[list[str]] = []
            autocommit = True

    class Good(SeriesHelper):
        class Meta:
            client = nowhere
            series_name = "s.{host}"
            fields: ClassVar = ["v"]
            tags: ClassVar = ["host"]

    class NoBulk(SeriesHelper):
        class Meta:
            client = nowhere
            series_name = "s"
            fields: ClassVar = ["v"]
            tags: ClassVar[list[str]] = []
            bulk_size = 0
            autocommit = True

    for cls in (NoMeta, NoTags, AutoWithoutClient):
        with pytest.raises(AttributeError):
            cls(v=1)
    with pytest.raises(TypeError, match="bulk_size"):
        NoBulk(v=1)
    with pytest.raises(NameError):
        Good(v=1)  # a tag left out
    with pytest.raises(NameError):
        Good(host="a", v=1, other=2)
    Good(host="a", v=1, time=1_600_000_000_000_000_000)
    assert Good._json_body_() == [{"measurement": "s.a", "tags": {"host": "a"},
                                   "fields": {"v": 1}, "time": 1_600_000_000_000_000_000}]
    assert Good._reset_() == 1
    assert Good._json_body_() == []


# -- line_protocol ------------------------------------------------------------------------


def test_make_lines_and_make_line() -> None:
    data = {"tags": {"region": "us", "host": "shared"},
            "points": [{"measurement": "cpu", "tags": {"host": "a b"},
                        "fields": {"value": 0.5, "n": 3, "s": 'say "hi"', "ok": True},
                        "time": 1_000_000_000},
                       {"measurement": "cpu", "fields": {"value": 1.0}, "time": 1_000_000_001}]}
    assert make_lines(data, "s") == (
        'cpu,host=a\\ b,region=us n=3i,ok=true,s="say \\"hi\\"",value=0.5 1000000000\n'
        "cpu,host=shared,region=us value=1.0 1000000001\n")
    assert make_line("cpu", {"host": "a"}, {"value": 1}, 1_600_000_000, "s") == \
        "cpu,host=a value=1i 1600000000"
    assert make_line("cpu", fields={"b": 1.5, "a": "x"}) == 'cpu a="x",b=1.5'
    with pytest.raises(influxkit.LineProtocolError):
        make_lines({"points": [{"measurement": "m", "fields": {"v": math.inf}}]})


def test_quoting() -> None:
    assert quote_ident('my "db"') == '"my \\"db\\""'
    assert quote_literal("it's") == "'it\\'s'"


@pytest.mark.parametrize("call", [
    lambda client: client.alter_retention_policy("autogen"),
    lambda client: client.create_retention_policy("p", "three days", 1),
    lambda client: client.grant_privilege("everything", "db", "user"),
    lambda client: client.delete_series(),
    lambda client: client.create_continuous_query("cq", "SELECT 1; DROP DATABASE db"),
    lambda client: InfluxDBClient("127.0.0.1", 9, retries=1).write_points(
        [{"measurement": "m", "fields": {"v": 1}}]),
])
def test_arguments_refused_before_sending_are_both_classes(
        nowhere: InfluxDBClient, call: Callable[[InfluxDBClient], Any]) -> None:
    # influxdb-python sent these, and the server refused them: InfluxDBClientError.
    with pytest.raises(InfluxDBClientError) as caught:
        call(nowhere)
    error = caught.value
    assert isinstance(error, ValueError)
    assert not isinstance(error, influxkit.InfluxDBConnectionError)
    assert error.code is None
    assert error.content == str(error)
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert (str(again), again.content, again.code) == (str(error), error.content, None)
