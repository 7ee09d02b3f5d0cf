"""The administration API against a real influxd: databases, retention policies, users
and privileges, continuous queries, measurements and series, switching database and
user; hostile names and values; and the errors the server's refusals become.

Most tests run in async and in blocking mode (``mode`` fixtures); users and privileges
run on the suite's server with authentication. What the server stores is checked with
:meth:`InfluxDBServer.query`, independently of the client under test.
"""

from __future__ import annotations

import inspect
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from influxkit import (
    AuthenticationError,
    AuthorizationError,
    DatabaseNotFoundError,
    DatabaseNotFoundException,
    ForbiddenException,
    InfluxDBClient,
    InfluxDBClientError,
    InfluxDBHTTPError,
    InfluxDBQueryError,
    InfluxDBServerError,
    InfluxDBWriteError,
    QueryFailedException,
    UnauthorizedException,
    WriteFailedException,
)
from influxkit._errors import REDACTED
from influxkit.testing import InfluxDBServer

pytestmark = pytest.mark.every_server

MODES = ["async", "blocking"]


async def run(value: Any) -> Any:
    """The result of a client call in either mode."""
    return await value if inspect.isawaitable(value) else value


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def rows(server: InfluxDBServer, query: str, db: str | None = None) -> list[list[Any]]:
    """The rows of every series of a statement, read without the client under test."""
    answer = server.query(query, db=db)
    return [row for series in answer["results"][0].get("series", ())
            for row in series.get("values", ())]


def client_of(server: InfluxDBServer, mode: str = "async", **kwargs: Any) -> InfluxDBClient:
    return InfluxDBClient(host=server.host, port=server.port, mode=mode, **kwargs)


@pytest.fixture(params=MODES)
async def any_client(request: pytest.FixtureRequest, influxdb_server: InfluxDBServer,
                     database: str) -> AsyncIterator[InfluxDBClient]:
    """A client of ``influxdb_server`` on the test's database, in each mode."""
    async with client_of(influxdb_server, request.param, db=database) as client:
        yield client


@pytest.fixture(params=MODES)
async def any_admin(request: pytest.FixtureRequest,
                    influxdb_auth_server: InfluxDBServer) -> AsyncIterator[InfluxDBClient]:
    """An admin's client of the server with authentication, in each mode."""
    server = influxdb_auth_server
    async with client_of(server, request.param, username=server.admin_username,
                         password=server.admin_password) as client:
        yield client


@pytest.fixture
def auth_database(influxdb_auth_server: InfluxDBServer) -> Iterator[str]:
    """A fresh database on the server with authentication."""
    name = unique("test")
    influxdb_auth_server.create_database(name)
    yield name
    influxdb_auth_server.drop_database(name)


@pytest.fixture
def user(influxdb_auth_server: InfluxDBServer) -> Iterator[tuple[str, str]]:
    """A plain user (name, password) on the server with authentication, dropped after."""
    name, password = unique("user"), "pw-" + uuid.uuid4().hex
    influxdb_auth_server.query(f"CREATE USER \"{name}\" WITH PASSWORD '{password}'")
    yield name, password
    drop_user_if_any(influxdb_auth_server, name)


def drop_user_if_any(server: InfluxDBServer, name: str) -> None:
    if [name] in [row[:1] for row in rows(server, "SHOW USERS")]:
        with client_of(server, "blocking", username=server.admin_username,
                       password=server.admin_password) as admin:
            admin.drop_user(name)


# -- databases -------------------------------------------------------------------------------


async def test_create_list_and_drop_databases(any_client: InfluxDBClient,
                                              influxdb_server: InfluxDBServer) -> None:
    name = 'db "quoted" \'apostrophe\' ü😀; --'
    answer = await run(any_client.create_database(name))
    try:
        # aioinflux's helper answers what query() answers.
        assert answer == {"results": [{"statement_id": 0}]}
        listed = await run(any_client.get_list_database())
        assert {"name": name} in listed
        assert all(set(entry) == {"name"} for entry in listed)
        assert [name] in rows(influxdb_server, "SHOW DATABASES")
    finally:
        await run(any_client.drop_database(name))
    assert {"name": name} not in await run(any_client.get_list_database())
    assert [name] not in rows(influxdb_server, "SHOW DATABASES")


async def test_create_database_defaults_to_the_clients(influxdb_server: InfluxDBServer) -> None:
    name = unique("own")
    async with client_of(influxdb_server, db=name) as client:
        await client.create_database()
        assert [name] in rows(influxdb_server, "SHOW DATABASES")
        await client.drop_database()
        assert [name] not in rows(influxdb_server, "SHOW DATABASES")
        client.db = None
        with pytest.raises(ValueError, match="no database"):
            await client.create_database()


@pytest.mark.parametrize("name", [".", "..", "a/b", "a\\b", "\\", "a\nb", "a\rb", "a\tb",
                                  "a\x00b", "a\u00a0b", "a\u200bb", "a\ue000b"], ids=repr)
async def test_database_names_the_server_cannot_store(any_client: InfluxDBClient,
                                                     influxdb_server: InfluxDBServer,
                                                     name: str) -> None:
    before = rows(influxdb_server, "SHOW DATABASES")
    with pytest.raises(ValueError, match="database name") as info:
        await run(any_client.create_database(name))
    assert repr(name) in str(info.value)
    # The server is the authority: sent as it is, the name is refused there too.
    with pytest.raises(InfluxDBQueryError, match="invalid name"):
        await run(any_client.query("CREATE DATABASE $n", params={"n": {"identifier": name}}))
    assert rows(influxdb_server, "SHOW DATABASES") == before


