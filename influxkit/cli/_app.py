"""The ``influxkit`` command: click commands over influxkit's public API."""

from __future__ import annotations

import contextlib
import datetime
import importlib
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from typing import IO, Any, Final, TypeVar

import click

from influxkit import (
    InfluxDBClient,
    InfluxDBConnectionError,
    InfluxDBError,
    PartialWriteError,
    __version__,
)
from influxkit._core.influxql import quote_ident

from ._connect import ConnectionOptions, connect
from ._errors import (
    EXIT_CONNECTION,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_PARTIAL,
    EXIT_USAGE,
    CliError,
)
from ._ui import UI

__all__ = ["cli"]

F = TypeVar("F", bound=Callable[..., Any])

EPOCHS: Final = ("rfc3339", "ns", "u", "ms", "s", "m", "h")
_NS_PER_EPOCH: Final = {"ns": 1, "u": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9,
                        "h": 3600 * 10**9}
PRECISIONS: Final = ("ns", "u", "ms", "s", "m", "h")

EPILOG: Final = """\b
Exit status: 0 done; 1 the operation failed (refused by the server, a bad input
line); 2 a usage error; 3 part of the data was stored and part not (listed on
stderr); 4 the server could not be reached; 130 interrupted (Ctrl-C).

\b
The server: --url, or --profile (a table of ~/.config/influxkit/config.toml),
or $INFLUX_URL (and the other variables of InfluxDBClient.from_env), or the
[default] profile, or http://localhost:8086. Credentials never go on the
command line: --ask-password, --ask-token, a profile, $INFLUX_PASSWORD or
$INFLUX_TOKEN.
"""


class _Group(click.Group):
    """Maps what a command raises to a message on stderr and an exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except CliError as exc:
            _fail(exc.message, exc.status)
        except KeyboardInterrupt:
            _fail("interrupted", EXIT_INTERRUPTED)
        except InfluxDBConnectionError as exc:
            _fail(f"cannot reach the server: {exc}", EXIT_CONNECTION)
        except PartialWriteError as exc:
            _fail(str(exc), EXIT_PARTIAL)
        except InfluxDBError as exc:
            _fail(str(exc), EXIT_FAILED)
        except BrokenPipeError:
            # The reader went away (``| head``): stop quietly.
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(EXIT_FAILED) from None
        except OSError as exc:
            _fail(f"{exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}",
                  EXIT_FAILED)


def _fail(message: str, status: int) -> None:
    click.echo(f"Error: {message}", err=True)
    raise click.exceptions.Exit(status)


class _LogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """influxkit's log records on stderr (whatever stderr is when they are emitted)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("influxkit: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.setStream(sys.stderr)
        super().emit(record)


def _log_to_stderr(verbose: int) -> Callable[[], None]:
    """Show influxkit's warnings (with -v its INFO, -vv DEBUG). The batching writer's
    reports of batches not delivered are left out: the command reports them itself,
    with their files and lines.

    Returns:
        What puts the loggers back as they were: a command run inside another program
        (``main([...])``, click's ``CliRunner``) leaves that program's logging alone.
    """
    logger = logging.getLogger("influxkit")
    writer = logging.getLogger("influxkit.writer")
    before = (list(logger.handlers), logger.propagate, logger.level, writer.level)

    def restore() -> None:
        logger.handlers[:] = before[0]
        logger.propagate = before[1]
        logger.setLevel(before[2])
        writer.setLevel(before[3])

    if not any(isinstance(handler, _LogHandler) for handler in logger.handlers):
        logger.addHandler(_LogHandler())
    logger.propagate = False
    logger.setLevel({0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG))
    # Its reports are errors: above them, they are left to the command's own.
    writer.setLevel(logging.CRITICAL if verbose == 0 else logging.NOTSET)
    return restore


@click.group(cls=_Group, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"],
                                                           "max_content_width": 100})
@click.version_option(__version__, prog_name="influxkit")
@click.option("-v", "--verbose", count=True, help="log more (-vv: every request)")
def cli(verbose: int) -> None:
    """influxkit: load, query, export and administer InfluxDB from the command line.

    \b
    influxkit write data.lp.gz --url http://localhost:8086/telemetry
    influxkit query 'SELECT * FROM cpu WHERE time > now() - 1h' -d telemetry
    influxkit export cpu -d telemetry --since 7d -o cpu.parquet
    """
    click.get_current_context().call_on_close(_log_to_stderr(verbose))


