"""UDP datagrams of line protocol: encoded blocks cut into datagrams at line boundaries.

InfluxDB's UDP listener reads each datagram on its own, as a complete piece of line
protocol: a point cut in two is two broken points. So datagrams are cut only between
lines, and where lines end is decided the way the server decides it, since a string
field may hold a newline (``msg="two\\nlines"`` is one point).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from influxkit._errors import LineProtocolError

from .lines import split_lines

__all__ = [
    "BURST_BYTES",
    "BURST_PAUSE",
    "MAX_DATAGRAM_BYTES",
    "MAX_UDP_PAYLOAD",
    "datagrams",
]

MAX_DATAGRAM_BYTES: Final = 1400
"""The default size limit of a datagram, in bytes.

A datagram larger than the path's MTU is cut into IP fragments, and losing any one
fragment loses the whole datagram, silently. Ethernet carries 1,472 bytes of UDP
payload over IPv4 (1,452 over IPv6); 1,400 leaves room for the headers of tunnels
and VPNs. Small datagrams also suit the listener's socket buffer (its ``read-buffer``
setting, the system's default when 0), which the kernel charges per datagram: on
loopback a burst of 64 kB datagrams overflows it after a handful.
"""

MAX_UDP_PAYLOAD: Final = 65_507
"""The largest datagram UDP over IPv4 carries (influxd reads up to 64 KiB of each)."""

BURST_BYTES: Final = 16 * 1024
"""Datagrams go out in bursts of at most this many bytes, :data:`BURST_PAUSE` apart.

UDP has no flow control: a datagram that arrives when the listener's socket buffer
is full is dropped. Linux's default buffer (208 kB, charged for each datagram's
memory rather than its bytes) holds some 90 datagrams of 1,400 bytes; unpaced, a
write of 600 kB to a listener on loopback lost three quarters of its points. Paced,
the buffer holds several bursts while influxd's reader waits for a CPU.
"""

BURST_PAUSE: Final = 0.001
"""Seconds between bursts: at most about 16 MB/s, more than a UDP listener stores."""

def datagrams(blocks: Iterable[bytes], limit: int = MAX_DATAGRAM_BYTES) -> list[bytes]:
    """Pack the lines of encoded blocks into datagrams of at most ``limit`` bytes.

    Lines keep their order and are never cut: each datagram is whole lines joined by
    newlines, as many as fit.

    Raises:
        LineProtocolError: for a line longer than ``limit`` on its own, naming its
            position among the lines (blank lines not counted); raised before any
            datagram is made, so nothing is sent.
        ValueError: for a ``limit`` outside 1 to 65,507.
    """
    if not 1 <= limit <= MAX_UDP_PAYLOAD:
        raise ValueError(f"a UDP datagram holds 1 to {MAX_UDP_PAYLOAD:,} bytes, not {limit!r}")
    packed: list[bytes] = []
    batch: list[bytes] = []
    size = 0
    index = 0
    for block in blocks:
        for line in split_lines(block):
            if len(line) > limit:
                raise LineProtocolError(
                    f"the line is {len(line):,} bytes, more than the {limit:,} of a UDP "
                    "datagram (max_datagram_bytes); send it over HTTP",
                    point=line.decode("utf-8", "replace"), index=index, value=len(line),
                )
            index += 1
            # One more byte for the newline joining it to the lines before.
            if batch and size + 1 + len(line) > limit:
                packed.append(b"\n".join(batch))
                batch, size = [], 0
            size += len(line) + (1 if batch else 0)
            batch.append(line)
    if batch:
        packed.append(b"\n".join(batch))
    return packed
