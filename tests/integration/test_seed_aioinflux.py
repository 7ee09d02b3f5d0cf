"""Every example of aioinflux's documentation, run against a real server.

The examples are quoted as the documentation has them, with ``aioinflux`` replaced
by ``influxkit`` in the import line and nothing else changed; their printed output
is checked against what the documentation shows. The client's default host and
port are pointed at the test server (the examples use the defaults, localhost:8086).

Where the documentation itself is wrong (a typo, an undefined name), the test says
so and runs the evident intent.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import textwrap
import warnings
from typing import Any

import pytest

import influxkit
from influxkit.testing import InfluxDBServer

pd = pytest.importorskip("pandas")


def run_example(source: str, namespace: dict[str, Any] | None = None) -> str:
    """Run documentation code with the import line changed; return what it printed."""
    code = textwrap.dedent(source).replace("from aioinflux import", "from influxkit import")
    namespace = {} if namespace is None else namespace
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        # dont_inherit: the examples must not see this module's ``from __future__``.
        exec(compile(code, "<example>", "exec", dont_inherit=True), namespace)
    return out.getvalue()


def run_async_example(source: str, namespace: dict[str, Any]) -> str:
    """Run documentation code that uses ``await`` at the top level, as in IPython."""
    body = textwrap.indent(textwrap.dedent(source), "    ")
    run_example(f"async def __example__():\n{body}\n    return locals()\n", namespace)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        found = asyncio.run(namespace["__example__"]())
    namespace.update(found)
    return out.getvalue()


@pytest.fixture
def defaults(influxdb_server: InfluxDBServer, database: str,
             monkeypatch: pytest.MonkeyPatch) -> str:
    """Point ``InfluxDBClient()``'s default host, port and db at the test server."""
    init = influxkit.InfluxDBClient.__init__
    assert init.__defaults__ is not None
    names = init.__code__.co_varnames[1:init.__code__.co_argcount]
    values = dict(zip(names[-len(init.__defaults__):], init.__defaults__, strict=True))
    values.update(host=influxdb_server.host, port=influxdb_server.port, db=database)
    monkeypatch.setattr(init, "__defaults__", tuple(values.values()))
    return database


def test_tldr(defaults: str) -> None:
    # The TL;DR creates and uses 'testdb'.
    printed = run_example('''
        import asyncio
        from aioinflux import InfluxDBClient

        point = {
            'time': '2009-11-10T23:00:00Z',
            'measurement': 'cpu_load_short',
            'tags': {'host': 'server01',
                     'region': 'us-west'},
            'fields': {'value': 0.64}
        }

        async def main():
            async with InfluxDBClient(db='testdb') as client:
               await client.create_database(db='testdb')
               await client.write(point)
               resp = await client.query('SELECT value FROM cpu_load_short')
               print(resp)


        asyncio.run(main())
    ''')
    assert printed.strip() == str({"results": [{"statement_id": 0, "series": [{
        "name": "cpu_load_short", "columns": ["time", "value"],
        "values": [[1257894000000000000, 0.64]]}]}]})


def test_tldr_with_get_event_loop(defaults: str) -> None:
    # The documentation's last line, as written; Python 3.10+ deprecates it outside a loop.
    namespace: dict[str, Any] = {}
    run_example('''
        from aioinflux import InfluxDBClient

        async def main():
            async with InfluxDBClient(db='testdb') as client:
               await client.create_database(db='testdb')
               return await client.ping()
    ''', namespace)
    loop = asyncio.new_event_loop()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            asyncio.set_event_loop(loop)
            headers = asyncio.get_event_loop().run_until_complete(namespace["main"]())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    assert "X-Influxdb-Version" in headers