# -- option groups ------------------------------------------------------------------------


def connection_options(function: F) -> F:
    """The options that say which server and database, and who."""
    options = [
        click.option("--url", metavar="URL",
                     help="the server, as http://[user@]host:port[/database] (no password "
                          "here: see --ask-password)"),
        click.option("-d", "--database", metavar="NAME", help="the database"),
        click.option("-u", "--username", metavar="NAME", help="the user name"),
        click.option("--ask-password", is_flag=True, help="prompt for the password"),
        click.option("--ask-token", is_flag=True, help="prompt for a token"),
        click.option("--profile", metavar="NAME",
                     help="a profile of the configuration file ($INFLUXKIT_PROFILE)"),
        click.option("--config", metavar="FILE", type=click.Path(dir_okay=False),
                     help="the configuration file ($INFLUXKIT_CONFIG; "
                          "~/.config/influxkit/config.toml)"),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
                     metavar="SECONDS", help="the longest wait for an answer"),
        click.option("-q", "--quiet", is_flag=True, help="say nothing but errors"),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _connection(kwargs: dict[str, Any], ui: UI) -> InfluxDBClient[Any]:
    options = ConnectionOptions(
        url=kwargs.pop("url"), database=kwargs.pop("database"),
        username=kwargs.pop("username"), profile=kwargs.pop("profile"),
        config=kwargs.pop("config"), ask_password=kwargs.pop("ask_password"),
        ask_token=kwargs.pop("ask_token"), timeout=kwargs.pop("timeout"))

    def prompt(what: str) -> str:
        value: str = click.prompt(what, hide_input=True, err=True)
        return value

    return connect(options, prompt=prompt, warn=ui.error)


def output_options(*formats: str, default_help: str) -> Callable[[F], F]:
    """The options that say what to write and where."""
    def decorate(function: F) -> F:
        options = [
            click.option("-f", "--format", "fmt", type=click.Choice(formats),
                         help=f"the output format ({default_help})"),
            click.option("-o", "--output", metavar="FILE", type=click.Path(dir_okay=False),
                         help="write to FILE (its extension may name the format), made "
                              "whole or not at all"),
            click.option("--epoch", type=click.Choice(EPOCHS), default="rfc3339",
                         show_default=True,
                         help="times as RFC 3339 text, or integers in this unit"),
        ]
        for option in reversed(options):
            function = option(function)
        return function
    return decorate


def _ui(kwargs: dict[str, Any]) -> UI:
    return UI(progress=kwargs.pop("progress", None), quiet=kwargs.pop("quiet", False))


@contextlib.contextmanager
def _client(client: InfluxDBClient[Any]) -> Iterator[InfluxDBClient[Any]]:
    try:
        yield client
    finally:
        client.close()


@contextlib.contextmanager
def _destination(path: str | None, binary_stdout: bool = True) -> Iterator[IO[bytes] | None]:
    """A file made whole or not at all (``FILE.part``, renamed when done), or stdout."""
    if path is None or path == "-":
        yield sys.stdout.buffer if binary_stdout else None
        sys.stdout.flush()
        return
    partial = f"{path}.part"
    file = open(partial, "wb")  # noqa: SIM115 - closed below
    try:
        yield file
        file.close()
        os.replace(partial, path)
    except BaseException:
        file.close()
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise


# -- ping, databases, measurements ---------------------------------------------------------


@cli.command()
@connection_options
def ping(**kwargs: Any) -> None:
    """Check that the server answers, and say which it is."""
    ui = _ui(kwargs)
    with _client(_connection(kwargs, ui)) as client:
        started = time.perf_counter()
        client.ping()
        elapsed = (time.perf_counter() - started) * 1000
        click.echo(f"{client.url}: {client.server} in {elapsed:.1f} ms")


