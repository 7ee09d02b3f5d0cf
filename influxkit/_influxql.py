"""InfluxQL: quoting of identifiers and literals, and the statements influxkit builds.

Every name or value influxkit puts into a statement goes through :func:`quote_ident`
or :func:`quote_literal`; nothing is formatted into InfluxQL any other way.
"""

from __future__ import annotations

from typing import Final

__all__ = ["quote_ident", "quote_literal", "split_statements"]

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
    return '"' + name.translate(_IDENT_ESCAPES) + '"'


def quote_literal(value: str) -> str:
    """Quote a string literal (a password, a tag value) for InfluxQL."""
    if not isinstance(value, str):
        raise TypeError(f"a string literal must be a string, not {type(value).__name__}")
    return "'" + value.translate(_LITERAL_ESCAPES) + "'"


def split_statements(query: str) -> list[str]:
    """Split a query at the semicolons that end statements (not those inside quotes).

    Used only to name the failed statement in an error message.
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
        elif char in "'\"":
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