def test_client_modes_and_blocking_usage(defaults: str) -> None:
    namespace: dict[str, Any] = {"point": {
        "time": "2009-11-10T23:00:00Z", "measurement": "cpu_load_short",
        "tags": {"host": "server01", "region": "us-west"}, "fields": {"value": 0.64}}}
    run_example('''
        from aioinflux import InfluxDBClient
        client = InfluxDBClient(mode='blocking')
        client.mode = 'async'
    ''', namespace)
    assert namespace["client"].mode == "async"
    run_example('''
        client = InfluxDBClient(db='testdb', mode='blocking')
        client.create_database(db='testdb')
        client.ping()
        client.write(point)
        result = client.query('SELECT value FROM cpu_load_short')
        client.close()
    ''', namespace)
    assert namespace["result"]["results"][0]["series"][0]["values"][-1][-1] == 0.64


async def test_writing_a_typical_dictionary_point(defaults: str) -> None:
    async with influxkit.InfluxDBClient(db=defaults) as client:
        point = {'time': '2009-11-10T23:00:00Z',
                 'measurement': 'cpu_load_short',
                 'tags': {'host': 'server01', 'region': 'us-west'},
                 'fields': {'value1': 0.64, 'value2': True, 'value3': 10}}
        assert await client.write(point) is True
        resp = await client.query("SELECT * FROM cpu_load_short")
    assert resp["results"][0]["series"][0]["values"] == [
        [1257894000000000000, "server01", "us-west", 0.64, True, 10]]


def test_writing_dataframes(defaults: str) -> None:
    df = pd.DataFrame(
        {"LUY": [2.545409, -0.306673, 0.894738, -1.799512, 0.390137],
         "BEM": [5.173134, -1.132941, -0.561979, -1.722805, -0.016709],
         "AJW": [5.532397, -2.130625, -1.487940, -2.308823, -0.667895],
         "tag": ["B", "E", "B", "D", "E"]},
        index=pd.DatetimeIndex([
            "2017-06-24 08:45:17.929097+00:00", "2017-06-24 10:15:17.929097+00:00",
            "2017-06-24 11:45:17.929097+00:00", "2017-06-24 13:15:17.929097+00:00",
            "2017-06-24 14:45:17.929097+00:00"]),
    )
    namespace: dict[str, Any] = {"df": df, "InfluxDBClient": influxkit.InfluxDBClient}
    run_example(f'''
        client = InfluxDBClient(db={defaults!r}, mode='blocking')
        client.write(df, measurement='prices', tag_columns=['tag'], asset_class='equities')
        client.output = 'dataframe'
        back = client.query('SELECT * FROM prices')
        client.close()
    ''', namespace)
    back = namespace["back"]
    assert list(back.index) == list(df.index)
    assert (back["asset_class"] == "equities").all()
    # Query results always carry nanosecond times; pandas 3 built df's index in µs.
    pd.testing.assert_frame_equal(back[["LUY", "BEM", "AJW", "tag"]],
                                  df.set_axis(df.index.as_unit("ns")),
                                  check_dtype=False, check_freq=False)


TRADE_DEFINITIONS = {
    "namedtuple_class": '''
        from aioinflux import *
        from typing import NamedTuple

        @lineprotocol
        class Trade(NamedTuple):
            timestamp: TIMEINT
            instrument: TAGENUM
            source: TAG
            side: TAG
            price: FLOAT
            size: INT
            trade_id: STR
    ''',
    "namedtuple_function": '''
        from aioinflux import *
        from collections import namedtuple

        schema = dict(
           timestamp=TIMEINT,
           instrument=TAG,
           source=TAG,
           side=TAG,
           price=FLOAT,
           size=INT,
           trade_id=STR,
        )

        # Create class
        Trade = namedtuple('Trade', schema.keys())

        # Monkey-patch existing class and add ``to_lineprotocol``
        Trade = lineprotocol(Trade, schema=schema)
    ''',
    "dataclass": '''
        from aioinflux import *
        from dataclasses import dataclass

        @lineprotocol
        @dataclass
        class Trade:
            timestamp: TIMEINT
            instrument: TAGENUM
            source: TAG
            side: TAG
            price: FLOAT
            size: INT
            trade_id: STR
    ''',
}

