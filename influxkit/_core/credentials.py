"""Credentials: the ``Authorization`` header they make, and every form in which a
server or a proxy may echo them, to be scrubbed from what it says.

A password can come back in an error quoted plainly, percent-encoded in a URL,
JSON-escaped in a statement (``CREATE USER ... WITH PASSWORD``), inside the Base64 of a
Basic header, or as the token itself. :meth:`Credentials.scrub` replaces each of these
forms with ``[REDACTED]`` before the text reaches an exception or a log.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final

from influxkit._errors import REDACTED, redact, secret_pattern

__all__ = ["AUTH_SCHEMES", "Credentials", "basic_authorization"]

AUTH_SCHEMES: Final = ("Token", "Bearer")
"""How a token is sent: ``Token`` (InfluxDB 2.x and 3.x; 1.8 for ``user:password``)
or ``Bearer`` (3.x only: 2.x refuses it)."""

# Shorter secrets are not scrubbed: replacing every "a" of a message would hide it all,
# and a secret that short protects nothing.
_SHORTEST: Final = 3


def basic_authorization(username: str, password: str | None) -> str:
    """The ``Authorization`` header of HTTP basic authentication."""
    credentials = f"{username}:{password or ''}".encode()
    return "Basic " + base64.b64encode(credentials).decode("ascii")


@dataclass(frozen=True)
class Credentials:
    """A user and password (HTTP basic authentication) or a token."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    scheme: str = "Token"

    def __post_init__(self) -> None:
        if self.scheme not in AUTH_SCHEMES:
            raise ValueError(f"auth_scheme {self.scheme!r} is not one of "
                             f"{', '.join(map(repr, AUTH_SCHEMES))}")

    @property
    def authorization(self) -> str | None:
        """The ``Authorization`` header: ``Token ...`` (or ``Bearer ...``, the scheme)
        for a token, else ``Basic ...`` for a user, else none."""
        if self.token:
            return f"{self.scheme} {self.token}"
        if self.username:
            return basic_authorization(self.username, self.password)
        return None

    @cached_property
    def forms(self) -> tuple[str, ...]:
        """Every text in which a server may echo the secrets."""
        secrets = [secret for secret in (self.password, self.token)
                   if secret and len(secret) >= _SHORTEST]
        forms: set[str] = set()
        for secret in secrets:
            forms.add(secret)
            forms.add(urllib.parse.quote(secret, safe=""))
            forms.add(urllib.parse.quote_plus(secret))
            forms.add(json.dumps(secret)[1:-1])  # as a JSON string (and Go's %q) has it
            forms.add(json.dumps(secret, ensure_ascii=False)[1:-1])
        if self.username and self.password:
            encoded = basic_authorization(self.username, self.password).split(" ", 1)[1]
            forms.add(encoded)
        return tuple(sorted(forms))

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        return secret_pattern(*self.forms)

    def scrub(self, text: str) -> str:
        """``text`` with every form of the secrets replaced by ``[REDACTED]``."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(REDACTED, text)

    def scrub_error(self, error: BaseException) -> None:
        """Take every form of the secrets out of an error, in place (its message, its
        attributes and the errors it was raised from)."""
        redact(error, *self.forms)
