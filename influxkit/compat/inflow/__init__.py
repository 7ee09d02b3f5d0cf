"""inflow's API over influxkit: ``from influxkit.compat.inflow import Client, Measurement``.

Code written for inflow 0.1 runs with only its import line changed, on influxkit's
blocking client, encoder and checks.

What it maps:

- ``Client(uri, precision='s', retention_policy=None, timeout=None)``: the URI's
  credentials, host, port and database (the last segment of its path) as
  :meth:`influxkit.InfluxDBClient.from_url` reads them; ``precision`` and
  ``retention_policy`` are the defaults of every write, ``timeout`` is in seconds.
- ``client.write(...)`` in all of inflow's forms: ``write('temperature', tags=...,
  timestamp=..., **values)``, ``write(Measurement(...))``, ``write([Measurement(...),
  ...])``, ``write(template_dict, [row_dict, ...])``; ``retention_policy=`` (and
  ``precision=``) for one write are options, never fields. One request per call.
- ``Measurement(name, timestamp=None, tags=None, **values)``, with its attributes
  ``name``, ``tags``, ``values``, ``timestamp`` and ``to_line(precision='s')``.
- ``client.session(autocommit_every=None, retention_policy=None)``: ``write`` (the
  same forms), ``commit()``, ``with client.session() as session:`` (commits on exit),
  autocommit once ``autocommit_every`` measurements are waiting (a list counts each of
  its measurements, as in inflow).
- ``client.query(query, epoch=None)``: ``[{'name': ..., 'values': [point dicts]}]``.
- inflow's exceptions (also in :mod:`influxkit.compat.inflow.exceptions`), each raised
  as the influxkit error of the same failure too: ``WriteFailedException`` for a
  refused write, ``QueryFailedException`` for a refused query or statement,
  ``DatabaseNotFoundException`` (404), ``UnauthorizedException`` (401),
  ``ForbiddenException`` (403), all ``InfluxDBException``; their message is the
  server's.

What differs, on purpose:

- An integer timestamp is in the write's precision in every form (a ``Measurement``'s
  too, which keeps the timestamp as given); inflow read a ``Measurement``'s integer
  as seconds whatever the precision. A naive ``datetime`` is UTC (inflow: local time).
- A time finer than the precision (a ``datetime`` with microseconds written with
  ``precision='s'``), a value or name line protocol cannot carry, a measurement with no
  value: refused before anything is sent, as a ``WriteFailedException`` that is also a
  ``LineProtocolError`` and a ``ValueError`` (inflow truncated the time, or sent the
  line for the server to refuse). A measurement without a timestamp gets the current
  time, cut to the precision, as in inflow.
- Values of ``None`` and tags of ``None`` or ``""`` are left out; at least one value must
  remain. Integers are written as floats, as inflow's line protocol had them stored.
- A failed statement raises ``QueryFailedException`` (inflow returned ``[]``); a query
  of a missing database is also a ``DatabaseNotFoundException``. Every statement's
  series are returned (inflow: the first statement's), and a grouped series has its
  ``'tags'``.
- Refusals inflow ignored raise: every error status of a write (413, 429, 503...) is a
  ``WriteFailedException``, and arguments of no form (a stray keyword in
  ``write(measurement, ...)``, ``retention_policy`` in ``session.write``) a ``TypeError``.
- An unreachable server or a timeout raises influxkit's ``InfluxDBConnectionError`` or
  ``InfluxDBTimeoutError`` (inflow: ``requests``' errors).
- A session commits on exit also when its block raised (as inflow), but not after a
  ``KeyboardInterrupt``; a failed commit keeps the measurements for the next one (not
  after a partial write: the server stored the others).
- The URI is read as :meth:`~influxkit.InfluxDBClient.from_url` reads it: credentials
  are percent-decoded, and in ``http://host/prefix/db`` the database is ``db`` under the
  API path ``/prefix`` (inflow: the database ``prefix/db``).
- Clients of one URI and timeout share one influxkit client and its connections, kept
  until exit (inflow's clients held none, so code makes and drops them freely).
  ``Client`` also has ``close()`` and is a context manager; ``client.client`` is the
  influxkit client. inflow's ``client.connection`` and ``session.measurements`` are not
  there (``session.pending`` counts the waiting measurements, ``session.rollback()``
  drops them).
"""

from __future__ import annotations

from . import exceptions
from ._client import Client, Measurement, Session
from .exceptions import (
    DatabaseNotFoundException,
    ForbiddenException,
    InfluxDBException,
    QueryFailedException,
    UnauthorizedException,
    WriteFailedException,
)

__all__ = [
    "Client",
    "DatabaseNotFoundException",
    "ForbiddenException",
    "InfluxDBException",
    "Measurement",
    "QueryFailedException",
    "Session",
    "UnauthorizedException",
    "WriteFailedException",
    "exceptions",
]