def _list_command(name: str, help_text: str, getter: Callable[[InfluxDBClient[Any]], Any],
                  *, needs_database: bool = False) -> None:
    @cli.command(name=name, help=help_text)
    @connection_options
    @click.option("-f", "--format", "fmt", type=click.Choice(("table", "csv", "json", "jsonl")),
                  help="the output format (a table on a terminal, else csv)")
    def command(fmt: str | None, **kwargs: Any) -> None:
        ui = _ui(kwargs)
        with _client(_connection(kwargs, ui)) as client:
            if needs_database and client.db is None:
                raise CliError("no database: give --database, a URL ending in /DATABASE, "
                               "or $INFLUX_DATABASE", EXIT_USAGE)
            rows = getter(client)
        _print_rows(rows, fmt, ui)

    del command


def _print_rows(rows: list[dict[str, Any]], fmt: str | None, ui: UI) -> None:
    from ._output import make_output

    fmt = fmt or ("table" if sys.stdout.isatty() else "csv")
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    values = [[row.get(column) for column in columns] for row in rows]
    output = make_output(fmt, sys.stdout.buffer, path=None, console=_stdout_console(),
                         epoch="ns", with_name=False)
    output.add(None, {}, columns, values)
    output.close()


def _stdout_console() -> Any:
    from rich.console import Console

    # A table for a file or a pipe is as wide as its content (a terminal's, as it is).
    return Console(highlight=False, width=None if sys.stdout.isatty() else 1_000)


_list_command("databases", "List the databases.", lambda client: client.get_list_database())
_list_command("measurements", "List the measurements of the database.",
              lambda client: client.get_list_measurements(), needs_database=True)
_list_command("retention-policies", "List the retention policies of the database.",
              lambda client: client.get_list_retention_policies(), needs_database=True)
_list_command("users", "List the users.", lambda client: client.get_list_users())


# -- administration --------------------------------------------------------------------