# Hostile characters, and characters the server refuses in database and retention policy
# names (controls, '/', '\\', non-ASCII spaces, format and private-use characters).
NAME_CHARS = list("aZ09 _-.,;=$'\"\\/\n\r\t\x00\x7fü日😀\u00a0\u200b\u00ad\ue000\u2028")
NAMES = st.text(st.sampled_from(NAME_CHARS), min_size=1, max_size=8)


def test_database_names_round_trip_or_are_refused_as_the_server_does(
        influxdb_server: InfluxDBServer) -> None:
    with client_of(influxdb_server, "blocking") as client:

        @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(NAMES)
        def check(name: str) -> None:
            note(f"name = {name!r}")
            try:
                client.create_database(name)
            except ValueError:
                event("refused")
                try:
                    with pytest.raises(InfluxDBQueryError, match="invalid name"):
                        client.query("CREATE DATABASE $n", params={"n": {"identifier": name}})
                finally:
                    client.query("DROP DATABASE $n", params={"n": {"identifier": name}})
                return
            event("stored")
            try:
                assert {"name": name} in client.get_list_database()
                assert [name] in rows(influxdb_server, "SHOW DATABASES")
            finally:
                client.drop_database(name)
            assert [name] not in rows(influxdb_server, "SHOW DATABASES")

        check()


def test_any_database_name_is_stored_exactly_or_refused(influxdb_server: InfluxDBServer) -> None:
    # Beyond the characters above: whatever happens, no name is stored as another one.
    with client_of(influxdb_server, "blocking") as client:

        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=6))
        def check(name: str) -> None:
            note(f"name = {name!r}")
            before = rows(influxdb_server, "SHOW DATABASES")
            refused: Exception | None = None
            try:
                client.create_database(name)
            except (ValueError, InfluxDBQueryError) as exc:
                refused = exc
            if refused is not None:
                event(f"refused: {type(refused).__name__}")
                # The server refuses a character assigned in a later Unicode than its own.
                assert isinstance(refused, ValueError) or refused.message == "invalid name"
                assert rows(influxdb_server, "SHOW DATABASES") == before
                return
            event("stored")
            try:
                assert [name] in rows(influxdb_server, "SHOW DATABASES")
            finally:
                client.drop_database(name)

        check()


# -- retention policies --------------------------------------------------------------------------


def policies(server: InfluxDBServer, database: str) -> dict[str, list[Any]]:
    return {row[0]: row[1:] for row in rows(server, f'SHOW RETENTION POLICIES ON "{database}"')}


async def test_retention_policy_lifecycle(any_client: InfluxDBClient, database: str,
                                          influxdb_server: InfluxDBServer) -> None:
    name = "three days 'rp'"
    assert await run(any_client.create_retention_policy(
        name, "3d", 1, default=True, shard_duration="1h")) is None
    assert policies(influxdb_server, database)[name] == ["72h0m0s", "1h0m0s", 1, True]
    listed = await run(any_client.get_list_retention_policies())
    assert {"name": name, "duration": "72h0m0s", "shardGroupDuration": "1h0m0s",
            "replicaN": 1, "default": True} in listed
    assert {"name": "autogen", "duration": "0s", "shardGroupDuration": "168h0m0s",
            "replicaN": 1, "default": False} in listed

    await run(any_client.alter_retention_policy(name, duration="1h30m", replication=2,
                                                shard_duration="30m"))
    assert policies(influxdb_server, database)[name] == ["1h30m0s", "1h0m0s", 2, True]
    await run(any_client.alter_retention_policy("autogen", database=database, default=True))
    assert policies(influxdb_server, database)[name][-1] is False
    assert policies(influxdb_server, database)["autogen"][-1] is True

    await run(any_client.drop_retention_policy(name))
    assert name not in policies(influxdb_server, database)
    # Dropping a policy that is not there is no error (the server's rule).
    await run(any_client.drop_retention_policy(name))


