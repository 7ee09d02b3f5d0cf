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

import asyncio
import base64
import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from ._errors import InfluxDBError, redact
from ._influxql import build_statement, check_storable_name, parse_resample, tag_conditions
from ._loop import dual
from ._resultset import ResultSet

if TYPE_CHECKING:
    from ._client import InfluxDBClient

__all__ = ["AdminMixin", "basic_authorization"]



def basic_authorization(username: str, password: str | None) -> str:
    """The ``Authorization`` header of HTTP basic authentication."""
    credentials = f"{username}:{password or ''}".encode()
    return "Basic " + base64.b64encode(credentials).decode("ascii")


def _points(statement: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(ResultSet(statement).get_points())


class AdminMixin:
    """The administration methods of :class:`~influxkit.InfluxDBClient`."""

    # -- running statements ----------------------------------------------------------------

    def _run(self, template: str, **names: str | None) -> Any:
        """Run a statement built by :func:`build_statement`; return what ``query()`` does."""
        statement, params = build_statement(template, **names)
        return cast("InfluxDBClient", self).query(statement, params=params or None)

    async def _execute(self, template: str, values: Mapping[str, Any], *, on: str | None = None,
                       hide: str | None = None) -> dict[str, Any]:
        """Run one statement built by :func:`build_statement` from ``template`` and
        ``values``, on database ``on``; return its result in the JSON shape, whatever
        the client's output.

        ``hide`` is a password: it is taken out of any error raised.
        """
        client = cast("InfluxDBClient", self)
        statement, params = build_statement(template, **values)
        # The coroutine under the mode-following wrapper: this already runs on the
        # loop, in either mode.
        query = inspect.unwrap(type(client).query)
        try:
            result = await query(client, statement, db=on, params=params or None,
                                 output="json")
        except InfluxDBError as exc:
            if hide:
                redact(exc, hide)
            raise
        statements: list[dict[str, Any]] = result.get("results") or [{}]
        return statements[0]

    def _target(self, database: str | None) -> str:
        """The database a method works on: ``database``, else the client's."""
        name = database if database is not None else cast("InfluxDBClient", self).db
        if not name:
            raise ValueError("no database: pass database= or set the client's db")
        return name

    # -- the client's database and user -----------------------------------------------------

    def switch_database(self, database: str | None) -> None:
        """Make ``database`` the client's database (:attr:`~InfluxDBClient.db`).

        Raises:
            TypeError: for a name that is not a string (or ``None``).
        """
        if database is not None and not isinstance(database, str):
            raise TypeError(f"a database name must be a string, not {database!r}")
        cast("InfluxDBClient", self).db = database

    def switch_user(self, username: str, password: str) -> None:
        """Send the requests made from now on with these credentials (HTTP basic
        authentication), in place of the client's username and password or token.

        Requests already under way keep the credentials they were sent with.

        Raises:
            TypeError: for a username or password that is not a string.
            ValueError: for an empty username, or one with ``:``, which basic
                authentication cannot carry.
        """
        if not isinstance(username, str):
            raise TypeError(f"a username must be a string, not {username!r}")
        if not isinstance(password, str):
            raise TypeError(f"a password must be a string, not {type(password).__name__}")
        if not username or ":" in username:
            raise ValueError(f"username {username!r} cannot be sent by HTTP basic "
                             "authentication: it must be non-empty, without ':'")
        client = cast("InfluxDBClient", self)
        authorization = basic_authorization(username, password)
        client.username = username
        client._authorization = authorization
        # Sessions already open send their default headers with every request. A session
        # of a loop running in another thread (blocking mode's) is changed on that loop,
        # ahead of any request made after this call.
        current = asyncio._get_running_loop()
        for loop, session in list(client._sessions.items()):
            if loop.is_running() and loop is not current:
                loop.call_soon_threadsafe(session.headers.__setitem__, "Authorization",
                                          authorization)
            elif not loop.is_closed():
                session.headers["Authorization"] = authorization

    # -- databases -----------------------------------------------------------------------

    def create_database(self, db: str | None = None) -> Any:
        """``CREATE DATABASE`` (the client's database by default).

        Returns:
            What :meth:`~InfluxDBClient.query` returns (aioinflux's helper).

        Raises:
            ValueError: for a name InfluxDB cannot store (``.``, ``..``, names with
                ``/``, ``\\`` or a character that is not printable), before anything
                is sent.
        """
        database = cast("InfluxDBClient", self)._database(db)
        check_storable_name(database, "database")
        return self._run("CREATE DATABASE {db}", db=database)

    def drop_database(self, db: str | None = None) -> Any:
        """``DROP DATABASE`` (the client's database by default); no error if it does
        not exist."""
        return self._run("DROP DATABASE {db}", db=cast("InfluxDBClient", self)._database(db))

    def show_databases(self) -> Any:
        """``SHOW DATABASES``."""
        return cast("InfluxDBClient", self).query("SHOW DATABASES")

    @dual
    async def get_list_database(self) -> list[dict[str, Any]]:
        """The databases, as ``[{'name': 'db1'}, {'name': 'db2'}]`` (influxdb-python's
        name and shape)."""
        return _points(await self._execute("SHOW DATABASES", {}))

    # -- retention policies ------------------------------------------------------------------

    @dual
    async def create_retention_policy(self, name: str, duration: str, replication: int,
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
        await self._execute(
            "CREATE RETENTION POLICY {name} ON {database} DURATION {duration:retention} "
            "REPLICATION {replication:replication}[ SHARD DURATION {shard_duration:duration}]"
            "[ DEFAULT{default:flag}]",
            {"name": name, "database": self._target(database), "duration": duration,
             "replication": replication, "shard_duration": shard_duration,
             "default": default})

    @dual
    async def alter_retention_policy(self, name: str, database: str | None = None,
                                     duration: str | None = None,
                                     replication: int | None = None,
                                     default: bool | None = None,
                                     shard_duration: str | None = None) -> None:
        """Change a retention policy: those of ``duration``, ``replication``,
        ``shard_duration`` and ``default`` that are given (see
        :meth:`create_retention_policy`).

        ``default=True`` makes it the database's default. A policy stops being the
        default only when another one becomes it, so ``default=False`` changes nothing.

        Raises:
            ValueError: when nothing would change, or for a bad duration or
                replication, before anything is sent.
            InfluxDBQueryError: when the server refuses, with its message.
        """
        if duration is None and replication is None and shard_duration is None and not default:
            raise ValueError(f"nothing to change in retention policy {name!r}: give "
                             "duration, replication, shard_duration or default=True")
        await self._execute(
            "ALTER RETENTION POLICY {name} ON {database}[ DURATION {duration:retention}]"
            "[ REPLICATION {replication:replication}]"
            "[ SHARD DURATION {shard_duration:duration}][ DEFAULT{default:flag}]",
            {"name": name, "database": self._target(database), "duration": duration,
             "replication": replication, "shard_duration": shard_duration,
             "default": default})

    @dual
    async def drop_retention_policy(self, name: str, database: str | None = None) -> None:
        """Drop a retention policy, and its data; no error if it does not exist."""
        await self._execute("DROP RETENTION POLICY {name} ON {database}",
                            {"name": name, "database": self._target(database)})

    def show_retention_policies(self, db: str | None = None) -> Any:
        """``SHOW RETENTION POLICIES`` of a database (the client's by default)."""
        return self._run("SHOW RETENTION POLICIES ON {db}",
                         db=cast("InfluxDBClient", self)._database(db))

    @dual
    async def get_list_retention_policies(self, database: str | None = None
                                          ) -> list[dict[str, Any]]:
        """The retention policies of a database (the client's by default)::

            [{'name': 'autogen', 'duration': '0s', 'shardGroupDuration': '168h0m0s',
              'replicaN': 1, 'default': True}]
        """
        return _points(await self._execute("SHOW RETENTION POLICIES ON {database}",
                                           {"database": self._target(database)}))

    # -- users and privileges ----------------------------------------------------------------

    @dual
    async def create_user(self, username: str, password: str, admin: bool = False) -> None:
        """Create a user; with ``admin``, one with every privilege.

        The password is sent as a bound parameter: it is in no statement's text, and no
        error shows it.

        Raises:
            InfluxDBQueryError: when the server refuses ("user already exists").
            AuthorizationError: when the client's user is not an admin.
        """
        await self._execute(
            "CREATE USER {username} WITH PASSWORD {password:secret}"
            "[ WITH ALL PRIVILEGES{admin:flag}]",
            {"username": username, "password": password, "admin": admin}, hide=password)

    @dual
    async def drop_user(self, username: str) -> None:
        """Drop a user.

        Raises:
            InfluxDBQueryError: when the user does not exist.
        """
        await self._execute("DROP USER {username}", {"username": username})

    def show_users(self) -> Any:
        """``SHOW USERS``."""
        return cast("InfluxDBClient", self).query("SHOW USERS")

    @dual
    async def get_list_users(self) -> list[dict[str, Any]]:
        """The users, as ``[{'user': 'admin', 'admin': True}, ...]``."""
        return _points(await self._execute("SHOW USERS", {}))

    @dual
    async def set_user_password(self, username: str, password: str) -> None:
        """Change a user's password (sent as a bound parameter, like
        :meth:`create_user`'s).

        Raises:
            InfluxDBQueryError: when the user does not exist.
        """
        await self._execute("SET PASSWORD FOR {username} = {password:secret}",
                            {"username": username, "password": password}, hide=password)

    @dual
    async def grant_admin_privileges(self, username: str) -> None:
        """Make a user an admin: every privilege on every database, and the management
        of databases and users."""
        await self._execute("GRANT ALL PRIVILEGES TO {username}", {"username": username})

    @dual
    async def revoke_admin_privileges(self, username: str) -> None:
        """Make an admin a plain user again (its privileges on databases stay)."""
        await self._execute("REVOKE ALL PRIVILEGES FROM {username}", {"username": username})

    @dual
    async def grant_privilege(self, privilege: str, database: str, username: str) -> None:
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
        await self._execute("GRANT {privilege:privilege} ON {database} TO {username}",
                            {"privilege": privilege, "database": database,
                             "username": username})

    @dual
    async def revoke_privilege(self, privilege: str, database: str, username: str) -> None:
        """Take a privilege on a database from a user (see :meth:`grant_privilege`).

        Revoking ``'write'`` from a user with ``'all'`` leaves ``'read'``, and the other
        way round.
        """
        await self._execute("REVOKE {privilege:privilege} ON {database} FROM {username}",
                            {"privilege": privilege, "database": database,
                             "username": username})

    @dual
    async def get_list_privileges(self, username: str) -> list[dict[str, Any]]:
        """A user's privileges, one per database::

            [{'database': 'db1', 'privilege': 'WRITE'},
             {'database': 'db2', 'privilege': 'ALL PRIVILEGES'},
             {'database': 'db3', 'privilege': 'NO PRIVILEGES'}]
        """
        return _points(await self._execute("SHOW GRANTS FOR {username}",
                                           {"username": username}))

    # -- continuous queries -----------------------------------------------------------------

    @dual
    async def create_continuous_query(self, name: str, select: str,
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
        await self._execute(
            "CREATE CONTINUOUS QUERY {name} ON {database}"
            "[ RESAMPLE{resample:flag}[ EVERY {every:duration}][ FOR {period:duration}]]"
            " BEGIN {select:query} END",
            {"name": name, "database": self._target(database), "select": select,
             "resample": resample_opts is not None, "every": every, "period": period})

    @dual
    async def drop_continuous_query(self, name: str, database: str | None = None) -> None:
        """Drop a continuous query; no error if it does not exist."""
        await self._execute("DROP CONTINUOUS QUERY {name} ON {database}",
                            {"name": name, "database": self._target(database)})

    def show_continuous_queries(self) -> Any:
        """``SHOW CONTINUOUS QUERIES``."""
        return cast("InfluxDBClient", self).query("SHOW CONTINUOUS QUERIES")

    @dual
    async def get_list_continuous_queries(self) -> list[dict[str, list[dict[str, Any]]]]:
        """The continuous queries of every database, by database::

            [{'db1': [{'name': 'cpu_1h', 'query': 'CREATE CONTINUOUS QUERY ...'}]},
             {'db2': []}]
        """
        result = ResultSet(await self._execute("SHOW CONTINUOUS QUERIES", {}))
        return [{name or "": list(points)} for (name, _), points in result.items()]

    # -- measurements and series ---------------------------------------------------------------

    def show_measurements(self) -> Any:
        """``SHOW MEASUREMENTS``."""
        return cast("InfluxDBClient", self).query("SHOW MEASUREMENTS")

    @dual
    async def get_list_measurements(self) -> list[dict[str, Any]]:
        """The measurements of the client's database, as ``[{'name': 'cpu'}, ...]``."""
        return _points(await self._execute("SHOW MEASUREMENTS", {}, on=self._target(None)))

    def drop_measurement(self, measurement: str) -> Any:
        """``DROP MEASUREMENT`` from the client's database."""
        return self._run("DROP MEASUREMENT {m}", m=measurement)

    def show_series(self, measurement: str | None = None) -> Any:
        """``SHOW SERIES``, optionally of one measurement."""
        return self._run("SHOW SERIES[ FROM {m}]", m=measurement)

    def show_tag_keys(self, measurement: str | None = None) -> Any:
        """``SHOW TAG KEYS``, optionally of one measurement."""
        return self._run("SHOW TAG KEYS[ FROM {m}]", m=measurement)

    def show_field_keys(self, measurement: str | None = None) -> Any:
        """``SHOW FIELD KEYS``, optionally of one measurement."""
        return self._run("SHOW FIELD KEYS[ FROM {m}]", m=measurement)

    def show_tag_values(self, key: str, measurement: str | None = None) -> Any:
        """``SHOW TAG VALUES WITH KEY = "key"``, optionally of one measurement."""
        return self._run("SHOW TAG VALUES[ FROM {m}] WITH KEY = {key}", m=measurement, key=key)

    @dual
    async def get_list_series(self, database: str | None = None, measurement: str | None = None,
                              tags: Mapping[str, str] | None = None) -> list[str]:
        """The keys of the series (``'cpu,host=a'``), of one measurement and with
        these tags if given, in a database (the client's by default)."""
        conditions, values = tag_conditions(tags or {})
        where = f" WHERE {conditions}" if conditions else ""
        result = await self._execute(f"SHOW SERIES[ FROM {{measurement}}]{where}",
                                     {"measurement": measurement, **values},
                                     on=self._target(database))
        return [point["key"] for point in _points(result)]

    @dual
    async def delete_series(self, database: str | None = None, measurement: str | None = None,
                            tags: Mapping[str, str] | None = None) -> None:
        """Delete series, and their data: those of a measurement, those with these tags,
        or those of a measurement with these tags (``DROP SERIES``).

        Raises:
            ValueError: when neither a measurement nor tags are given (to delete every
                series, drop the measurements or the database).
        """
        if measurement is None and not tags:
            raise ValueError("delete_series needs a measurement, tags or both")
        conditions, values = tag_conditions(tags or {})
        where = f" WHERE {conditions}" if conditions else ""
        await self._execute(f"DROP SERIES[ FROM {{measurement}}]{where}",
                            {"measurement": measurement, **values}, on=self._target(database))
