"""The servers: which InfluxDB answers, and every way its API differs from 1.x's.

influxkit talks to InfluxDB 1.x, 2.x and 3.x through the API they share (``/write``
and ``/query``), and through their own endpoints where those do better. What differs
between them is decided here, once, from a :class:`Server`: the spelling of each
precision, the answer format, which statements the server runs, which write endpoint
to use. The engine asks; nothing else looks at versions.

A server is known from what it says (:func:`detect`): the ``X-Influxdb-Version`` and
``X-Influxdb-Build`` headers (1.x and 2.x on every answer, 3.1 and later on ``/ping``)
or the JSON body of 3.x's ``/ping``. It can be given instead (:func:`parse_server`),
when a proxy hides both. A server that says nothing is :data:`UNKNOWN`, and is
treated so that every server reads the requests right.

The facts, from the servers' source (``influxdata/influxdb``):

==========================  =============================================================
``/write`` precision        1.x: ``n ns u ms s m h`` (an unknown one is read as ns).
                            2.x: only ``us ms s`` are honoured; ``u``, ``m``, ``h`` and
                            anything else are read as ns without an error
                            (``models/points.go`` ``GetPrecisionMultiplier``).
                            3.x: ``s ms us u ns n`` (``iox_http`` ``write/params.rs``),
                            ``m`` and ``h`` refused.
``/api/v2/write``           ``ns us ms s`` (``http/write_handler.go``, ``ValidPrecision``).
``/api/v3/write_lp``        ``second millisecond microsecond nanosecond`` on every 3.x;
                            short names from 3.6 (``influxdb3_types/src/write.rs``).
``/query`` epoch            1.x, 2.x: ``u ms s m h``, anything else ns
                            (``proxy_executor.go`` ``convertToEpoch``); 3.x: ``ns u ms s
                            m h`` (3.7: ``d w`` too), anything else refused (``n``!).
MessagePack answers         1.x, 2.x: yes. 3.0–3.6: HTTP 500 ``invalid mime type``;
                            3.7+: a positional layout of its own, not 1.x's.
InfluxQL administration     1.x only: 2.x answers ``not implemented``, 3.x a parse or
                            planning error; databases go through 2.x's buckets and DBRP
                            mappings and 3.x's ``/api/v3/configure/database``.
several statements, params  3.0–3.6 refuse several statements (HTTP 500) and ignore bind
                            parameters (``http/v1.rs``); 3.7+ take both.
a chunk per statement       3.7+ sends no chunk for a statement without rows.
==========================  =============================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final, Literal

__all__ = [
    "UNKNOWN",
    "Server",
    "WriteEndpoint",
    "detect",
    "parse_server",
]

WriteEndpoint = Literal["v1", "v2", "v3"]
"""``/write`` (1.x's, which every server has), ``/api/v2/write`` (2.x's, also on 3.x)
or ``/api/v3/write_lp`` (3.x's)."""

# The unit of each precision in its canonical (1.x) name, as a number of the next
# coarser unit that every server spells: minutes and hours are sent as seconds.
_AS_SECONDS: Final = {"m": 60, "h": 3600}

_V2_PRECISIONS: Final = {"ns": "ns", "u": "us", "ms": "ms", "s": "s"}
_V3_PRECISIONS: Final = {"ns": "ns", "u": "us", "ms": "ms", "s": "s"}
_WRITE_LP_PRECISIONS: Final = {"ns": "nanosecond", "u": "microsecond",
                               "ms": "millisecond", "s": "second"}
# Spelled the same by every server's /query epoch ("n" is refused by 3.x).
_EPOCHS: Final = {"ns": "ns", "u": "u", "ms": "ms", "s": "s", "m": "m", "h": "h"}


@dataclass(frozen=True)
class Server:
    """An InfluxDB server, as it described itself (or as the client was told).

    Attributes:
        major: 1, 2 or 3; None when the server did not say.
        version: the version it reported (``"1.8.10"``, ``"v2.7.11"``, ``"3.6.0"``), or
            ``""``.
        build: its build or product (``"OSS"``, ``"Core"``, ``"Enterprise"``...), or
            ``""``.
        given: True when it was given (the client's ``server`` option), not detected.
    """

    major: int | None
    version: str = ""
    build: str = ""
    given: bool = field(default=False, compare=False, repr=False)

    @property
    def release(self) -> tuple[int, ...]:
        """The version's numbers (``(2, 7, 11)``); ``(major,)`` when only that is known,
        ``()`` when nothing is."""
        numbers = re.match(r"v?(\d+(?:\.\d+)*)", self.version)
        if numbers:
            return tuple(int(n) for n in numbers.group(1).split("."))
        return (self.major,) if self.major else ()

    def at_least(self, *release: int) -> bool:
        """Whether the version is at least ``release`` (unknown minor versions count as
        the oldest of their major)."""
        known = self.release
        return known + (0,) * (len(release) - len(known)) >= release

    @property
    def name(self) -> str:
        """``"InfluxDB 2.7.11 (OSS)"``, ``"InfluxDB 3.x"``, or ``"an unknown InfluxDB"``."""
        if self.major is None:
            return "an unknown InfluxDB"
        version = self.version.lstrip("v") or f"{self.major}.x"
        build = f" ({self.build})" if self.build else ""
        return f"InfluxDB {version}{build}"

    def __str__(self) -> str:
        return self.name

    # -- writes ------------------------------------------------------------------------

    def write_endpoint(self, *, org: str | None, rp: str | None) -> WriteEndpoint:
        """The endpoint of a write: 2.x's own with an organisation (a bucket needs no
        DBRP mapping there), 3.x's own unless a retention policy is named (which only
        its ``/write`` maps, to a database of its own), else ``/write``.

        Args:
            org: the organisation of the write (2.x), if any.
            rp: the retention policy of the write, if any.

        Returns:
            ``"v2"`` (``/api/v2/write``), ``"v3"`` (``/api/v3/write_lp``) or ``"v1"``
            (``/write``).
        """
        if self.major == 2 and org:
            return "v2"
        if self.major == 3 and not rp:
            return "v3"
        return "v1"

    def write_precision(self, precision: str, endpoint: WriteEndpoint = "v1"
                        ) -> tuple[str, int]:
        """How to send times of ``precision`` (a canonical name): the spelling the
        server reads as that unit, and the factor to multiply each time by first (1,
        or 60 and 3600 where minutes and hours have no spelling and go as seconds).

        An unknown server gets only spellings that every server reads the same:
        ``ns``, ``ms``, ``s``, with microseconds sent as nanoseconds.

        Args:
            precision: the precision, by its canonical name (``"ns"``, ``"u"``,
                ``"ms"``, ``"s"``, ``"m"``, ``"h"``).
            endpoint: the write's endpoint, as :meth:`write_endpoint` says.

        Returns:
            The spelling to send, and the factor to multiply each time by.
        """
        if precision in _AS_SECONDS and not (self.major == 1 and endpoint == "v1"):
            return ("second" if endpoint == "v3" else "s"), _AS_SECONDS[precision]
        if endpoint == "v3":
            return _WRITE_LP_PRECISIONS[precision], 1
        if endpoint == "v2" or self.major == 2:
            return _V2_PRECISIONS[precision], 1
        if self.major == 3:
            return _V3_PRECISIONS[precision], 1
        if self.major == 1:
            return precision, 1
        if precision == "u":
            return "ns", 1000
        return precision, 1

    # -- queries -----------------------------------------------------------------------

    def epoch(self, precision: str) -> str:
        """The ``epoch`` spelling of ``precision`` (a canonical name)."""
        return _EPOCHS[precision]

    @property
    def messagepack(self) -> bool:
        """Whether the server answers queries in 1.x's MessagePack (2.x and 1.x do; 3.x
        refuses it or sends a layout of its own; an unknown server is asked for JSON)."""
        return self.major in (1, 2)

    @property
    def several_statements(self) -> bool:
        """Whether one query may hold several statements (not on 3.0–3.6, nor, to be
        safe, on an unknown server)."""
        return self.major in (1, 2) or (self.major == 3 and self.at_least(3, 7))

    @property
    def bind_parameters(self) -> bool:
        """Whether bind parameters are honoured (3.0–3.6 ignore them)."""
        return self.major != 3 or self.at_least(3, 7)

    @property
    def answers_every_statement(self) -> bool:
        """Whether a chunked answer has a result for every statement (3.7+ sends none
        for a statement without rows)."""
        return self.major != 3

    @property
    def influxql_administration(self) -> bool:
        """Whether InfluxQL's administration statements run (databases, retention
        policies, users, privileges, continuous queries): on 1.x, and on an unknown
        server, which is left to answer for itself."""
        return self.major not in (2, 3)

    @property
    def health_endpoint(self) -> bool:
        """Whether the server has ``/health`` (1.8 and later, 2.x, 3.x)."""
        return self.major in (2, 3) or self.at_least(1, 8)


UNKNOWN: Final = Server(None)
"""A server that did not say what it is."""

_BUILDS_3: Final = ("core", "enterprise", "cloud", "clustered", "dedicated", "serverless")


def detect(headers: Any, body: Any = None) -> Server:
    """The server that sent an answer with these ``headers`` (case-insensitive) and,
    for 3.x's ``/ping``, this decoded JSON ``body``; :data:`UNKNOWN` when neither says.
    """
    version = str(_header(headers, "X-Influxdb-Version") or "").strip()
    build = str(_header(headers, "X-Influxdb-Build") or "").strip()
    if not version and isinstance(body, dict):
        version = str(body.get("version") or "").strip()
        build = build or _product_build(str(body.get("product_name") or ""))
        if version and not build:
            # 3.x's /ping answers JSON with a "revision" (3.0 with no headers); 1.7+'s
            # verbose ping only a version.
            build = "" if "revision" not in body else "Core"
    if not version:
        return UNKNOWN
    major = _major(version)
    if major is None and build.lower() in _BUILDS_3:
        major = 3
    return Server(major, version, build)


def parse_server(text: str | Server) -> Server:
    """A server given by its version: ``"1"``, ``"1.8"``, ``"2.x"``, ``"2.7.11"``,
    ``"3.6"``, ``"v3.9.1"`` (a :class:`Server` is returned as it is).

    Raises:
        ValueError: for a text that is not a version of InfluxDB 1, 2 or 3.
    """
    if isinstance(text, Server):
        return text
    if not isinstance(text, str):
        raise TypeError(f"server must be a version such as '2.7' or '3', not {text!r}")
    version = text.strip().removesuffix(".x")
    major = _major(version)
    if major is None or not re.fullmatch(r"v?\d+(\.\d+){0,2}([~+-]\w*)?", version):
        raise ValueError(f"server {text!r} is not a version of InfluxDB: use one such as "
                         "'1.8', '2.7' or '3.6' ('2' or '2.x' when the minor is unknown)")
    shown = version if "." in version else ""
    return Server(major, shown, "", given=True)


def _major(version: str) -> int | None:
    match = re.match(r"v?(\d+)", version)
    if match and match.group(1) in ("1", "2", "3"):
        return int(match.group(1))
    return None


def _product_build(product: str) -> str:
    # "InfluxDB 3 Core" -> "Core"
    for build in _BUILDS_3:
        if build in product.lower():
            return build.capitalize()
    return ""


def _header(headers: Any, name: str) -> Any:
    if headers is None:
        return None
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, item in headers.items():
            if key.lower() == lowered:
                return item
    return value