async def test_infinite_retention_and_writes_into_a_policy(any_client: InfluxDBClient,
                                                           database: str,
                                                           influxdb_server: InfluxDBServer
                                                           ) -> None:
    await run(any_client.create_retention_policy("forever", "INF", 1))
    await run(any_client.create_retention_policy("year", "52w", 1, database=database))
    assert policies(influxdb_server, database)["forever"][:1] == ["0s"]
    assert policies(influxdb_server, database)["year"][:1] == ["8736h0m0s"]
    await run(any_client.write("m v=1", rp="forever"))
    assert rows(influxdb_server, 'SELECT v FROM "forever"."m"', db=database)[0][1] == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"duration": "3 days"}, ValueError, "'3 days'"),
        ({"duration": "1.5h"}, ValueError, "'1.5h'"),
        ({"duration": "1H"}, ValueError, "'1H'"),
        ({"duration": "15251w"}, ValueError, "longer than InfluxDB can hold"),
        ({"duration": 3}, TypeError, "duration must be a string"),
        ({"shard_duration": "INF"}, ValueError, "shard duration cannot be 'INF'"),
        ({"shard_duration": "1d;"}, ValueError, "'1d;'"),
        ({"replication": 0}, ValueError, "replication must be a positive int"),
        ({"replication": "1"}, TypeError, "'1'"),
        ({"default": "yes"}, TypeError, "default must be True or False"),
        ({"name": "a/b"}, ValueError, "retention policy name 'a/b'"),
    ],
)
async def test_bad_retention_policies_are_refused_before_sending(
        any_client: InfluxDBClient, database: str, influxdb_server: InfluxDBServer,
        kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    arguments: dict[str, Any] = {"name": "rp", "duration": "3d", "replication": 1, **kwargs}
    with pytest.raises(error, match=match):
        await run(any_client.create_retention_policy(**arguments))
    assert list(policies(influxdb_server, database)) == ["autogen"]


@pytest.mark.parametrize("duration", ["3 days", "1.5h", "1H", "15251w", "-1h", "1µs"])
async def test_durations_refused_are_those_the_server_refuses(any_client: InfluxDBClient,
                                                               duration: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        await run(any_client.create_retention_policy("rp", duration, 1))
    with pytest.raises(InfluxDBHTTPError, match="error parsing query") as info:
        await run(any_client.query(f"CREATE RETENTION POLICY rp ON \"{any_client.db}\" "
                                   f"DURATION {duration} REPLICATION 1"))
    assert info.value.status == 400


async def test_alter_retention_policy_needs_a_change(any_client: InfluxDBClient) -> None:
    for kwargs in ({}, {"default": False}, {"default": None}):
        with pytest.raises(ValueError, match="nothing to change in retention policy 'autogen'"):
            await run(any_client.alter_retention_policy("autogen", **kwargs))
    with pytest.raises(ValueError, match="'2 days'"):
        await run(any_client.alter_retention_policy("autogen", duration="2 days"))


async def test_retention_policy_refusals_carry_the_servers_message(
        any_client: InfluxDBClient) -> None:
    with pytest.raises(InfluxDBQueryError,
                       match="retention policy duration must be at least 1h0m0s"):
        await run(any_client.create_retention_policy("short", "30m", 1))
    with pytest.raises(InfluxDBQueryError, match="retention policy not found: nope"):
        await run(any_client.alter_retention_policy("nope", duration="2d"))
    with pytest.raises(DatabaseNotFoundError) as info:
        await run(any_client.create_retention_policy("rp", "1d", 1, database="no_such_db_x"))
    assert info.value.database == "no_such_db_x"
    with pytest.raises(DatabaseNotFoundError):
        await run(any_client.get_list_retention_policies("no_such_db_x"))


async def test_retention_policy_methods_need_a_database(influxdb_server: InfluxDBServer) -> None:
    async with client_of(influxdb_server) as client:
        with pytest.raises(ValueError, match="no database"):
            await client.create_retention_policy("rp", "1d", 1)
        with pytest.raises(ValueError, match="no database"):
            await client.get_list_retention_policies()


def test_retention_policy_names_round_trip_or_are_refused_as_the_server_does(
        influxdb_server: InfluxDBServer, database: str) -> None:
    with client_of(influxdb_server, "blocking", db=database) as client:

        @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(NAMES)
        def check(name: str) -> None:
            note(f"name = {name!r}")
            statement = "CREATE RETENTION POLICY $n ON $db DURATION 1d REPLICATION 1"
            params = {"n": {"identifier": name}, "db": {"identifier": database}}
            try:
                client.create_retention_policy(name, "1d", 1)
            except ValueError:
                event("refused")
                try:
                    with pytest.raises(InfluxDBQueryError, match="invalid name"):
                        client.query(statement, params=params)
                finally:
                    client.query("DROP RETENTION POLICY $n ON $db", params=params)
                return
            event("stored")
            try:
                assert name in [rp["name"] for rp in client.get_list_retention_policies()]
                assert name in policies(influxdb_server, database)
            finally:
                client.drop_retention_policy(name)
            assert name not in policies(influxdb_server, database)

        check()


# -- users and privileges --------------------------------------------------------------------------


def users(server: InfluxDBServer) -> dict[str, bool]:
    return {row[0]: row[1] for row in rows(server, "SHOW USERS")}


async def can_read(server: InfluxDBServer, username: str, password: str, database: str) -> bool:
    async with client_of(server, username=username, password=password, db=database) as client:
        try:
            await client.query("SHOW MEASUREMENTS")
        except AuthorizationError:
            return False
        return True


async def test_user_lifecycle(any_admin: InfluxDBClient, influxdb_auth_server: InfluxDBServer,
                              auth_database: str) -> None:
    server = influxdb_auth_server
    name, password = unique("life"), "first password"
    try:
        assert await run(any_admin.create_user(name, password)) is None
        assert users(server)[name] is False
        assert {"user": name, "admin": False} in await run(any_admin.get_list_users())
        assert {"user": server.admin_username, "admin": True} in await run(
            any_admin.get_list_users())

        await run(any_admin.set_user_password(name, "second password"))
        async with client_of(server, username=name, password="first password") as old:
            with pytest.raises(AuthenticationError):
                await old.query("SHOW DATABASES")
        async with client_of(server, username=name, password="second password") as new:
            await new.query("SHOW DATABASES")

        await run(any_admin.grant_admin_privileges(name))
        assert users(server)[name] is True
        assert {"user": name, "admin": True} in await run(any_admin.get_list_users())
        await run(any_admin.revoke_admin_privileges(name))
        assert users(server)[name] is False

        await run(any_admin.drop_user(name))
        assert name not in users(server)
        with pytest.raises(InfluxDBQueryError, match="user not found"):
            await run(any_admin.drop_user(name))
    finally:
        drop_user_if_any(server, name)


async def test_create_admin_user(any_admin: InfluxDBClient,
                                 influxdb_auth_server: InfluxDBServer) -> None:
    name = unique("boss")
    try:
        await run(any_admin.create_user(name, "pw", admin=True))
        assert users(influxdb_auth_server)[name] is True
    finally:
        drop_user_if_any(influxdb_auth_server, name)


async def test_privileges(any_admin: InfluxDBClient, influxdb_auth_server: InfluxDBServer,
                          auth_database: str, user: tuple[str, str]) -> None:
    server, (name, password) = influxdb_auth_server, user
    assert await run(any_admin.get_list_privileges(name)) == []
    assert not await can_read(server, name, password, auth_database)

    await run(any_admin.grant_privilege("ReAd", auth_database, name))
    assert await run(any_admin.get_list_privileges(name)) == [
        {"database": auth_database, "privilege": "READ"}]
    assert await can_read(server, name, password, auth_database)
    async with client_of(server, username=name, password=password, db=auth_database) as reader:
        with pytest.raises(AuthorizationError) as info:
            await reader.write("m v=1")
    assert isinstance(info.value, InfluxDBWriteError)
    assert info.value.status == 403

    # A grant replaces the privilege the user had on the database.
    await run(any_admin.grant_privilege("write", auth_database, name))
    assert rows(server, f'SHOW GRANTS FOR "{name}"') == [[auth_database, "WRITE"]]
    await run(any_admin.grant_privilege("all", auth_database, name))
    assert rows(server, f'SHOW GRANTS FOR "{name}"') == [[auth_database, "ALL PRIVILEGES"]]
    await run(any_admin.revoke_privilege("WRITE", auth_database, name))
    assert rows(server, f'SHOW GRANTS FOR "{name}"') == [[auth_database, "READ"]]
    await run(any_admin.grant_privilege("All", auth_database, name))
    await run(any_admin.revoke_privilege("all", auth_database, name))
    assert await run(any_admin.get_list_privileges(name)) == [
        {"database": auth_database, "privilege": "NO PRIVILEGES"}]


@pytest.mark.parametrize("privilege", ["admin", "all privileges", "read; DROP USER admin",
                                       "", "owner"])
async def test_bad_privileges_are_refused_before_sending(
        any_admin: InfluxDBClient, influxdb_auth_server: InfluxDBServer, auth_database: str,
        user: tuple[str, str], privilege: str) -> None:
    name = user[0]
    with pytest.raises(ValueError, match="privilege"):
        await run(any_admin.grant_privilege(privilege, auth_database, name))
    with pytest.raises(ValueError, match="privilege"):
        await run(any_admin.revoke_privilege(privilege, auth_database, name))
    assert rows(influxdb_auth_server, f'SHOW GRANTS FOR "{name}"') == []
    assert influxdb_auth_server.admin_username in users(influxdb_auth_server)


async def test_privilege_refusals_carry_the_servers_message(any_admin: InfluxDBClient,
                                                            user: tuple[str, str]) -> None:
    with pytest.raises(DatabaseNotFoundError, match="database not found: no_such_db_p"):
        await run(any_admin.grant_privilege("read", "no_such_db_p", user[0]))
    with pytest.raises(InfluxDBQueryError, match="user not found"):
        await run(any_admin.get_list_privileges(unique("nobody")))
    with pytest.raises(InfluxDBQueryError, match="user not found"):
        await run(any_admin.set_user_password(unique("nobody"), "pw"))


@pytest.mark.parametrize("mode", MODES)
async def test_non_admin_gets_authorization_errors(influxdb_auth_server: InfluxDBServer,
                                                   auth_database: str, user: tuple[str, str],
                                                   mode: str) -> None:
    server, (name, password) = influxdb_auth_server, user
    server.query(f'GRANT READ ON "{auth_database}" TO "{name}"')
    async with client_of(server, mode, username=name, password=password,
                         db=auth_database) as client:
        # What READ allows.
        assert await run(client.get_list_measurements()) == []
        assert await run(client.get_list_retention_policies())
        # What it does not.
        calls = [
            lambda: client.create_database(unique("nope")),
            lambda: client.drop_database(auth_database),
            lambda: client.create_retention_policy("rp", "1d", 1),
            lambda: client.create_user(unique("nope"), "pw"),
            lambda: client.get_list_users(),
            lambda: client.set_user_password(name, "other"),
            lambda: client.grant_privilege("all", auth_database, name),
            lambda: client.grant_admin_privileges(name),
            lambda: client.get_list_privileges(name),
            lambda: client.delete_series(measurement="m"),
            lambda: client.drop_retention_policy("autogen"),
            lambda: client.revoke_admin_privileges(name),
        ]
        for call in calls:
            with pytest.raises(AuthorizationError) as info:
                await run(call())
            error = info.value
            assert error.status == 403
            assert "not authorized" in error.message
            assert isinstance(error, (ForbiddenException, InfluxDBClientError,
                                      QueryFailedException))
    assert [auth_database] in rows(server, "SHOW DATABASES")
    assert users(server)[name] is False
    async with client_of(server, username=name, password=password) as check:
        await check.query("SHOW DATABASES")  # the password was not changed


HOSTILE_PASSWORDS = ["it's", 'say "hi"', "semi;colon -- comment", "back\\slash\\",
                     "new\nline", "carriage\rreturn", "nul\x00byte", "ünï😀", " spaces ",
                     "$x", "[REDACTED]?"]


@pytest.mark.parametrize("password", HOSTILE_PASSWORDS, ids=repr)
async def test_hostile_passwords_work_and_are_never_shown(
        influxdb_auth_server: InfluxDBServer, password: str,
        caplog: pytest.LogCaptureFixture) -> None:
    server = influxdb_auth_server
    name = unique("pw")
    caplog.set_level(logging.DEBUG)
    async with client_of(server, username=server.admin_username,
                         password=server.admin_password) as admin:
        try:
            await admin.create_user(name, password)
            async with client_of(server, username=name, password=password) as own:
                await own.query("SHOW DATABASES")
            # Errors of statements that carried the password: ours show a parameter...
            with pytest.raises(InfluxDBQueryError, match="user already exists") as info:
                await admin.create_user(name, password + "x")
            failed = [info.value]
            nobody = unique("nobody")
            with pytest.raises(InfluxDBQueryError, match="user not found") as info:
                await admin.set_user_password(nobody, password)
            failed.append(info.value)
            assert [error.statement for error in failed] == [
                f'CREATE USER "{name}" WITH PASSWORD $password',
                f'SET PASSWORD FOR "{nobody}" = $password']
            # ...and the server's 403s quote the statement with a mark of its own.
            denied: list[AuthorizationError] = []
            async with client_of(server, username=name, password=password) as plain:
                with pytest.raises(AuthorizationError) as refused:
                    await plain.set_user_password(name, password)
                denied.append(refused.value)
                with pytest.raises(AuthorizationError) as refused:
                    await plain.create_user(unique("other"), password)
                denied.append(refused.value)
            assert ["= [REDACTED]" in denied[0].message,
                    "WITH PASSWORD [REDACTED]" in denied[1].message] == [True, True]
            for error in [*failed, *denied]:
                assert password not in str(error) + repr(error) + repr(vars(error))
        finally:
            drop_user_if_any(server, name)
    assert password not in caplog.text
    assert password not in repr(admin)


async def test_a_password_is_redacted_wherever_an_error_shows_it(
        influxdb_auth_server: InfluxDBServer, user: tuple[str, str]) -> None:
    # Here the password is also the name of the user, which the server's 403 quotes.
    server, (name, password) = influxdb_auth_server, user
    async with client_of(server, username=name, password=password) as plain:
        with pytest.raises(AuthorizationError) as info:
            await plain.create_user(password, password)
        assert password not in str(info.value) + repr(vars(info.value))
        assert f'CREATE USER "{REDACTED}" WITH PASSWORD' in info.value.message
        with pytest.raises(AuthorizationError) as info:
            await plain.set_user_password(password, password)
        assert password not in str(info.value)
        assert info.value.status == 403
        # A statement without a password: the client's own password is taken out all
        # the same, wherever the server quotes it.
        with pytest.raises(AuthorizationError) as info:
            await plain.drop_user(password)
        assert password not in str(info.value)
        assert f'DROP USER "{REDACTED}"' in info.value.message
    # A name that is no secret of the client's is left as the server said it.
    async with client_of(server, username=server.admin_username,
                         password=server.admin_password) as admin, \
            client_of(server, username=name, password=password) as plain:
        del admin
        with pytest.raises(AuthorizationError) as info:
            await plain.drop_user(server.admin_username or "")
        assert f"DROP USER {server.admin_username}" in info.value.message
        assert REDACTED not in info.value.message


async def test_user_methods_refuse_bad_values_before_sending(any_admin: InfluxDBClient) -> None:
    with pytest.raises(TypeError, match="password must be a string, not int") as info:
        await run(any_admin.create_user(unique("x"), 12345678))  # type: ignore[arg-type]
    assert "12345678" not in str(info.value)
    with pytest.raises(TypeError, match="admin must be True or False"):
        await run(any_admin.create_user(unique("x"), "pw", admin="yes"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        await run(any_admin.create_user("", "pw"))
    with pytest.raises(TypeError, match="identifier must be a string, not 7"):
        await run(any_admin.drop_user(7))  # type: ignore[arg-type]


def test_user_names_round_trip(influxdb_auth_server: InfluxDBServer) -> None:
    # The server stores any user name but the empty one, carriage returns and NUL
    # included (those are sent as bound identifiers).
    server = influxdb_auth_server
    with client_of(server, "blocking", username=server.admin_username,
                   password=server.admin_password) as admin:

        @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(NAMES.filter(lambda name: name != server.admin_username))
        def check(name: str) -> None:
            note(f"name = {name!r}")
            admin.create_user(name, "pw")
            try:
                assert {"user": name, "admin": False} in admin.get_list_users()
                assert users(server)[name] is False
                admin.grant_admin_privileges(name)
                assert users(server)[name] is True
            finally:
                admin.drop_user(name)
            assert name not in users(server)

        check()


# -- switching database and user -------------------------------------------------------------------


async def test_switch_database(any_client: InfluxDBClient, influxdb_server: InfluxDBServer,
                               database: str) -> None:
    other = unique("other")
    influxdb_server.create_database(other)
    try:
        any_client.switch_database(other)
        assert any_client.db == other
        await run(any_client.write("m v=1"))
        assert await run(any_client.get_list_measurements()) == [{"name": "m"}]
        assert rows(influxdb_server, "SHOW MEASUREMENTS", db=other) == [["m"]]
        assert rows(influxdb_server, "SHOW MEASUREMENTS", db=database) == []
        any_client.switch_database(None)
        with pytest.raises(ValueError, match="no database"):
            await run(any_client.get_list_measurements())
        with pytest.raises(TypeError, match="b'x'"):
            any_client.switch_database(b"x")  # type: ignore[arg-type]
    finally:
        influxdb_server.drop_database(other)


async def test_switch_user(any_admin: InfluxDBClient, influxdb_auth_server: InfluxDBServer,
                           user: tuple[str, str]) -> None:
    server, (name, password) = influxdb_auth_server, user
    assert await run(any_admin.get_list_users())  # a session is open
    any_admin.switch_user(name, password)
    assert any_admin.username == name
    with pytest.raises(AuthorizationError):
        await run(any_admin.get_list_users())
    any_admin.switch_user(name, "wrong password")
    with pytest.raises(AuthenticationError) as info:
        await run(any_admin.get_list_database())
    assert "wrong password" not in str(info.value)
    any_admin.switch_user(server.admin_username or "", server.admin_password or "")
    assert {"user": name, "admin": False} in await run(any_admin.get_list_users())


async def test_switch_user_from_a_token(influxdb_auth_server: InfluxDBServer) -> None:
    server = influxdb_auth_server
    async with client_of(server, token="not-for-influxdb-1.6") as client:
        with pytest.raises(AuthenticationError):
            await client.get_list_database()
        client.switch_user(server.admin_username or "", server.admin_password or "")
        assert await client.get_list_database() is not None
        session = await client._transport.session()
        assert session.headers["Authorization"].startswith("Basic ")


def test_switch_user_refuses_what_basic_authentication_cannot_carry() -> None:
    client = InfluxDBClient(username="a", password="b")
    for username in ("", "with:colon"):
        with pytest.raises(ValueError, match="basic authentication"):
            client.switch_user(username, "pw")
    with pytest.raises(TypeError, match="password must be a string, not NoneType"):
        client.switch_user("a", None)  # type: ignore[arg-type]
    assert client.username == "a"


# -- continuous queries ---------------------------------------------------------------------------


async def test_continuous_query_lifecycle(any_client: InfluxDBClient, database: str) -> None:
    name = 'cq "hourly" \'mean\''
    select = 'SELECT mean("v") INTO "m_1h" FROM "m" GROUP BY time(1h)'
    assert await run(any_client.create_continuous_query(
        name, select, resample_opts="EVERY 2h FOR 3h")) is None
    listed = await run(any_client.get_list_continuous_queries())
    mine = next(entry[database] for entry in listed if database in entry)
    assert [cq["name"] for cq in mine] == [name]
    assert "RESAMPLE EVERY 2h FOR 3h" in mine[0]["query"]
    assert "mean(v)" in mine[0]["query"]
    assert all(len(entry) == 1 for entry in listed)

    with pytest.raises(InfluxDBQueryError, match="continuous query already exists"):
        await run(any_client.create_continuous_query(
            name, select.replace("mean", "max"), database=database))

    await run(any_client.drop_continuous_query(name))
    listed = await run(any_client.get_list_continuous_queries())
    assert {database: []} in listed
    await run(any_client.drop_continuous_query(name, database=database))  # no error


@pytest.mark.parametrize(("options", "expected"),
                         [("EVERY 30m", "RESAMPLE EVERY 30m BEGIN"),
                          ("FOR 2h", "RESAMPLE FOR 2h BEGIN"),
                          ("RESAMPLE EVERY 1h FOR 2h", "RESAMPLE EVERY 1h FOR 2h BEGIN"),
                          (None, f"ON {'{db}'} BEGIN")])
async def test_continuous_query_resample_options(any_client: InfluxDBClient, database: str,
                                                 influxdb_server: InfluxDBServer,
                                                 options: str | None, expected: str) -> None:
    await run(any_client.create_continuous_query(
        "cq", "SELECT mean(v) INTO m_1h FROM m GROUP BY time(1h)", resample_opts=options))
    (query,) = [row[1] for row in rows(influxdb_server, "SHOW CONTINUOUS QUERIES")
                if row[0] == "cq" and f"ON {database} " in row[1]]
    assert expected.format(db=database) in query


@pytest.mark.parametrize("options", ["EVERY", "EVERY 1 hour", "EVERY INF",
                                     "EVERY 1h; DROP DATABASE x", "SOMETIMES"])
async def test_bad_resample_options_are_refused_before_sending(
        any_client: InfluxDBClient, database: str, influxdb_server: InfluxDBServer,
        options: str) -> None:
    with pytest.raises(ValueError, match="resample"):
        await run(any_client.create_continuous_query(
            "cq", "SELECT mean(v) INTO m_1h FROM m GROUP BY time(1h)", resample_opts=options))
    assert not [row for row in rows(influxdb_server, "SHOW CONTINUOUS QUERIES")
                if f"ON {database} " in row[1]]


async def test_continuous_query_refusals_carry_the_servers_message(
        any_client: InfluxDBClient) -> None:
    with pytest.raises(InfluxDBHTTPError, match="FOR duration must be >= GROUP BY time") as info:
        await run(any_client.create_continuous_query(
            "cq", "SELECT mean(v) INTO m_1h FROM m GROUP BY time(1h)", resample_opts="FOR 30m"))
    assert info.value.status == 400
    with pytest.raises(InfluxDBHTTPError, match="expected INTO"):
        await run(any_client.create_continuous_query(
            "cq", "SELECT mean(v) FROM m GROUP BY time(1h)"))
    with pytest.raises(DatabaseNotFoundError):
        await run(any_client.create_continuous_query(
            "cq", "SELECT mean(v) INTO a FROM m GROUP BY time(1h)", database="no_such_db_c"))
    with pytest.raises(ValueError, match="select must be an InfluxQL statement"):
        await run(any_client.create_continuous_query("cq", " "))


# -- measurements and series -----------------------------------------------------------------------

SERIES = [
    'cpu,host=a,region=eu v=1 1',
    'cpu,host=b,region=eu v=1 1',
    "cpu,host=it's\\ quoted,region=us v=1 1",
    'mem,host=a v=1 1',
    'mem,host=c v=1 1',
]


def series_keys(server: InfluxDBServer, database: str) -> list[str]:
    return [row[0] for row in rows(server, "SHOW SERIES", db=database)]


async def test_measurements_and_series(any_client: InfluxDBClient) -> None:
    await run(any_client.write(SERIES))
    assert await run(any_client.get_list_measurements()) == [{"name": "cpu"}, {"name": "mem"}]
    assert await run(any_client.get_list_series()) == [
        "cpu,host=a,region=eu", "cpu,host=b,region=eu", "cpu,host=it's\\ quoted,region=us",
        "mem,host=a", "mem,host=c"]
    assert await run(any_client.get_list_series(measurement="mem")) == [
        "mem,host=a", "mem,host=c"]
    assert await run(any_client.get_list_series(tags={"host": "a"})) == [
        "cpu,host=a,region=eu", "mem,host=a"]
    assert await run(any_client.get_list_series(measurement="cpu",
                                                tags={"host": "it's quoted"})) == [
        "cpu,host=it's\\ quoted,region=us"]
    assert await run(any_client.get_list_series(tags={"host": "a' OR 'x' = 'x"})) == []


async def test_series_of_another_database(any_client: InfluxDBClient,
                                          influxdb_server: InfluxDBServer) -> None:
    other = unique("other")
    influxdb_server.create_database(other)
    try:
        influxdb_server.write("far,t=1 v=1 1", db=other)
        assert await run(any_client.get_list_series(database=other)) == ["far,t=1"]
        await run(any_client.delete_series(database=other, measurement="far"))
        assert series_keys(influxdb_server, other) == []
    finally:
        influxdb_server.drop_database(other)


async def test_delete_series(any_client: InfluxDBClient, database: str,
                             influxdb_server: InfluxDBServer) -> None:
    await run(any_client.write(SERIES))
    # An attempt to widen the condition deletes nothing.
    await run(any_client.delete_series(tags={"host": "a' OR host =~ /.*/ --"}))
    assert len(series_keys(influxdb_server, database)) == 5
    assert await run(any_client.delete_series(tags={"host": "it's quoted"})) is None
    assert "cpu,host=it's\\ quoted,region=us" not in series_keys(influxdb_server, database)
    await run(any_client.delete_series(measurement="cpu", tags={"host": "a"}))
    assert series_keys(influxdb_server, database) == ["cpu,host=b,region=eu", "mem,host=a",
                                                      "mem,host=c"]
    await run(any_client.delete_series(measurement="mem"))
    assert series_keys(influxdb_server, database) == ["cpu,host=b,region=eu"]
    with pytest.raises(ValueError, match="needs a measurement, tags or both"):
        await run(any_client.delete_series())
    with pytest.raises(ValueError, match="needs a measurement, tags or both"):
        await run(any_client.delete_series(tags={}))
    with pytest.raises(TypeError, match="'host'"):
        await run(any_client.delete_series(tags={"host": 1}))  # type: ignore[dict-item]
    assert series_keys(influxdb_server, database) == ["cpu,host=b,region=eu"]


async def test_drop_measurement_and_show_helpers(any_client: InfluxDBClient, database: str,
                                                 influxdb_server: InfluxDBServer) -> None:
    await run(any_client.write(SERIES))
    answer = await run(any_client.show_tag_values("region", measurement="cpu"))
    assert answer["results"][0]["series"][0]["values"] == [["region", "eu"], ["region", "us"]]
    await run(any_client.drop_measurement("cpu"))
    assert rows(influxdb_server, "SHOW MEASUREMENTS", db=database) == [["mem"]]


async def test_helpers_follow_the_output_and_lists_do_not(influxdb_server: InfluxDBServer,
                                                          database: str) -> None:
    async with client_of(influxdb_server, db=database, output="resultset") as client:
        await client.write(SERIES)
        # aioinflux's helpers answer in the client's output...
        assert list((await client.show_measurements()).get_points()) == [
            {"name": "cpu"}, {"name": "mem"}]
        # ...influxdb-python's lists are lists of dicts whatever it is.
        assert await client.get_list_measurements() == [{"name": "cpu"}, {"name": "mem"}]
        client.output = "dataframe"
        assert await client.get_list_measurements() == [{"name": "cpu"}, {"name": "mem"}]
        assert {"name": database} in await client.get_list_database()


# -- what the client sends: bound values, long statements ---------------------------------

HOSTILE_VALUES = ["it's", 'say "hi"', "semi;colon", "-- comment", "x' OR 1=1 --",
                  "'; DROP DATABASE {db}; --", "back\\slash", "new\nline", "$h", "ü😀"]


async def test_bind_parameters_carry_hostile_values(any_client: InfluxDBClient, database: str,
                                                    influxdb_server: InfluxDBServer) -> None:
    values = [value.format(db=database) for value in HOSTILE_VALUES]
    start = 1_257_894_000_000_000_000  # 2009-11-10T23:00:00Z
    await run(any_client.write([{"measurement": "m", "fields": {"s": value, "i": i},
                                 "time": start + i + 1} for i, value in enumerate(values)]))
    for i, value in enumerate(values):
        answer = await run(any_client.query("SELECT i, s FROM m WHERE s = $v", epoch="ns",
                                            params={"v": value}))
        assert answer["results"][0]["series"][0]["values"] == [[start + i + 1, i, value]]
    answer = await run(any_client.query("SELECT i FROM m WHERE s = $v",
                                        params={"v": "nothing' OR s != '"}))
    assert "series" not in answer["results"][0]
    assert [database] in rows(influxdb_server, "SHOW DATABASES")


async def test_long_query_travels_in_the_post_body(influxdb_server: InfluxDBServer,
                                                   database: str) -> None:
    sent: list[tuple[str, str]] = []
    body = bytearray()

    async def on_start(session: Any, context: Any, params: aiohttp.TraceRequestStartParams
                       ) -> None:
        sent.append((params.method, str(params.url)))

    async def on_chunk(session: Any, context: Any,
                       params: aiohttp.TraceRequestChunkSentParams) -> None:
        body.extend(params.chunk)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    trace.on_request_chunk_sent.append(on_chunk)
    query = f"SELECT v FROM m WHERE s = '{'x' * 100_000}' OR v = 1"
    async with client_of(influxdb_server, db=database, trace_configs=[trace]) as client:
        await client.write("m v=1 1")
        sent.clear()
        answer = await client.query(query)
    assert answer["results"][0]["series"][0]["values"] == [[1, 1]]
    assert [method for method, _ in sent] == ["POST"]
    assert len(sent[0][1]) < 200
    assert len(body) > 100_000
    assert b"x" * 100_000 + b"%27+OR+v+%3D+1" in body


# -- errors of real refusals -----------------------------------------------------------------


async def test_database_not_found_on_write_and_query(any_client: InfluxDBClient) -> None:
    with pytest.raises(DatabaseNotFoundError) as info:
        await run(any_client.write("m v=1", db="no_such_db_w"))
    error = info.value
    assert isinstance(error, InfluxDBWriteError)
    assert isinstance(error, (WriteFailedException, DatabaseNotFoundException))
    assert error.status == error.code == 404
    assert error.database == "no_such_db_w"
    assert not isinstance(error, InfluxDBQueryError)

    with pytest.raises(DatabaseNotFoundError) as info:
        await run(any_client.query("SELECT * FROM m", db="no_such_db_q"))
    error = info.value
    assert isinstance(error, InfluxDBQueryError)
    assert isinstance(error, QueryFailedException)
    assert not isinstance(error, InfluxDBHTTPError)
    assert error.database == "no_such_db_q"
    assert error.message == "database not found: no_such_db_q"


async def test_influxdb_python_and_inflow_names_catch_real_refusals(
        any_client: InfluxDBClient, influxdb_auth_server: InfluxDBServer) -> None:
    # A syntax error (HTTP 400) and a failed statement (HTTP 200).
    for query in ("SELEKT 1", "CREATE RETENTION POLICY rp ON nope_db DURATION 1d REPLICATION 1"):
        with pytest.raises(InfluxDBClientError) as client_error:
            await run(any_client.query(query))
        assert isinstance(client_error.value, QueryFailedException)
    # 500: a write to a retention policy that does not exist.
    with pytest.raises(InfluxDBServerError) as server_error:
        await run(any_client.write("m v=1", rp="no_such_rp"))
    assert server_error.value.status == 500
    assert isinstance(server_error.value, WriteFailedException)
    assert not isinstance(server_error.value, InfluxDBClientError)
    # 401
    async with client_of(influxdb_auth_server, username="admin",
                         password="wrong-password") as stranger:
        with pytest.raises(UnauthorizedException) as refused:
            await stranger.get_list_database()
    assert isinstance(refused.value, (InfluxDBClientError, QueryFailedException))
    assert refused.value.code == 401


# -- an empty name is never the default ------------------------------------------------


@pytest.mark.parametrize("call", [
    lambda client: client.drop_database(""),
    lambda client: client.create_database(""),
    lambda client: client.drop_retention_policy("autogen", database=""),
    lambda client: client.delete_series(database="", measurement="m"),
    lambda client: client.write({"measurement": "m", "fields": {"v": 1}}, db=""),
    lambda client: client.query("DROP MEASUREMENT m", db=""),
    lambda client: client.session(db=""),
])
async def test_an_empty_database_name_is_refused_never_the_default(
        call: Any, any_client: InfluxDBClient, influxdb_server: InfluxDBServer,
        database: str) -> None:
    influxdb_server.write("m v=1 1", db=database)
    with pytest.raises(ValueError, match="database name is empty"):
        await run(call(any_client))
    # The client's database, its measurement and its policy are all still there.
    assert [database] in rows(influxdb_server, "SHOW DATABASES")
    assert [row[1:] for row in rows(influxdb_server, "SELECT v FROM m", db=database)] == [[1]]
    assert ["autogen"] in [row[:1] for row in rows(
        influxdb_server, f'SHOW RETENTION POLICIES ON "{database}"')]


async def test_a_continuous_query_of_two_statements_is_refused_before_sending(
        any_client: InfluxDBClient, influxdb_server: InfluxDBServer, database: str) -> None:
    victim = unique("victim")
    influxdb_server.create_database(victim)
    try:
        select = (f'SELECT mean(v) INTO "m_1h" FROM m GROUP BY time(1h); '
                  f'DROP DATABASE "{victim}"')
        with pytest.raises(ValueError, match="one InfluxQL statement"):
            await run(any_client.create_continuous_query("cq", select))
        assert [victim] in rows(influxdb_server, "SHOW DATABASES")
        assert rows(influxdb_server, "SHOW CONTINUOUS QUERIES") == []
    finally:
        influxdb_server.drop_database(victim)
