"""InfluxQL: quoting of identifiers and literals, and the statements influxkit builds.

Every name or value influxkit puts into a statement goes through :func:`build_statement`
(which quotes with :func:`quote_ident` and :func:`quote_literal`, binds what quoting
cannot carry, and checks durations, privileges and replication factors); nothing is
formatted into InfluxQL any other way.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any, Final

from influxkit._core.limits import INT64_MAX
from influxkit._core.time import rfc3339, to_ns

__all__ = [
    "PRIVILEGES",
    "build_statement",
    "check_duration",
    "check_privilege",
    "check_replication",
    "check_storable_name",
    "duration_ns",
    "encode_params",
    "inline_params",
    "needs_binding",
    "parse_resample",
    "quote_ident",
    "quote_literal",
    "split_statements",
    "tag_conditions",
]

# InfluxQL's scanner reads these escapes inside quoted identifiers and strings; a raw
# newline inside quotes is a parse error, so it travels escaped as well.
_IDENT_ESCAPES: Final = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n"})
_LITERAL_ESCAPES: Final = str.maketrans({"\\": "\\\\", "'": "\\'", "\n": "\\n"})


def quote_ident(name: str) -> str:
    """Quote an identifier (database, measurement, tag key, user, ...) for InfluxQL.

    >>> quote_ident('my "db"')
    '"my \\\\"db\\\\""'
    """
    if not isinstance(name, str):
        raise TypeError(f"an identifier must be a string, not {name!r}")
    if not name:
        raise ValueError("an identifier cannot be empty")
    _check_quotable(name, "identifier")
    return '"' + name.translate(_IDENT_ESCAPES) + '"'


def quote_literal(value: str) -> str:
    """Quote a string literal (a password, a tag value) for InfluxQL."""
    if not isinstance(value, str):
        raise TypeError(f"a string literal must be a string, not {value!r}")
    _check_quotable(value, "string literal")
    return "'" + value.translate(_LITERAL_ESCAPES) + "'"


def _check_quotable(text: str, what: str) -> None:
    # InfluxQL reads a carriage return as a line break and NUL as the end of the query,
    # and has no escape for either: such a name can only be sent as a bound parameter.
    for char in ("\r", "\x00"):
        if char in text:
            raise ValueError(
                f"{what} {text!r} contains {char!r}, which InfluxQL cannot quote; "
                "pass it as a bound parameter instead"
            )


def encode_params(params: Mapping[str, Any]) -> str:
    """The JSON of a query's bind parameters (``params`` of ``/query``).

    Values are strings, numbers, booleans, ``None``, ``{"identifier": name}`` maps,
    and times (``datetime``, ``date``, pandas and numpy times), which travel as RFC 3339
    strings in UTC (naive means UTC), as InfluxQL reads a time literal.

    Raises:
        TypeError: for a name that is not a string, or a value of another type,
            naming the parameter, before anything is sent.
        ValueError: for a float that is NaN or infinite (JSON cannot carry it).
    """
    return json.dumps({_param_name(name): _param_value(name, value)
                       for name, value in params.items()})


def _param_name(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"bind parameter names are strings, not {name!r}")
    return name


def _param_value(name: str, value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"bind parameter {name!r} is {value!r}, which JSON cannot carry")
        return value
    if isinstance(value, Mapping):
        return {_param_name(key): _param_value(name, item) for key, item in value.items()}
    if isinstance(value, (dt.datetime, dt.date)) or type(value).__name__ == "datetime64":
        return rfc3339(to_ns(value))
    raise TypeError(f"bind parameter {name!r} is {value!r} of type {type(value).__name__}: "
                    "use a str, int, float, bool, None or a datetime")


def needs_binding(name: str) -> bool:
    """Whether ``name`` can only reach the server as a bound parameter."""
    return "\r" in name or "\x00" in name


def _pieces(query: str) -> Iterator[tuple[str, str]]:
    """The pieces of a query as InfluxQL's scanner reads it: ``("code", char)`` for each
    character outside quotes and comments, ``("quoted", text)`` for a quoted name,
    string or regular expression (its quotes included), ``("comment", text)`` for a
    comment (``--`` to the end of the line, ``/* ... */``)."""
    statement: list[str] = []  # the code of the statement so far
    position = 0
    while position < len(query):
        char = query[position]
        if char in "'\"" or (char == "/" and _starts_regex("".join(statement))):
            end = position + 1
            while end < len(query) and query[end] != char:
                end += 2 if query[end] == "\\" else 1
            text = query[position:end + 1]
            statement.append(text)
            yield "quoted", text
            position = end + 1
        elif query.startswith("--", position) or query.startswith("/*", position):
            end = query.find("\n" if char == "-" else "*/", position + 2)
            end = len(query) if end < 0 else end + (1 if char == "-" else 2)
            yield "comment", query[position:end]
            position = end
        else:
            if char == ";":
                statement.clear()
            else:
                statement.append(char)
            yield "code", char
            position += 1


def split_statements(query: str) -> list[str]:
    """Split a query at the semicolons that end statements.

    Semicolons inside quoted names, strings, regular expressions and comments (``--`` to
    the end of the line, ``/* ... */``) don't count, as InfluxQL's scanner reads them.
    Used to name the failed statement in an error message, to know how many statements
    an answer must have, and to refuse a fragment of InfluxQL that is more than one
    statement.
    """
    statements: list[str] = []
    current: list[str] = []
    code = False  # the statement so far has more than comments
    for kind, text in _pieces(query):
        if kind == "code" and text == ";":
            if code:
                statements.append("".join(current).strip())
            current, code = [], False
            continue
        current.append(text)
        code = code or (kind != "comment" and not text.isspace())
    if code:
        statements.append("".join(current).strip())
    return statements


_PARAMETER: Final = re.compile(r"\$(\w+)")


def inline_params(query: str, params: Mapping[str, Any]) -> str:
    """``query`` with its bind parameters (``$name``) written in as InfluxQL literals,
    for a server that ignores ``params`` (InfluxDB 3.0–3.6).

    ``params`` are as :func:`encode_params` sends them (decoded JSON): strings become
    quoted string literals, numbers and booleans themselves, and the typed forms
    ``{"identifier": ...}``, ``{"string": ...}``, ``{"integer": ...}``,
    ``{"number": ...}``, ``{"boolean": ...}``, ``{"duration": ...}`` and
    ``{"regex": ...}`` what they name, quoted as InfluxQL quotes them: a value can
    never end its literal early. A ``$`` inside a string, a quoted name, a regular
    expression or a comment is left alone, as the server's parser would.

    Raises:
        ValueError: for a parameter the query uses and ``params`` lacks (the server's
            "missing parameter"), or a value InfluxQL has no literal for.
    """
    out: list[str] = []
    code: list[str] = []

    def flush() -> None:
        out.append(_PARAMETER.sub(lambda match: _literal(match.group(1), params),
                                  "".join(code)))
        code.clear()

    for kind, text in _pieces(query):
        if kind == "code":
            code.append(text)
        else:
            flush()
            out.append(text)
    flush()
    return "".join(out)


def _literal(name: str, params: Mapping[str, Any]) -> str:
    if name not in params:
        raise ValueError(f"missing parameter: {name}")
    value = params[name]
    if isinstance(value, Mapping) and len(value) == 1:
        ((kind, value),) = value.items()
        kind = {"ident": "identifier"}.get(kind, kind)
        if kind == "identifier" and isinstance(value, str):
            return quote_ident(value)
        if kind == "duration" and isinstance(value, str):
            return check_duration(value, f"parameter {name!r}")
        if kind == "regex" and isinstance(value, str):
            _check_quotable(value, f"parameter {name!r}")
            if (len(value) - len(value.rstrip("\\"))) % 2:
                raise ValueError(f"parameter {name!r}: a regular expression cannot end with "
                                 "an unpaired backslash")
            return "/" + value.replace("\\/", "/").replace("/", "\\/") + "/"
        if kind in ("string", "integer", "number", "boolean"):
            return _literal(name, {name: value})
        raise ValueError(f"parameter {name!r}: {kind!r} is not a kind of bind parameter")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = format(decimal.Decimal(repr(value)), "f")
        return text if "." in text else text + ".0"
    if isinstance(value, str):
        return quote_literal(value)
    raise ValueError(f"parameter {name!r} is {value!r}, which InfluxQL has no literal for")


def _starts_regex(before: str) -> bool:
    # A slash opens a regular expression after =~, !~, FROM or a comma in a FROM list;
    # anywhere else it divides.
    text = before.rstrip()
    return text.endswith(("~", ",")) or text.upper().endswith(" FROM") or text.upper() == "FROM"


# -- values checked before they are put into a statement -------------------------------------

_REPLICATION_MAX: Final = 2**31 - 1

# InfluxQL's duration units, in nanoseconds; "ms" and "ns" are tried before "m".
_DURATION_UNITS: Final = {
    "ns": 1,
    "u": 1_000,
    "µ": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
    "d": 86_400_000_000_000,
    "w": 604_800_000_000_000,
}
_DURATION_PART: Final = re.compile(r"([0-9]+)(ns|ms|u|µ|s|m|h|d|w)")
_DURATION: Final = re.compile(rf"(?:{_DURATION_PART.pattern})+")

PRIVILEGES: Final = {"read": "READ", "write": "WRITE", "all": "ALL"}
"""The privileges a user can hold on a database, and their InfluxQL keywords."""


def check_duration(value: str, what: str = "duration", *, infinite: bool = False) -> str:
    """Check an InfluxQL duration literal (``90m``, ``1h30m``, ``7d``, ``52w``); return it.

    A duration is one or more whole numbers, each followed by a unit: ``ns``, ``u`` or
    ``µ``, ``ms``, ``s``, ``m``, ``h``, ``d``, ``w``. With ``infinite``, ``INF`` (in any
    case) is allowed too and returned as ``INF``. ``what`` names the value in errors.

    >>> check_duration("1h30m")
    '1h30m'
    >>> check_duration("inf", infinite=True)
    'INF'

    Raises:
        TypeError: for a value that is not a string.
        ValueError: for anything else InfluxQL would not read as such a duration, or
            one longer than InfluxDB can hold (about 292 years).
    """
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string such as '7d', not {value!r}")
    if value.upper() == "INF":
        if infinite:
            return "INF"
        raise ValueError(f"{what} cannot be {value!r}: give a finite duration such as '7d'")
    if not _DURATION.fullmatch(value):
        forever = ", or INF for ever" if infinite else ""
        raise ValueError(
            f"{what} {value!r} is not an InfluxQL duration: whole numbers each followed by "
            f"a unit (ns, u or µ, ms, s, m, h, d, w), as in '90m', '1h30m' or '7d'{forever}"
        )
    total = 0
    for number, unit in _DURATION_PART.findall(value):
        total += int(number) * _DURATION_UNITS[unit]
        if total > INT64_MAX:
            forever = "; use INF for ever" if infinite else ""
            raise ValueError(f"{what} {value!r} is longer than InfluxDB can hold "
                             f"(about 292 years){forever}")
    return value


def duration_ns(value: str) -> int:
    """The nanoseconds of an InfluxQL duration (see :func:`check_duration`, which
    checks it first).

    >>> duration_ns("1h30m")
    5400000000000
    """
    check_duration(value)
    return sum(int(number) * _DURATION_UNITS[unit]
               for number, unit in _DURATION_PART.findall(value))


def check_privilege(privilege: str) -> str:
    """The InfluxQL keyword of a privilege: ``read``, ``write`` or ``all``, in any case.

    >>> check_privilege("Write")
    'WRITE'

    Raises:
        TypeError: for a value that is not a string.
        ValueError: for any other privilege.
    """
    if not isinstance(privilege, str):
        raise TypeError(f"a privilege must be a string (read, write or all), not {privilege!r}")
    keyword = PRIVILEGES.get(privilege.lower())
    if keyword is None:
        raise ValueError(f"privilege {privilege!r} is not one of read, write, all")
    return keyword


def check_replication(value: int, what: str = "replication") -> int:
    """Check a replication factor: a whole number from 1 to 2,147,483,647.

    Raises:
        TypeError: for a value that is not an ``int`` (``bool`` included).
        ValueError: for a number out of that range.
    """
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not {value!r}")
    if not 1 <= value <= _REPLICATION_MAX:
        raise ValueError(f"{what} must be a positive int (at most {_REPLICATION_MAX}), "
                         f"not {value!r}")
    return value


def check_storable_name(name: str, what: str = "database") -> str:
    """Check that InfluxDB can store ``name`` as a database or retention policy name.

    InfluxDB 1.x refuses (with a bare "invalid name") the names ``.`` and ``..``, names
    with ``/`` or ``\\``, and names with a character Go does not count as printable:
    control and format characters, spaces other than ASCII's, private-use and
    unassigned code points. ``what`` names the value in errors.

    Raises:
        TypeError: for a name that is not a string.
        ValueError: for a name InfluxDB would refuse.
    """
    if not isinstance(name, str):
        raise TypeError(f"a {what} name must be a string, not {name!r}")
    if name in ("", ".", ".."):
        raise ValueError(f"{name!r} cannot be a {what} name")
    for char in name:
        if char in "/\\" or not _printable(char):
            raise ValueError(
                f"{what} name {name!r} contains {char!r}: InfluxDB stores no {what} name with "
                "'/', '\\' or a character that is not printable"
            )
    return name


def _printable(char: str) -> bool:
    # Go's unicode.IsPrint, which the server applies: letters, marks, numbers,
    # punctuation, symbols and the ASCII space. (Characters newer than the server's
    # Unicode tables are refused by the server itself.)
    return char == " " or unicodedata.category(char)[0] in "LMNPS"


def tag_conditions(tags: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """A :func:`build_statement` template matching series by tags, and its values.

    Each tag becomes ``"key" = 'value'``, joined by ``AND``.

    >>> tag_conditions({"host": "a"})
    ('{tag0} = {value0:literal}', {'tag0': 'host', 'value0': 'a'})

    Raises:
        TypeError: for a tag value that is not a string, naming its key.
    """
    parts: list[str] = []
    values: dict[str, str] = {}
    for index, (key, value) in enumerate(tags.items()):
        if not isinstance(value, str):
            raise TypeError(f"the value of tag {key!r} must be a string, not {value!r}")
        parts.append(f"{{tag{index}}} = {{value{index}:literal}}")
        values[f"tag{index}"] = key
        values[f"value{index}"] = value
    return " AND ".join(parts), values


_RESAMPLE: Final = re.compile(r"\s*(?:RESAMPLE\s+)?(?:EVERY\s+(\S+))?\s*(?:FOR\s+(\S+))?\s*",
                              re.IGNORECASE)


def parse_resample(options: str) -> tuple[str | None, str | None]:
    """Read a continuous query's resample options: ``'EVERY 1h FOR 2h'``.

    Either part may be left out, and the ``RESAMPLE`` keyword may lead. Returns the
    ``EVERY`` and ``FOR`` durations, checked.

    >>> parse_resample("EVERY 30m")
    ('30m', None)

    Raises:
        TypeError: for options that are not a string.
        ValueError: for anything else, naming it.
    """
    if not isinstance(options, str):
        raise TypeError(f"resample options must be a string such as 'EVERY 1h FOR 2h', "
                        f"not {options!r}")
    match = _RESAMPLE.fullmatch(options)
    if match is None or (match.group(1) is None and match.group(2) is None):
        raise ValueError(f"resample options {options!r} are not 'EVERY <duration>', "
                         "'FOR <duration>' or both, as in 'EVERY 1h FOR 2h'")
    every, period = match.groups()
    return (None if every is None else check_duration(every, "resample EVERY"),
            None if period is None else check_duration(period, "resample FOR"))


# -- statements ----------------------------------------------------------------------------

_OPTIONAL: Final = re.compile(r"\[([^\[\]]*)\]")
_PLACEHOLDER: Final = re.compile(r"\{(\w+)(?::(\w+))?\}")


def build_statement(template: str, **values: Any) -> tuple[str, dict[str, Any]]:
    """Fill values into a statement template; return it with its bind parameters.

    Placeholders say what each value is:

    - ``{key}``: an identifier, quoted; one quoting cannot carry (a carriage return,
      NUL) is bound instead, as ``$key``.
    - ``{key:literal}``: a string literal, quoted, or bound in the same case.
    - ``{key:secret}``: a string literal that is always bound, so that it never
      appears in the statement's text, nor in errors that quote it (passwords).
    - ``{key:duration}``: a duration (:func:`check_duration`); ``{key:retention}``
      also allows ``INF``.
    - ``{key:replication}``: a replication factor (:func:`check_replication`).
    - ``{key:privilege}``: ``read``, ``write`` or ``all`` (:func:`check_privilege`).
    - ``{key:query}``: InfluxQL of the caller's own (a continuous query's ``SELECT``),
      as it is, but one statement only (a final semicolon is left out).
    - ``{key:flag}``: a bool that writes nothing; it decides an optional part.

    ``[...]`` is an optional part, left out when a placeholder in it is ``None`` or
    ``False``; optional parts may nest.

    >>> build_statement('SHOW TAG KEYS[ FROM {m}]', m=None)
    ('SHOW TAG KEYS', {})
    >>> build_statement('DROP MEASUREMENT {m}', m='cpu "1"')
    ('DROP MEASUREMENT "cpu \\\\"1\\\\""', {})
    >>> build_statement('CREATE USER {u} WITH PASSWORD {p:secret}[ WITH ALL PRIVILEGES{a:flag}]',
    ...                 u='bob', p='hunter2', a=False)
    ('CREATE USER "bob" WITH PASSWORD $p', {'p': 'hunter2'})

    Raises:
        TypeError, ValueError: for a value that its placeholder cannot take, naming it,
            and for a required value that is ``None``.
    """
    params: dict[str, Any] = {}

    def optional(match: re.Match[str]) -> str:
        keys = [key for key, _ in _PLACEHOLDER.findall(match.group(1))]
        wanted = all(values.get(key) is not None and values.get(key) is not False
                     for key in keys)
        return match.group(1) if wanted else ""

    def fill(match: re.Match[str]) -> str:
        key, kind = match.group(1), match.group(2) or "identifier"
        value = values[key]
        if value is None:
            raise ValueError(f"{key} is required")
        return _render(key, kind, value, params)

    text = template
    while (reduced := _OPTIONAL.sub(optional, text)) != text:
        text = reduced
    return _PLACEHOLDER.sub(fill, text), params


def _render(key: str, kind: str, value: Any, params: dict[str, Any]) -> str:
    if kind == "identifier":
        if isinstance(value, str) and needs_binding(value):
            params[key] = {"identifier": value}
            return f"${key}"
        return quote_ident(value)
    if kind == "literal":
        if isinstance(value, str) and needs_binding(value):
            params[key] = value
            return f"${key}"
        return quote_literal(value)
    if kind == "secret":
        if not isinstance(value, str):
            # The value itself is not shown: it is a password.
            raise TypeError(f"{key} must be a string, not {type(value).__name__}")
        params[key] = value
        return f"${key}"
    if kind in ("duration", "retention"):
        return check_duration(value, key.replace("_", " "), infinite=kind == "retention")
    if kind == "replication":
        return str(check_replication(value, key))
    if kind == "privilege":
        return check_privilege(value)
    if kind == "query":
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{key} must be an InfluxQL statement, not {value!r}")
        statements = split_statements(value)
        if len(statements) != 1:
            # One statement where one is meant: a semicolon would end the statement the
            # fragment is put in, and run what follows it on its own.
            raise ValueError(f"{key} must be one InfluxQL statement, not {len(statements)}: "
                             f"{value!r}")
        return statements[0]
    if kind == "flag":
        if not isinstance(value, bool):
            raise TypeError(f"{key} must be True or False, not {value!r}")
        return ""
    raise ValueError(f"unknown placeholder kind {kind!r}")
