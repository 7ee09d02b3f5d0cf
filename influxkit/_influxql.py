"""InfluxQL: quoting of identifiers and literals, and the statements influxkit builds.

Every name or value influxkit puts into a statement goes through :func:`quote_ident`
or :func:`quote_literal`; nothing is formatted into InfluxQL any other way.
"""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = [
    "build_statement",
    "needs_binding",
    "quote_ident",
    "quote_literal",
    "split_statements",
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
        raise TypeError(f"an identifier must be a string, not {type(name).__name__}")
    if not name:
        raise ValueError("an identifier cannot be empty")
    _check_quotable(name, "identifier")
    return '"' + name.translate(_IDENT_ESCAPES) + '"'


def quote_literal(value: str) -> str:
    """Quote a string literal (a password, a tag value) for InfluxQL."""
    if not isinstance(value, str):
        raise TypeError(f"a string literal must be a string, not {type(value).__name__}")
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


def needs_binding(name: str) -> bool:
    """Whether ``name`` can only reach the server as a bound parameter."""
    return "\r" in name or "\x00" in name


def split_statements(query: str) -> list[str]:
    """Split a query at the semicolons that end statements.

    Semicolons inside quoted names, strings and regular expressions don't count. Used
    only to name the failed statement in an error message.
    """
    statements: list[str] = []
    current: list[str] = []
    quote: str | None = None
    escaped = False
    for char in query:
        if escaped:
            escaped = False
        elif char == "\\" and quote:
            escaped = True
        elif quote:
            if char == quote:
                quote = None
        elif char in "'\"" or (char == "/" and _starts_regex("".join(current))):
            quote = char
        elif char == ";":
            statement = "".join(current).strip()
            if statement:
                statements.append(statement)
            current = []
            continue
        current.append(char)
    statement = "".join(current).strip()
    if statement:
        statements.append(statement)
    return statements


def _starts_regex(before: str) -> bool:
    # A slash opens a regular expression after =~, !~, FROM or a comma in a FROM list;
    # anywhere else it divides.
    text = before.rstrip()
    return text.endswith(("~", ",")) or text.upper().endswith(" FROM") or text.upper() == "FROM"


_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def build_statement(template: str, **names: str | None) -> tuple[str, dict[str, Any]]:
    """Fill identifiers into a statement template; return it with its bind parameters.

    ``{name}`` placeholders become quoted identifiers, or ``$name`` bound parameters for
    names that quoting cannot carry. ``[...]`` is an optional part, left out when a
    placeholder in it is ``None``.

    >>> build_statement('SHOW TAG KEYS[ FROM {m}]', m=None)
    ('SHOW TAG KEYS', {})
    >>> build_statement('DROP MEASUREMENT {m}', m='cpu "1"')
    ('DROP MEASUREMENT "cpu \\\\"1\\\\""', {})
    """
    params: dict[str, Any] = {}

    def optional(match: re.Match[str]) -> str:
        keys = _PLACEHOLDER.findall(match.group(1))
        return match.group(1) if all(names.get(key) is not None for key in keys) else ""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        name = names[key]
        if name is None:
            raise ValueError(f"{key} is required")
        if needs_binding(name):
            params[key] = {"identifier": name}
            return f"${key}"
        return quote_ident(name)

    statement = _PLACEHOLDER.sub(fill, _OPTIONAL.sub(optional, template))
    return statement, params
