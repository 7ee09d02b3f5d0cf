"""Administration: databases, retention policies, users and privileges, continuous
queries, measurements and series, as methods of :class:`~influxkit.InfluxDBClient`.

Two families of names live here. aioinflux's helpers (``create_database``,
``show_users``, ``show_series``, ...) return what :meth:`~InfluxDBClient.query` returns,
in the client's output. influxdb-python's (``create_retention_policy``,
``get_list_users``, ``delete_series``, ...) return ``None``, or lists of plain dicts in
influxdb-python's shapes, whatever the output. All of them follow the client's mode: in
async mode they return coroutines, in blocking mode results.

Every name and value reaches the server through
:func:`~influxkit._influxql.build_statement`; passwords travel as bound parameters,
never in a statement's text.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from ._core.influxql import check_duration, check_storable_name, parse_resample, tag_conditions
from ._core.servers import Server
from ._decode.resultset import ResultSet
from ._errors import NotSupportedError
from ._native import Databases

__all__ = ["StatementRunner"]

P = ParamSpec("P")
R = TypeVar("R")


def _points(statement: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(ResultSet(statement).get_points())


class StatementRunner(Protocol):
    """What the administration commands need: one primitive, run a statement (the
    engine's), and the rule that resolves a database."""

    async def run_statement(self, template: str, values: Mapping[str, Any], *,
                            db: str | None = None, hide: str | None = None,
                            output: str | None = None) -> Any: ...

    def target(self, db: str | None) -> str: ...

    async def known_server(self) -> Server: ...

    @property
    def databases(self) -> Databases: ...

    def shaped(self, document: Mapping[str, Any], output: str | None = None) -> Any: ...


async def _native(engine: StatementRunner) -> Server | None:
    """The server, when it has no InfluxQL administration (2.x, 3.x): its own API does
    the work; None on 1.x."""
    server = await engine.known_server()
    return None if server.influxql_administration else server


def _influxql_only(what: str, instead: str, *, on: tuple[int, ...] = (2, 3)) -> Callable[
        [Callable[Concatenate[StatementRunner, P], Coroutine[Any, Any, R]]],
        Callable[Concatenate[StatementRunner, P], Coroutine[Any, Any, R]]]:
    """A command the servers ``on`` (InfluxDB 2.x and 3.x) have no equivalent of: there
    it raises :class:`NotSupportedError`, saying what to do ``instead``, before anything
    is sent."""

    def decorate(command: Callable[Concatenate[StatementRunner, P], Coroutine[Any, Any, R]]
                 ) -> Callable[Concatenate[StatementRunner, P], Coroutine[Any, Any, R]]:
        @functools.wraps(command)
        async def checked(engine: StatementRunner, /, *args: P.args, **kwargs: P.kwargs) -> R:
            server = await engine.known_server()
            if server.major in on:
                raise NotSupportedError(f"{server} has no {what}: {instead}",
                                        server=server.name)
            return await command(engine, *args, **kwargs)

        return checked

    return decorate


_USERS = ("InfluxQL users", "InfluxDB 2.x gives access by tokens (influx auth create, or "
          "/api/v2/authorizations), 3.x by tokens too (influxdb3 create token)")
_CONTINUOUS = ("continuous queries", "InfluxDB 2.x runs tasks instead (influx task create), "
               "3.x processing engine triggers (influxdb3 create trigger)")
_TABLES = "InfluxDB 3.x deletes a measurement (a table) whole: influxdb3 delete table"


def _databases_document(names: list[str]) -> dict[str, Any]:
    """``SHOW DATABASES``'s answer, for these names."""
    series = {"name": "databases", "columns": ["name"], "values": [[name] for name in names]}
    return {"results": [{"statement_id": 0, "series": [series]} if names else
                        {"statement_id": 0}]}


_DONE: Mapping[str, Any] = {"results": [{"statement_id": 0}]}


async def _run(engine: StatementRunner, template: str, **names: str | None) -> Any:
    """Run a statement; return what ``query()`` returns, in the client's output."""
    return await engine.run_statement(template, names)


async def _execute(engine: StatementRunner, template: str, values: Mapping[str, Any], *,
                   on: str | None = None, hide: str | None = None) -> dict[str, Any]:
    """Run one statement on database ``on``; return its result in the JSON shape,
    whatever the client's output. ``hide`` is taken out of any error raised."""
    result = await engine.run_statement(template, values, db=on, hide=hide, output="json")
    statements: list[dict[str, Any]] = result.get("results") or [{}]
    return statements[0]


# -- databases -----------------------------------------------------------------------


async def create_database(engine: StatementRunner, db: str | None = None) -> Any:
    """``CREATE DATABASE`` (the client's database by default).

    Args:
        db: the database; the client's by default.

    Returns:
        What :meth:`~InfluxDBClient.query` returns (aioinflux's helper).

    Raises:
        ValueError: for a name InfluxDB cannot store (``.``, ``..``, names with
            ``/``, ``\\`` or a character that is not printable), before anything
            is sent.
    """
    database = engine.target(db)
    check_storable_name(database, "database")
    server = await _native(engine)
    if server is not None:
        await engine.databases.create(server, database)
        return engine.shaped(_DONE)
    return await _run(engine, "CREATE DATABASE {db}", db=database)


async def drop_database(engine: StatementRunner, db: str | None = None) -> Any:
    """``DROP DATABASE`` (the client's database by default); no error if it does
    not exist.

    On InfluxDB 2.x this deletes the buckets the database is mapped to, and their
    mappings; on 3.x the database (see :mod:`influxkit._native`).

    Args:
        db: the database; the client's by default.

    Returns:
        What :meth:`~InfluxDBClient.query` returns (aioinflux's helper).
    """
    database = engine.target(db)
    server = await _native(engine)
    if server is not None:
        await engine.databases.drop(server, database)
        return engine.shaped(_DONE)
    return await _run(engine, "DROP DATABASE {db}", db=database)


async def show_databases(engine: StatementRunner) -> Any:
    """``SHOW DATABASES`` (on InfluxDB 2.x, the databases of its DBRP mappings; on
    3.x, its databases, in the same shape)."""
    server = await _native(engine)
    if server is not None and server.major == 3:
        return engine.shaped(_databases_document(await engine.databases.names(server)))
    return await engine.run_statement("SHOW DATABASES", {})


async def get_list_database(engine: StatementRunner) -> list[dict[str, Any]]:
    """The databases, as ``[{'name': 'db1'}, {'name': 'db2'}]`` (influxdb-python's
    name and shape)."""
    server = await _native(engine)
    if server is not None and server.major == 3:
        return [{"name": name} for name in await engine.databases.names(server)]
    return _points(await _execute(engine, "SHOW DATABASES", {}))


# -- retention policies ------------------------------------------------------------------


async def create_retention_policy(engine: StatementRunner,
                                  name: str, duration: str, replication: int,
                                  database: str | None = None, default: bool = False,
                                  shard_duration: str | None = None) -> None:
    """Create a retention policy.

    Args:
        name: the policy's name.
        duration: how long data is kept: an InfluxQL duration such as ``'90m'``,
            ``'1h30m'``, ``'7d'`` or ``'52w'`` (at least one hour, says the server),
            or ``'INF'`` for ever.
        replication: the number of copies of the data (1 on a single server).
        database: the database; the client's by default.
        default: make it the database's default retention policy.
        shard_duration: the time span of a shard group; the server chooses by
            default.

    Raises:
        ValueError, TypeError: for a bad name, duration or replication, before
            anything is sent.
        InfluxDBQueryError: when the server refuses, with its message (a
            :class:`DatabaseNotFoundError` when the database does not exist).

    Example::

        await client.create_retention_policy("a_year", "52w", 1, default=True)
    """
    check_storable_name(name, "retention policy")
    server = await _native(engine)
    if server is not None:
        # A bucket "db/rp" that keeps data for the duration, mapped as that policy.
        await engine.databases.create_policy(
            server, engine.target(database), name,
            check_duration(duration, "duration", infinite=True), default)
        return
    await _execute(
        engine,
        "CREATE RETENTION POLICY {name} ON {database} DURATION {duration:retention} "
        "REPLICATION {replication:replication}[ SHARD DURATION {shard_duration:duration}]"
        "[ DEFAULT{default:flag}]",
        {"name": name, "database": engine.target(database), "duration": duration,
         "replication": replication, "shard_duration": shard_duration,
         "default": default})


@_influxql_only("ALTER RETENTION POLICY",
                "change the retention of the database's bucket (influx bucket update "
                "--retention, or PATCH /api/v2/buckets/ID) on 2.x; 3.x has no retention "
                "policies")
async def alter_retention_policy(engine: StatementRunner, name: str, database: str | None = None,
                                 duration: str | None = None,
                                 replication: int | None = None,
                                 default: bool | None = None,
                                 shard_duration: str | None = None) -> None:
    """Change a retention policy: those of ``duration``, ``replication``,
    ``shard_duration`` and ``default`` that are given (see
    :meth:`create_retention_policy`).

    ``default=True`` makes it the database's default. A policy stops being the
    default only when another one becomes it, so ``default=False`` changes nothing.

    Args:
        name: the retention policy.
        database: its database; the client's by default.
        duration: how long data is kept (``'90m'``, ``'7d'``, ``'INF'``...).
        replication: the number of copies of the data (1 outside clusters).
        default: ``True`` to make it the database's default.
        shard_duration: the time range of a shard group (``'1d'``...).

    Raises:
        ValueError: when nothing would change, or for a bad duration or
            replication, before anything is sent.
        InfluxDBQueryError: when the server refuses, with its message.
    """
    if duration is None and replication is None and shard_duration is None and not default:
        raise ValueError(f"nothing to change in retention policy {name!r}: give "
                         "duration, replication, shard_duration or default=True")
    await _execute(
        engine,
        "ALTER RETENTION POLICY {name} ON {database}[ DURATION {duration:retention}]"
        "[ REPLICATION {replication:replication}]"
        "[ SHARD DURATION {shard_duration:duration}][ DEFAULT{default:flag}]",
        {"name": name, "database": engine.target(database), "duration": duration,
         "replication": replication, "shard_duration": shard_duration,
         "default": default})


async def drop_retention_policy(engine: StatementRunner,
                                name: str, database: str | None = None) -> None:
    """Drop a retention policy, and its data; no error if it does not exist (on
    InfluxDB 2.x, the bucket :meth:`create_retention_policy` made).

    Args:
        name: the retention policy.
        database: its database; the client's by default.
    """
    server = await _native(engine)
    if server is not None:
        await engine.databases.drop_policy(server, engine.target(database), name)
        return
    await _execute(engine, "DROP RETENTION POLICY {name} ON {database}",
                   {"name": name, "database": engine.target(database)})


async def show_retention_policies(engine: StatementRunner, db: str | None = None) -> Any:
    """``SHOW RETENTION POLICIES`` of a database.

    Args:
        db: the database; the client's by default.

    Returns:
        What :meth:`~InfluxDBClient.query` returns (aioinflux's helper).
    """
    return await _run(engine, "SHOW RETENTION POLICIES ON {db}",
                      db=engine.target(db))


async def get_list_retention_policies(engine: StatementRunner, database: str | None = None
                                      ) -> list[dict[str, Any]]:
    """The retention policies of a database (the client's by default)::

        [{'name': 'autogen', 'duration': '0s', 'shardGroupDuration': '168h0m0s',
          'replicaN': 1, 'default': True}]

    Args:
        database: the database; the client's by default.

    Returns:
        One dict per retention policy, in influxdb-python's shape, whatever the output.
    """
    return _points(await _execute(engine, "SHOW RETENTION POLICIES ON {database}",
                                  {"database": engine.target(database)}))


# -- users and privileges ----------------------------------------------------------------


@_influxql_only(*_USERS)
async def create_user(engine: StatementRunner,
                      username: str, password: str, admin: bool = False) -> None:
    """Create a user; with ``admin``, one with every privilege.

    The password is sent as a bound parameter: it is in no statement's text, and no
    error shows it.

    Args:
        username: the user's name.
        password: the user's password.
        admin: ``True`` for an admin (every privilege on every database).

    Raises:
        InfluxDBQueryError: when the server refuses ("user already exists").
        AuthorizationError: when the client's user is not an admin.
    """
    await _execute(
        engine,
        "CREATE USER {username} WITH PASSWORD {password:secret}"
        "[ WITH ALL PRIVILEGES{admin:flag}]",
        {"username": username, "password": password, "admin": admin}, hide=password)


@_influxql_only(*_USERS)
async def drop_user(engine: StatementRunner, username: str) -> None:
    """Drop a user.

    Args:
        username: the user.

    Raises:
        InfluxDBQueryError: when the user does not exist.
    """
    await _execute(engine, "DROP USER {username}", {"username": username})


@_influxql_only(*_USERS)
async def show_users(engine: StatementRunner) -> Any:
    """``SHOW USERS``."""
    return await engine.run_statement("SHOW USERS", {})


@_influxql_only(*_USERS)
async def get_list_users(engine: StatementRunner) -> list[dict[str, Any]]:
    """The users, as ``[{'user': 'admin', 'admin': True}, ...]``."""
    return _points(await _execute(engine, "SHOW USERS", {}))


@_influxql_only(*_USERS)
async def set_user_password(engine: StatementRunner, username: str, password: str) -> None:
    """Change a user's password (sent as a bound parameter, like
    :meth:`create_user`'s).

    Args:
        username: the user.
        password: the new password.

    Raises:
        InfluxDBQueryError: when the user does not exist.
    """
    await _execute(engine, "SET PASSWORD FOR {username} = {password:secret}",
                   {"username": username, "password": password}, hide=password)


@_influxql_only(*_USERS)
async def grant_admin_privileges(engine: StatementRunner, username: str) -> None:
    """Make a user an admin: every privilege on every database, and the management
    of databases and users.

    Args:
        username: the user.
    """
    await _execute(engine, "GRANT ALL PRIVILEGES TO {username}", {"username": username})


@_influxql_only(*_USERS)
async def revoke_admin_privileges(engine: StatementRunner, username: str) -> None:
    """Make an admin a plain user again (its privileges on databases stay).

    Args:
        username: the user.
    """
    await _execute(engine, "REVOKE ALL PRIVILEGES FROM {username}", {"username": username})


@_influxql_only(*_USERS)
async def grant_privilege(engine: StatementRunner,
                          privilege: str, database: str, username: str) -> None:
    """Grant a user a privilege on a database, in place of the one it had there
    (granting ``'write'`` to a reader leaves it ``'write'`` only).

    Args:
        privilege: ``'read'``, ``'write'`` or ``'all'``, in any case.
        database: the database.
        username: the user.

    Raises:
        ValueError: for another privilege, before anything is sent.
        InfluxDBQueryError: when the user or the database does not exist.
    """
    await _execute(engine, "GRANT {privilege:privilege} ON {database} TO {username}",
                   {"privilege": privilege, "database": database,
                    "username": username})


@_influxql_only(*_USERS)
async def revoke_privilege(engine: StatementRunner,
                           privilege: str, database: str, username: str) -> None:
    """Take a privilege on a database from a user (see :meth:`grant_privilege`).

    Revoking ``'write'`` from a user with ``'all'`` leaves ``'read'``, and the other
    way round.

    Args:
        privilege: ``'read'``, ``'write'`` or ``'all'``, in any case.
        database: the database.
        username: the user.

    Raises:
        ValueError: for another privilege, before anything is sent.
    """
    await _execute(engine, "REVOKE {privilege:privilege} ON {database} FROM {username}",
                   {"privilege": privilege, "database": database,
                    "username": username})


@_influxql_only(*_USERS)
async def get_list_privileges(engine: StatementRunner, username: str) -> list[dict[str, Any]]:
    """A user's privileges, one per database::

        [{'database': 'db1', 'privilege': 'WRITE'},
         {'database': 'db2', 'privilege': 'ALL PRIVILEGES'},
         {'database': 'db3', 'privilege': 'NO PRIVILEGES'}]

    Args:
        username: the user.
    """
    return _points(await _execute(engine, "SHOW GRANTS FOR {username}",
                                  {"username": username}))


# -- continuous queries -----------------------------------------------------------------


@_influxql_only(*_CONTINUOUS)
async def create_continuous_query(engine: StatementRunner, name: str, select: str,
                                  database: str | None = None,
                                  resample_opts: str | None = None) -> None:
    """Create a continuous query.

    Args:
        name: its name.
        select: its ``SELECT ... INTO ... GROUP BY time(...)`` statement, InfluxQL
            of the caller's own, sent as it is.
        database: the database it runs on; the client's by default.
        resample_opts: how often it runs and how far back it looks, as
            ``'EVERY 1h FOR 2h'``; either part may be left out.

    Raises:
        ValueError: for bad resample options, before anything is sent.
        InfluxDBHTTPError: when the server cannot parse the query (400).
        InfluxDBQueryError: when the server refuses it ("continuous query already
            exists", a missing database).

    Example::

        await client.create_continuous_query(
            "cpu_1h", 'SELECT mean("usage") INTO "cpu_1h" FROM "cpu" GROUP BY time(1h)',
            resample_opts="EVERY 1h FOR 2h")
    """
    every, period = (None, None) if resample_opts is None else parse_resample(resample_opts)
    await _execute(
        engine,
        "CREATE CONTINUOUS QUERY {name} ON {database}"
        "[ RESAMPLE{resample:flag}[ EVERY {every:duration}][ FOR {period:duration}]]"
        " BEGIN {select:query} END",
        {"name": name, "database": engine.target(database), "select": select,
         "resample": resample_opts is not None, "every": every, "period": period})


@_influxql_only(*_CONTINUOUS)
async def drop_continuous_query(engine: StatementRunner,
                                name: str, database: str | None = None) -> None:
    """Drop a continuous query; no error if it does not exist.

    Args:
        name: the continuous query.
        database: its database; the client's by default.
    """
    await _execute(engine, "DROP CONTINUOUS QUERY {name} ON {database}",
                   {"name": name, "database": engine.target(database)})


@_influxql_only(*_CONTINUOUS)
async def show_continuous_queries(engine: StatementRunner) -> Any:
    """``SHOW CONTINUOUS QUERIES``."""
    return await engine.run_statement("SHOW CONTINUOUS QUERIES", {})


@_influxql_only(*_CONTINUOUS)
async def get_list_continuous_queries(engine: StatementRunner
                                      ) -> list[dict[str, list[dict[str, Any]]]]:
    """The continuous queries of every database, by database::

        [{'db1': [{'name': 'cpu_1h', 'query': 'CREATE CONTINUOUS QUERY ...'}]},
         {'db2': []}]

    Returns:
        One dict per database, mapping its name to its continuous queries (each with
        its ``name`` and ``query``), in influxdb-python's shape, whatever the output.
    """
    result = ResultSet(await _execute(engine, "SHOW CONTINUOUS QUERIES", {}))
    return [{name or "": list(points)} for (name, _), points in result.items()]


# -- measurements and series ---------------------------------------------------------------


async def show_measurements(engine: StatementRunner) -> Any:
    """``SHOW MEASUREMENTS``."""
    return await engine.run_statement("SHOW MEASUREMENTS", {})


async def get_list_measurements(engine: StatementRunner) -> list[dict[str, Any]]:
    """The measurements of the client's database, as ``[{'name': 'cpu'}, ...]``."""
    return _points(await _execute(engine, "SHOW MEASUREMENTS", {}, on=engine.target(None)))


@_influxql_only("DROP MEASUREMENT", _TABLES, on=(3,))
async def drop_measurement(engine: StatementRunner, measurement: str) -> Any:
    """``DROP MEASUREMENT`` from the client's database: the measurement's series and
    points.

    Args:
        measurement: the measurement.

    Returns:
        What :meth:`~InfluxDBClient.query` returns (aioinflux's helper).
    """
    return await _run(engine, "DROP MEASUREMENT {m}", m=measurement)


@_influxql_only("SHOW SERIES", "list the tag values of a measurement instead "
                "(show_tag_values)", on=(3,))
async def show_series(engine: StatementRunner, measurement: str | None = None) -> Any:
    """``SHOW SERIES``, optionally of one measurement."""
    return await _run(engine, "SHOW SERIES[ FROM {m}]", m=measurement)


async def show_tag_keys(engine: StatementRunner, measurement: str | None = None) -> Any:
    """``SHOW TAG KEYS``, optionally of one measurement."""
    return await _run(engine, "SHOW TAG KEYS[ FROM {m}]", m=measurement)


async def show_field_keys(engine: StatementRunner, measurement: str | None = None) -> Any:
    """``SHOW FIELD KEYS``, optionally of one measurement."""
    return await _run(engine, "SHOW FIELD KEYS[ FROM {m}]", m=measurement)


async def show_tag_values(engine: StatementRunner, key: str, measurement: str | None = None) -> Any:
    """``SHOW TAG VALUES WITH KEY = "key"``, optionally of one measurement."""
    return await _run(engine, "SHOW TAG VALUES[ FROM {m}] WITH KEY = {key}", m=measurement, key=key)


@_influxql_only("SHOW SERIES", "list the tag values of a measurement instead "
                "(show_tag_values)", on=(3,))
async def get_list_series(engine: StatementRunner,
                          database: str | None = None, measurement: str | None = None,
                          tags: Mapping[str, str] | None = None) -> list[str]:
    """The keys of the series (``'cpu,host=a'``), of one measurement and with
    these tags if given, in a database (the client's by default)."""
    conditions, values = tag_conditions(tags or {})
    where = f" WHERE {conditions}" if conditions else ""
    result = await _execute(engine, f"SHOW SERIES[ FROM {{measurement}}]{where}",
                            {"measurement": measurement, **values},
                            on=engine.target(database))
    return [point["key"] for point in _points(result)]


@_influxql_only("DROP SERIES", _TABLES, on=(3,))
async def delete_series(engine: StatementRunner,
                        database: str | None = None, measurement: str | None = None,
                        tags: Mapping[str, str] | None = None) -> None:
    """Delete series, and their data: those of a measurement, those with these tags,
    or those of a measurement with these tags (``DROP SERIES``; on InfluxDB 2.x, which
    has no ``DROP SERIES``, ``DELETE``, which removes the same points).

    Raises:
        ValueError: when neither a measurement nor tags are given (to delete every
            series, drop the measurements or the database).
        NotSupportedError: on InfluxDB 3.x, which deletes only whole tables and
            databases, before anything is sent.
    """
    if measurement is None and not tags:
        raise ValueError("delete_series needs a measurement, tags or both")
    conditions, values = tag_conditions(tags or {})
    where = f" WHERE {conditions}" if conditions else ""
    server = await engine.known_server()
    verb = "DELETE" if server.major == 2 else "DROP SERIES"
    await _execute(engine, f"{verb}[ FROM {{measurement}}]{where}",
                   {"measurement": measurement, **values}, on=engine.target(database))