TRADE = '''
    trade = Trade(
       timestamp=1540184368785116000,
       instrument='AAPL',
       source='NASDAQ',
       side='BUY',
       price=219.23,
       size=100,
       trade_id='34a1e085-3122-429c-9662-7ce82039d287'
    )

    print(trade.to_lineprotocol())
'''

TRADE_LINE = (b'Trade,instrument=AAPL,source=NASDAQ,side=BUY price=219.23,size=100i,'
              b'trade_id="34a1e085-3122-429c-9662-7ce82039d287" 1540184368785116000')


@pytest.mark.parametrize("definition", sorted(TRADE_DEFINITIONS))
def test_user_defined_classes(defaults: str, definition: str) -> None:
    namespace: dict[str, Any] = {}
    run_example(TRADE_DEFINITIONS[definition], namespace)
    printed = run_example(TRADE, namespace)
    assert printed.strip() == repr(TRADE_LINE)
    run_async_example('''
        client = InfluxDBClient()
        print(await client.write(trade))  # True
        resp = await client.query('SELECT * FROM Trade')
        await client.close()
    ''', namespace)
    assert namespace["resp"]["results"][0]["series"][0]["values"] == [[
        1540184368785116000, "AAPL", 219.23, "BUY", 100, "NASDAQ",
        "34a1e085-3122-429c-9662-7ce82039d287"]]


def test_schema_dictionary_keeps_annotations() -> None:
    printed = run_example('''
        from aioinflux import *
        from dataclasses import dataclass

        @lineprotocol(schema=dict(timestamp=TIMEINT, value=FLOAT))
        @dataclass
        class MyTypedClass:
            timestamp: int
            value: float

        print(MyTypedClass.__annotations__)
        # {'timestamp': <class 'int'>, 'value': <class 'float'>}

        print(MyTypedClass(1547710904202826000, 2.1).to_lineprotocol())
        # b'MyTypedClass value=2.1 1547710904202826000'
    ''')
    assert printed.splitlines() == [
        "{'timestamp': <class 'int'>, 'value': <class 'float'>}",
        "b'MyTypedClass value=2.1 1547710904202826000'",
    ]


H2O = [
    "h2o_quality,location=coyote_creek,randtag=1 index=41i 1439856000000000000",
    "h2o_quality,location=santa_monica,randtag=2 index=99i 1439856000000000000",
    "h2o_quality,location=coyote_creek,randtag=3 index=11i 1439856360000000000",
    "h2o_quality,location=santa_monica,randtag=2 index=56i 1439856360000000000",
    "h2o_quality,location=santa_monica,randtag=3 index=65i 1439856720000000000",
]