def _confirm(yes: bool, question: str) -> None:
    """Go on only with --yes, or a yes at the prompt."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise CliError(f"{question.rstrip('?')}: this needs --yes (there is no terminal "
                       f"to ask on)", EXIT_USAGE)
    click.confirm(question, abort=True, err=True)


_YES: Final = click.option("-y", "--yes", is_flag=True, help="do not ask for confirmation")


@cli.command("create-database")
@click.argument("name")
@connection_options
def create_database(name: str, **kwargs: Any) -> None:
    """Create the database NAME (nothing happens if it exists)."""
    ui = _ui(kwargs)
    with _client(_connection(kwargs, ui)) as client:
        client.create_database(name)
    ui.summary(f"database {name!r} created")


@cli.command("drop-database")
@click.argument("name")
@_YES
@connection_options
def drop_database(name: str, yes: bool, **kwargs: Any) -> None:
    """Drop the database NAME and all its data."""
    ui = _ui(kwargs)
    _confirm(yes, f"Drop the database {name!r} and all its data?")
    with _client(_connection(kwargs, ui)) as client:
        client.drop_database(name)
    ui.summary(f"database {name!r} dropped")


@cli.command("drop-measurement")
@click.argument("name")
@_YES
@connection_options
def drop_measurement(name: str, yes: bool, **kwargs: Any) -> None:
    """Drop the measurement NAME of the database, and all its data."""
    ui = _ui(kwargs)
    with _client(_connection(kwargs, ui)) as client:
        if client.db is None:
            raise CliError("no database: give --database", EXIT_USAGE)
        _confirm(yes, f"Drop the measurement {name!r} of {client.db!r} and all its data?")
        client.drop_measurement(name)
    ui.summary(f"measurement {name!r} dropped")


def _policy_options(function: F) -> F:
    for option in reversed([
        click.option("--duration", metavar="DURATION",
                     help="how long data is kept: 90m, 1h30m, 7d, 52w or INF"),
        click.option("--replication", type=click.IntRange(min=1), metavar="N",
                     help="copies of the data (1 on a single server)"),
        click.option("--shard-duration", metavar="DURATION",
                     help="the time range of a shard group"),
        click.option("--default", "make_default", is_flag=True,
                     help="make it the database's default policy"),
    ]):
        function = option(function)
    return function


@cli.command("create-retention-policy")
@click.argument("name")
@_policy_options
@connection_options
def create_retention_policy(name: str, duration: str | None, replication: int | None,
                            shard_duration: str | None, make_default: bool,
                            **kwargs: Any) -> None:
    """Create the retention policy NAME on the database."""
    ui = _ui(kwargs)
    if duration is None:
        raise CliError("--duration is needed (e.g. 7d, or INF to keep data for ever)",
                       EXIT_USAGE)
    with _client(_connection(kwargs, ui)) as client:
        client.create_retention_policy(name, duration, replication or 1,
                                       database=client.db, default=make_default,
                                       shard_duration=shard_duration)
    ui.summary(f"retention policy {name!r} created")


@cli.command("alter-retention-policy")
@click.argument("name")
@_policy_options
@connection_options
def alter_retention_policy(name: str, duration: str | None, replication: int | None,
                           shard_duration: str | None, make_default: bool,
                           **kwargs: Any) -> None:
    """Change the retention policy NAME of the database."""
    ui = _ui(kwargs)
    with _client(_connection(kwargs, ui)) as client:
        client.alter_retention_policy(name, database=client.db, duration=duration,
                                      replication=replication,
                                      default=True if make_default else None,
                                      shard_duration=shard_duration)
    ui.summary(f"retention policy {name!r} changed")


@cli.command("drop-retention-policy")
@click.argument("name")
@_YES
@connection_options
def drop_retention_policy(name: str, yes: bool, **kwargs: Any) -> None:
    """Drop the retention policy NAME of the database, and its data."""
    ui = _ui(kwargs)
    with _client(_connection(kwargs, ui)) as client:
        _confirm(yes, f"Drop the retention policy {name!r} of {client.db!r} and its data?")
        client.drop_retention_policy(name, database=client.db)
    ui.summary(f"retention policy {name!r} dropped")


def _new_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CliError("no password on standard input", EXIT_USAGE)
        return password
    if not sys.stdin.isatty():
        raise CliError("give the password on standard input with --password-stdin (there "
                       "is no terminal to ask on)", EXIT_USAGE)
    value: str = click.prompt("New password", hide_input=True, confirmation_prompt=True,
                              err=True)
    return value


_PASSWORD_STDIN: Final = click.option(
    "--password-stdin", is_flag=True,
    help="read the new password from the first line of standard input (else prompt)")


@cli.command("create-user")
@click.argument("name")
@click.option("--admin", is_flag=True, help="with every privilege")
@_PASSWORD_STDIN
@connection_options
def create_user(name: str, admin: bool, password_stdin: bool, **kwargs: Any) -> None:
    """Create the user NAME (the password is asked, or read with --password-stdin)."""
    ui = _ui(kwargs)
    password = _new_password(password_stdin)
    with _client(_connection(kwargs, ui)) as client:
        client.create_user(name, password, admin=admin)
    ui.summary(f"user {name!r} created")


@cli.command("set-password")
@click.argument("name")
@_PASSWORD_STDIN
@connection_options
def set_password(name: str, password_stdin: bool, **kwargs: Any) -> None:
    """Change the password of the user NAME."""
    ui = _ui(kwargs)
    password = _new_password(password_stdin)
    with _client(_connection(kwargs, ui)) as client:
        client.set_user_password(name, password)
    ui.summary(f"password of {name!r} changed")


@cli.command("drop-user")
@click.argument("name")
@_YES
@connection_options
def drop_user(name: str, yes: bool, **kwargs: Any) -> None:
    """Drop the user NAME."""
    ui = _ui(kwargs)
    _confirm(yes, f"Drop the user {name!r}?")
    with _client(_connection(kwargs, ui)) as client:
        client.drop_user(name)
    ui.summary(f"user {name!r} dropped")


_PRIVILEGES: Final = click.Choice(("read", "write", "all", "admin"), case_sensitive=False)


def _privilege_command(name: str, granting: bool) -> None:
    verb = "Grant" if granting else "Revoke"

    @cli.command(name=name, help=f"{verb} PRIVILEGE (read, write or all on the database; "
                                 f"admin: every privilege) {'to' if granting else 'from'} "
                                 f"USER.")
    @click.argument("privilege", type=_PRIVILEGES)
    @click.argument("user")
    @connection_options
    def command(privilege: str, user: str, **kwargs: Any) -> None:
        ui = _ui(kwargs)
        with _client(_connection(kwargs, ui)) as client:
            if privilege.lower() == "admin":
                if granting:
                    client.grant_admin_privileges(user)
                else:
                    client.revoke_admin_privileges(user)
            else:
                if client.db is None:
                    raise CliError("no database: give --database", EXIT_USAGE)
                change = client.grant_privilege if granting else client.revoke_privilege
                change(privilege, client.db, user)
        ui.summary(f"{privilege} {'granted to' if granting else 'revoked from'} {user!r}")

    del command


_privilege_command("grant", True)
_privilege_command("revoke", False)


# -- query and export ------------------------------------------------------------------


def _parse_param(text: str) -> tuple[str, Any]:
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise CliError(f"--param {text!r}: give KEY=VALUE", EXIT_USAGE)
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    if not isinstance(parsed, (int, float, bool, str)):
        parsed = value
    return key, parsed


def _choose_format(fmt: str | None, output: str | None, default_terminal: str) -> str:
    from ._output import format_from_path

    if fmt is not None:
        return fmt
    if output is not None and output != "-":
        return format_from_path(output) or "csv"
    return default_terminal if sys.stdout.isatty() else "csv"


def _server_epoch(epoch: str, fmt: str | None) -> str | None:
    """The epoch asked of the server (None: RFC 3339, made from nanoseconds here)."""
    return epoch if epoch != "rfc3339" and fmt != "parquet" else None


def _feed(results: Any, outputs: Any, progress: Any = None,
          since: int | None = None) -> None:
    """Hand every series piece of a chunked answer to ``outputs``."""
    for chunk in results:
        for statement in chunk.get("results", ()):
            for series in statement.get("series", ()):
                columns = series.get("columns") or []
                values = series.get("values") or []
                outputs.add(series.get("name"), series.get("tags") or {}, columns, values)
                if progress is not None and values and "time" in columns and since is not None:
                    last = values[-1][columns.index("time")]
                    progress.update(outputs.rows, last - since)
                elif progress is not None:
                    progress.update(outputs.rows)


@cli.command()
@click.argument("query")
@connection_options
@output_options("table", "csv", "json", "jsonl", "parquet",
                default_help="a table on a terminal, else csv, or the -o file's extension")
@click.option("--plot", metavar="FILE.png|FILE.svg", type=click.Path(dir_okay=False),
              help="also draw every numeric column over time, one line per series")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="a bind parameter ($KEY in the query; VALUE read as JSON if it is)")
@click.option("--chunk-size", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="rows per chunk of the answer (memory follows it)")
def query(query: str, fmt: str | None, output: str | None, epoch: str, plot: str | None,
          params: tuple[str, ...], chunk_size: int, **kwargs: Any) -> None:
    """Run QUERY (InfluxQL) and write its answer, chunk by chunk.

    \b
    influxkit query 'SHOW MEASUREMENTS' -d telemetry
    influxkit query 'SELECT * FROM cpu' -d telemetry -o cpu.csv
    influxkit query 'SELECT mean(usage) FROM cpu GROUP BY time(1h), host' \\
        -d telemetry --plot usage.png
    """
    from ._output import Outputs, PlotOutput, make_output

    ui = _ui(kwargs)
    if plot is not None and os.path.splitext(plot.lower())[1] not in (".png", ".svg"):
        raise CliError("--plot takes a .png or .svg file", EXIT_USAGE)
    quiet_data = plot is not None and fmt is None and output is None
    fmt = None if quiet_data else _choose_format(fmt, output, "table")
    bound = dict(_parse_param(item) for item in params)
    server_epoch = _server_epoch(epoch, fmt)
    if fmt == "table" and output is not None:
        raise CliError("a table is for a terminal: choose --format csv, json, jsonl or "
                       "parquet for a file", EXIT_USAGE)
    with _client(_connection(kwargs, ui)) as client, \
            _destination(output if fmt != "parquet" else None) as file:
        chosen = []
        if fmt is not None:
            chosen.append(make_output(fmt, file, path=output, console=_stdout_console(),
                                      epoch=server_epoch, with_name=True))
        if plot is not None:
            scale = _NS_PER_EPOCH.get(server_epoch or "ns", 1)
            chosen.append(PlotOutput(plot, query, scale=scale))
        outputs = Outputs(chosen)
        try:
            results = client.query(query, chunked=True, chunk_size=chunk_size,
                                   epoch=server_epoch or "ns", params=bound or None,
                                   output="json")
            _feed(results, outputs)
            outputs.close()
        except ValueError as exc:
            raise CliError(str(exc), EXIT_FAILED) from exc
    if plot is not None:
        ui.note(f"plot written to {plot}")


_DURATION: Final = re.compile(r"-?([0-9]+)(ns|us|µs|u|ms|s|m|h|d|w)")
_DURATION_NS: Final = {"ns": 1, "us": 1_000, "µs": 1_000, "u": 1_000, "ms": 10**6, "s": 10**9,
                       "m": 60 * 10**9, "h": 3600 * 10**9, "d": 86_400 * 10**9,
                       "w": 7 * 86_400 * 10**9}


def parse_time(text: str, now: datetime.datetime | None = None) -> datetime.datetime:
    """A time of ``--since`` or ``--until``: ``now``, a duration before now (``7d``,
    ``12h``, ``-30m``), or an RFC 3339 time or date (without a zone: UTC)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if text.strip().lower() == "now":
        return now
    match = _DURATION.fullmatch(text.strip())
    if match is not None:
        nanoseconds = int(match.group(1)) * _DURATION_NS[match.group(2)]
        return now - datetime.timedelta(microseconds=nanoseconds / 1000)
    try:
        when = datetime.datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise CliError(f"{text!r} is not a time: give now, a duration before now (7d, 12h, "
                       f"30m) or an RFC 3339 time (2024-05-01T12:00:00Z) or date",
                       EXIT_USAGE) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when


def _field_types(client: InfluxDBClient[Any], source: str, tags: list[str]
                 ) -> dict[str, Any]:
    """pyarrow types of a measurement's columns: its tags are strings, each field has
    its type (the widest of those it has in different shards)."""
    pa: Any = importlib.import_module("pyarrow")

    answer = client.query(f"SHOW FIELD KEYS FROM {source}", output="json")
    kinds: dict[str, set[str]] = {}
    for statement in answer.get("results", ()):
        for series in statement.get("series", ()):
            for key, kind in series.get("values", ()):
                kinds.setdefault(key, set()).add(kind)
    types = {"float": pa.float64(), "integer": pa.int64(), "string": pa.string(),
             "boolean": pa.bool_(), "unsigned": pa.uint64()}
    chosen = {}
    for key, found in kinds.items():
        if len(found) == 1:
            chosen[key] = types.get(found.pop(), pa.string())
        elif found <= {"float", "integer"}:
            chosen[key] = pa.float64()
        else:
            chosen[key] = pa.string()
    chosen.update({tag: pa.string() for tag in tags})
    return chosen


def _tag_keys(client: InfluxDBClient[Any], source: str) -> list[str]:
    answer = client.query(f"SHOW TAG KEYS FROM {source}", output="json")
    return [row[0] for statement in answer.get("results", ())
            for series in statement.get("series", ()) for row in series.get("values", ())]