@pytest.fixture
def h2o(defaults: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    run_example("""
        from aioinflux import InfluxDBClient
        client = InfluxDBClient(mode='blocking')
    """, namespace)
    namespace["client"].write(H2O)
    yield namespace
    namespace["client"].mode = "blocking"
    namespace["client"].close()


def test_iterpoints(h2o: dict[str, Any]) -> None:
    printed = run_example('''
        from aioinflux import iterpoints

        r = client.query('SELECT * from h2o_quality LIMIT 10')
        for i in iterpoints(r):
            print(i)
    ''', h2o)
    assert printed.splitlines() == [
        "[1439856000000000000, 41, 'coyote_creek', '1']",
        "[1439856000000000000, 99, 'santa_monica', '2']",
        "[1439856360000000000, 11, 'coyote_creek', '3']",
        "[1439856360000000000, 56, 'santa_monica', '2']",
        "[1439856720000000000, 65, 'santa_monica', '3']",
    ]


def test_iterpoints_with_parsers(h2o: dict[str, Any]) -> None:
    h2o["client"].mode = "async"
    printed = run_async_example('''
        r = await client.query('SELECT * from h2o_quality LIMIT 5')
        for i in iterpoints(r, lambda *x, meta: dict(zip(meta['columns'], x))):
            print(i)
        from collections import namedtuple
        nt = namedtuple('MyPoint', ['time', 'index', 'location', 'randtag'])

        r = await client.query('SELECT * from h2o_quality LIMIT 5')
        for i in iterpoints(r, parser=nt):
            print(i)
        await client.close()
    ''', {**h2o, "iterpoints": influxkit.iterpoints})
    assert printed.splitlines() == [
        "{'time': 1439856000000000000, 'index': 41, 'location': 'coyote_creek', 'randtag': '1'}",
        "{'time': 1439856000000000000, 'index': 99, 'location': 'santa_monica', 'randtag': '2'}",
        "{'time': 1439856360000000000, 'index': 11, 'location': 'coyote_creek', 'randtag': '3'}",
        "{'time': 1439856360000000000, 'index': 56, 'location': 'santa_monica', 'randtag': '2'}",
        "{'time': 1439856720000000000, 'index': 65, 'location': 'santa_monica', 'randtag': '3'}",
        "MyPoint(time=1439856000000000000, index=41, location='coyote_creek', randtag='1')",
        "MyPoint(time=1439856000000000000, index=99, location='santa_monica', randtag='2')",
        "MyPoint(time=1439856360000000000, index=11, location='coyote_creek', randtag='3')",
        "MyPoint(time=1439856360000000000, index=56, location='santa_monica', randtag='2')",
        "MyPoint(time=1439856720000000000, index=65, location='santa_monica', randtag='3')",
    ]


def test_iterpoints_with_chunked_responses(h2o: dict[str, Any]) -> None:
    h2o["client"].mode = "async"
    seen: list[Any] = []
    run_async_example('''
        chunks = await client.query('SELECT * from h2o_quality', chunked=True)
        async for chunk in chunks:
            for point in iterpoints(chunk):
                # do something
                seen.append(point)
        await client.close()
    ''', {**h2o, "iterpoints": influxkit.iterpoints, "seen": seen})
    assert len(seen) == 5


def test_query_returns_json_and_dataframes(defaults: str) -> None:
    lines = [f"mymeasurement Price={p}i,Volume={v}i {t}" for t, p, v in [
        (1491963424224703000, 5783, 100), (1491963424375146000, 5783, 200),
        (1491963428374895000, 5783, 100), (1491963429645478000, 5783, 1100)]]
    namespace: dict[str, Any] = {"lines": lines}
    run_async_example('''
        from aioinflux import InfluxDBClient
        client = InfluxDBClient()
        await client.write(lines)
        as_json = await client.query('SELECT Price, Volume FROM mymeasurement')
        client.output = 'dataframe'
        df = await client.query('SELECT Price, Volume FROM mymeasurement')
        await client.close()
    ''', namespace)
    assert namespace["as_json"]["results"][0]["series"][0]["values"][0] == [
        1491963424224703000, 5783, 100]
    df = namespace["df"]
    assert list(df.columns) == ["Price", "Volume"]
    assert str(df.index[0]) == "2017-04-12 02:17:04.224703+00:00"
    assert df.dtypes.tolist() == ["int64", "int64"]


def test_output_switch_example_is_a_documentation_typo(defaults: str) -> None:
    # The documentation writes ``client.mode = 'json'`` where it means ``output``;
    # aioinflux rejects that mode too.
    client = influxkit.InfluxDBClient(output="dataframe")
    with pytest.raises(ValueError, match="invalid mode"):
        client.mode = "json"
    client.output = "json"
    assert client.output == "json"


def test_chunked_dataframes_concatenate(defaults: str) -> None:
    namespace: dict[str, Any] = {
        "lines": [f"mymeasurement v={i}i {i}" for i in range(30)]}
    run_async_example('''
        import pandas as pd
        from aioinflux import InfluxDBClient
        client = InfluxDBClient(output='dataframe')
        await client.write(lines)
        cursor = await client.query("SELECT * FROM mymeasurement", chunked=True, chunk_size=7)
        df = pd.concat([i async for i in cursor])
        await client.close()
    ''', namespace)
    assert namespace["df"]["v"].tolist() == list(range(30))


def test_caching_query_results(defaults: str, tmp_path: Any,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    # The documentation's caching recipe. It uses ``Tuple`` without importing it;
    # the import is added here.
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    run_async_example('''
        from typing import Tuple
        from aioinflux import InfluxDBClient

        c = InfluxDBClient(output='dataframe')
        await c.write([
            {"measurement": "executions", "tags": {"product_code": "BTC_JPY"},
             "fields": {"price": 1000000.0, "size": 0.01}, "time": "2020-05-22T10:00:00Z"},
            {"measurement": "executions", "tags": {"product_code": "BTC_JPY"},
             "fields": {"price": 1000100.0, "size": 0.02}, "time": "2020-05-22T11:00:00Z"},
        ])
        q = """
            SELECT * FROM executions
            WHERE product_code='BTC_JPY'
            AND time >= '2020-05-22'
            AND time < '2020-05-23'
        """

        import re
        import hashlib
        import pathlib
        import pandas as pd

        def _hash_query(q: str) -> str:
            """Normalizes and hashes the query to generate a caching key"""
            q = re.sub(r"\\s+", " ", q).strip().lower().encode()
            return hashlib.sha1(q).hexdigest()

        async def fetch(influxdb: InfluxDBClient, q: str) -> Tuple[pd.DataFrame, bool]:
            p = pathlib.Path(_hash_query(q))
            if p.exists():
                return pd.read_pickle(p, compression="xz"), True
            df = await influxdb.query(q)
            df.to_pickle(str(p), compression="xz")
            return df, False

        df, cached = await fetch(c, q)
        print(cached)  # False - cache miss

        df, cached = await fetch(c, q)
        print(cached)  # True - cache hit
        await c.close()
    ''', namespace)
    assert len(namespace["df"]) == 2


async def test_authentication(influxdb_auth_server: InfluxDBServer) -> None:
    # The documentation's example misses a closing quote: ``password='pass)``.
    server = influxdb_auth_server
    user, password = server.admin_username, server.admin_password
    async with influxkit.InfluxDBClient(host=server.host, port=server.port,
                                        username=user, password=password) as client:
        assert "results" in await client.show_databases()


async def test_unix_domain_socket(influxdb_unix_server: InfluxDBServer) -> None:
    client = influxkit.InfluxDBClient(unix_socket=influxdb_unix_server.unix_socket)
    async with client:
        assert "X-Influxdb-Version" in await client.ping()


def test_https_and_database_selection() -> None:
    printed = run_example('''
        from aioinflux import InfluxDBClient
        client = InfluxDBClient(host='my.host.io', ssl=True)
        print(client.url)
        client = InfluxDBClient(db='db1')
        client.db = 'db2'
        print(client.db)
    ''')
    assert printed.split() == ["https://my.host.io:8086", "db2"]


def test_debug_logging(defaults: str, caplog: pytest.LogCaptureFixture) -> None:
    # The logger is named after the package: 'influxkit'.
    logging.getLogger("influxkit").setLevel(logging.DEBUG)
    try:
        with caplog.at_level(logging.DEBUG, logger="influxkit"):
            client = influxkit.InfluxDBClient(mode="blocking")
            client.ping()
            client.close()
    finally:
        logging.getLogger("influxkit").setLevel(logging.NOTSET)
    assert any("GET ping -> 204" in record.getMessage() for record in caplog.records)


def test_examples_leave_no_files_behind() -> None:
    assert not any(name.endswith(".xz") for name in os.listdir("."))