def _edge_time(client: InfluxDBClient[Any], source: str, where: str, params: dict[str, Any],
               last: bool) -> int | None:
    order = " ORDER BY time DESC" if last else ""
    answer = client.query(f"SELECT * FROM {source}{where}{order} LIMIT 1",
                          params=params or None, output="json")
    for statement in answer.get("results", ()):
        for series in statement.get("series", ()):
            values = series.get("values") or []
            if values:
                time_at: int = values[0][series["columns"].index("time")]
                return time_at
    return None


@cli.command()
@click.argument("measurement")
@connection_options
@output_options("csv", "jsonl", "json", "parquet", "lp",
                default_help="the -o file's extension, else csv")
@click.option("--since", metavar="TIME", help="from this time on: RFC 3339, a date, now, or "
                                               "a duration before now (7d)")
@click.option("--until", metavar="TIME", help="before this time (same forms)")
@click.option("--rp", "--retention-policy", "rp", metavar="NAME",
              help="the retention policy (the database's default if not given)")
@click.option("--chunk-size", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="rows per chunk of the answer (memory follows it)")
@click.option("--progress/--no-progress", default=None,
              help="draw a progress bar (by default when stderr is a terminal)")
def export(measurement: str, fmt: str | None, output: str | None, epoch: str,
           since: str | None, until: str | None, rp: str | None, chunk_size: int,
           **kwargs: Any) -> None:
    """Export MEASUREMENT (every field and tag), chunk by chunk, to a file or stdout.

    Parquet files keep each field's type and say which columns are tags, and line
    protocol is the points themselves: both load back with influxkit write as they
    were.

    \b
    influxkit export cpu -d telemetry --since 2024-05-01 --until 2024-06-01 -o may.parquet
    influxkit export cpu -d telemetry --since 1h --format lp | gzip > cpu.lp.gz
    """
    from ._output import make_output

    ui = _ui(kwargs)
    fmt = fmt or (_choose_format(None, output, "csv") if output else "csv")
    if fmt == "parquet" and (output is None or output == "-"):
        raise CliError("Parquet is written to a file: give -o FILE.parquet", EXIT_USAGE)
    server_epoch = _server_epoch(epoch, fmt) if fmt != "lp" else "ns"
    start = parse_time(since) if since else None
    end = parse_time(until) if until else None
    conditions, params = [], {}
    if start is not None:
        conditions.append("time >= $since")
        params["since"] = start
    if end is not None:
        conditions.append("time < $until")
        params["until"] = end
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    with _client(_connection(kwargs, ui)) as client:
        if client.db is None:
            raise CliError("no database: give --database, a URL ending in /DATABASE, or "
                           "$INFLUX_DATABASE", EXIT_USAGE)
        source = (f"{quote_ident(client.db)}.{quote_ident(rp)}.{quote_ident(measurement)}" if rp
                  else quote_ident(measurement))
        tags = _tag_keys(client, source)
        types = _field_types(client, source, tags) if fmt == "parquet" else None
        first = last = None
        if ui.show_progress:
            first = _ns(start) if start else _edge_time(client, source, where, params, False)
            last = _ns(end) if end else _edge_time(client, source, where, params, True)
        total = float(last - first) if first is not None and last is not None and \
            last > first else None
        with _destination(output if fmt != "parquet" else None) as file, \
                ui.rows(f"export {measurement}", total) as progress:
            target = make_output(fmt, file, path=output, console=None, epoch=server_epoch,
                                 with_name=False, measurement=measurement, tag_keys=tags,
                                 types=types, metadata={"measurement": measurement,
                                                        "tag_columns": tags})
            from ._output import Outputs

            outputs = Outputs([target])
            results = client.query(f"SELECT * FROM {source}{where}", chunked=True,
                                   chunk_size=chunk_size, epoch=server_epoch or "ns",
                                   params=params or None, output="json")
            try:
                _feed(results, outputs, progress if server_epoch in (None, "ns") else None,
                      first)
                outputs.close()
            except ValueError as exc:
                raise CliError(str(exc), EXIT_FAILED) from exc
    ui.summary(f"{outputs.rows:,} rows of {measurement!r} exported"
               + (f" to {output}" if output and output != "-" else ""))


def _ns(when: datetime.datetime) -> int:
    delta = when - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000


# -- write ------------------------------------------------------------------------------------


def _columns(values: tuple[str, ...]) -> list[str]:
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _field_type_option(values: tuple[str, ...]) -> dict[str, str]:
    chosen = {}
    for item in values:
        for part in item.split(","):
            name, equals, kind = part.partition("=")
            if not equals or kind not in ("float", "int", "string", "bool"):
                raise CliError(f"--field-type {part!r}: give COLUMN=float|int|string|bool",
                               EXIT_USAGE)
            chosen[name.strip()] = kind
    return chosen


@cli.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@connection_options
@click.option("-f", "--format", "fmt", type=click.Choice(("lp", "csv", "jsonl", "parquet")),
              help="the format of the files (by default from each one's extension, .gz "
                   "aside; line protocol if none)")
@click.option("--precision", type=click.Choice(PRECISIONS), default="ns", show_default=True,
              help="the unit of integer times")
@click.option("--rp", "--retention-policy", "rp", metavar="NAME",
              help="the retention policy (the database's default if not given)")
@click.option("-m", "--measurement", metavar="NAME",
              help="the measurement of CSV, Parquet and flat JSON rows")
@click.option("-t", "--tag-columns", "tag_columns", multiple=True, metavar="A,B",
              help="columns that are tags (the others are fields)")
@click.option("--field-columns", multiple=True, metavar="A,B",
              help="only these columns are fields (the others are left out)")
@click.option("--time-column", default="time", show_default=True, metavar="NAME",
              help="the column of the times: RFC 3339 text or integers in --precision")
@click.option("--field-type", "field_types", multiple=True, metavar="COLUMN=TYPE",
              help="a CSV column's type, instead of its first values' (float, int, "
                   "string, bool)")
@click.option("--batch-size", type=click.IntRange(min=1), default=5_000, show_default=True,
              help="points per request")
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True,
              help="requests in flight at once")
@click.option("--spill-dir", type=click.Path(file_okay=False), metavar="DIR",
              help="keep every batch on disk until it is stored, and a checkpoint: an "
                   "interrupted load goes on with --resume")
@click.option("--resume", is_flag=True, help="go on with the load kept in --spill-dir")
@click.option("--no-fsync", "no_fsync", is_flag=True,
              help="with --spill-dir: leave syncing to the system (faster; a power cut may "
                   "lose the last batches)")
@click.option("--read-bytes", type=click.IntRange(min=1024), default=1 << 20, hidden=True,
              help="bytes of text read at a time (a piece of the checkpoint)")
@click.option("--skip-bad-lines", is_flag=True,
              help="report each bad line and go on (by default the load stops at the "
                   "first, after writing the lines before it)")
@click.option("--progress/--no-progress", default=None,
              help="draw a progress bar (by default when stderr is a terminal)")
def write(files: tuple[str, ...], fmt: str | None, precision: str, rp: str | None,
          measurement: str | None, tag_columns: tuple[str, ...],
          field_columns: tuple[str, ...], time_column: str, field_types: tuple[str, ...],
          batch_size: int, concurrency: int, spill_dir: str | None, resume: bool,
          no_fsync: bool, read_bytes: int, skip_bad_lines: bool, **kwargs: Any) -> None:
    """Write the points of FILES (line protocol, CSV, JSON lines or Parquet; gzipped or
    not; - is standard input) through influxkit's batching writer.

    Every line is checked before it is sent: a bad one is reported with its file and
    line, and the load stops there (or goes on, with --skip-bad-lines). Files are read
    piece by piece, never whole.

    \b
    influxkit write metrics.lp.gz -d telemetry
    influxkit write prices.csv -d markets -m prices -t ticker,exchange
    influxkit write big.lp -d telemetry --spill-dir ~/.cache/load1   # Ctrl-C, then:
    influxkit write big.lp -d telemetry --spill-dir ~/.cache/load1 --resume
    """
    from ._inputs import ReadOptions
    from ._write import LoadOptions, load

    ui = _ui(kwargs)
    formats = {fmt or ("lp" if name == "-" else _detect(name)) for name in files}
    if formats == {"lp"} and (measurement or tag_columns or field_columns or field_types):
        raise CliError("--measurement, --tag-columns, --field-columns and --field-type are "
                       "for CSV, JSON lines and Parquet; line protocol names its own",
                       EXIT_USAGE)
    if files.count("-") > 1:
        raise CliError("standard input (-) can be read once", EXIT_USAGE)
    read = ReadOptions(format=fmt, precision=precision, measurement=measurement,
                       tag_columns=_columns(tag_columns),
                       field_columns=_columns(field_columns) or None,
                       time_column=time_column, field_types=_field_type_option(field_types),
                       skip_bad=skip_bad_lines, batch_rows=max(batch_size, 10_000),
                       block_bytes=read_bytes)
    options = LoadOptions(list(files), read, rp=rp, batch_size=batch_size,
                          concurrency=concurrency, spill_dir=spill_dir, resume=resume,
                          fsync=not no_fsync)
    with _client(_connection(kwargs, ui)) as client:
        status = load(client, options, ui)
    if status:
        raise click.exceptions.Exit(status)


def _detect(name: str) -> str:
    from ._inputs import detect_format

    return detect_format(name)
