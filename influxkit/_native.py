"""Databases on the servers that have no InfluxQL for them: 2.x's buckets and DBRP
mappings, 3.x's ``/api/v3/configure/database``.

InfluxDB 2.x answers ``CREATE DATABASE`` with ``not implemented``: there a database
is a bucket, reached from the v1 API through a DBRP mapping (database and retention
policy to bucket). InfluxDB 3.x does not parse the statement at all: a database is made
by its first write, or by ``/api/v3/configure/database``. :class:`Databases` does on
each what ``CREATE DATABASE``, ``DROP DATABASE`` and ``SHOW DATABASES`` do on 1.x, and
2.x's retention policies (a bucket named ``db/rp``, mapped as that policy):

==================  ===================================  ==================================
                    InfluxDB 2.x                          InfluxDB 3.x
==================  ===================================  ==================================
create a database   a bucket named ``db`` (none if it     ``POST /api/v3/configure/database``
                    exists) and a default mapping         (none if it exists: 409)
                    ``db/autogen``
drop a database     every bucket mapped from ``db`` and   ``DELETE
                    its mappings                          /api/v3/configure/database?db=``
list databases      the databases of the mappings         ``GET ...?format=json``
create a policy     a bucket ``db/rp`` that expires data  (no retention policies)
                    after the duration, mapped ``db/rp``
drop a policy       that bucket and its mapping
==================  ===================================  ==================================

The organisation of 2.x's buckets is the client's ``org``; without one, the only
organisation the token can see.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from ._core.influxql import duration_ns
from ._core.servers import Server
from ._errors import InfluxDBHTTPError, NotSupportedError
from ._transport import Transport

__all__ = ["Databases"]


class OrgSetting(Protocol):
    """The client's organisation (2.x), read at each operation."""

    org: str | None


class Databases:
    """Databases of a 2.x or 3.x server, through its own API."""

    def __init__(self, transport: Transport, settings: OrgSetting) -> None:
        self._transport = transport
        self._settings = settings
        self._org_ids: dict[str | None, str] = {}

    # -- the three servers' operations ----------------------------------------------------

    async def create(self, server: Server, name: str) -> None:
        """Make database ``name``; nothing when it exists."""
        if server.major == 3:
            try:
                await self._json("POST", "api/v3/configure/database", body={"db": name})
            except InfluxDBHTTPError as exc:
                if exc.status != 409:  # it exists
                    raise
            return
        org_id = await self.org_id(server)
        bucket = await self._bucket(org_id, name) or await self._json(
            "POST", "api/v2/buckets",
            body={"orgID": org_id, "name": name, "retentionRules": []})
        await self._map(org_id, bucket["id"], name, "autogen", default=True)

    async def drop(self, server: Server, name: str) -> None:
        """Remove database ``name`` and its data; nothing when it does not exist."""
        if server.major == 3:
            try:
                await self._json("DELETE", "api/v3/configure/database", params={"db": name})
            except InfluxDBHTTPError as exc:
                if exc.status != 404:
                    raise
            return
        org_id = await self.org_id(server)
        buckets = {mapping["bucketID"] for mapping in
                   await self._mappings(org_id, database=name) if not mapping.get("virtual")}
        found = await self._bucket(org_id, name)
        if found is not None:
            buckets.add(found["id"])
        for mapping in await self._mappings(org_id, database=name):
            if not mapping.get("virtual"):
                await self._json("DELETE", f"api/v2/dbrps/{mapping['id']}",
                                 params={"orgID": org_id})
        for bucket_id in buckets:
            try:
                await self._json("DELETE", f"api/v2/buckets/{bucket_id}")
            except InfluxDBHTTPError as exc:
                if exc.status != 404:
                    raise

    async def names(self, server: Server) -> list[str]:
        """The databases' names, sorted."""
        if server.major == 3:
            rows = await self._json("GET", "api/v3/configure/database",
                                    params={"format": "json"})
            return sorted({str(row.get("iox::database")) for row in rows or []
                           if isinstance(row, dict) and not row.get("deleted")})
        org_id = await self.org_id(server)
        names = {mapping["database"] for mapping in await self._mappings(org_id)}
        return sorted(names)

    async def create_policy(self, server: Server, database: str, name: str, duration: str,
                            default: bool) -> None:
        """2.x: a bucket ``database/name`` keeping data for ``duration`` (``INF`` for
        ever), mapped as that retention policy of ``database``."""
        self._policies_on(server)
        org_id = await self.org_id(server)
        seconds = 0 if duration.upper() == "INF" else duration_ns(duration) // 10**9
        bucket_name = f"{database}/{name}"
        bucket = await self._bucket(org_id, bucket_name) or await self._json(
            "POST", "api/v2/buckets", body={
                "orgID": org_id, "name": bucket_name,
                "retentionRules": [{"type": "expire", "everySeconds": seconds}]
                if seconds else []})
        await self._map(org_id, bucket["id"], database, name, default=default)

    async def drop_policy(self, server: Server, database: str, name: str) -> None:
        """2.x: remove the bucket of retention policy ``name`` of ``database``."""
        self._policies_on(server)
        org_id = await self.org_id(server)
        for mapping in await self._mappings(org_id, database=database, policy=name):
            if not mapping.get("virtual"):
                await self._json("DELETE", f"api/v2/dbrps/{mapping['id']}",
                                 params={"orgID": org_id})
            await self._json("DELETE", f"api/v2/buckets/{mapping['bucketID']}")

    # -- 2.x -------------------------------------------------------------------------------

    async def org_id(self, server: Server) -> str:
        """The ID of the client's organisation (or of the only one the token sees)."""
        name = self._settings.org
        if name in self._org_ids:
            return self._org_ids[name]
        params = {"org": name} if name else None
        orgs = (await self._json("GET", "api/v2/orgs", params=params)).get("orgs") or []
        if name:
            orgs = [org for org in orgs if org.get("name") == name]
        if len(orgs) != 1:
            what = (f"no organisation named {name!r}" if name else
                    f"{len(orgs)} organisations")
            raise NotSupportedError(
                f"{server}: {what} can be seen with this token: give the client org=",
                server=server.name)
        self._org_ids[name] = str(orgs[0]["id"])
        return self._org_ids[name]

    async def _bucket(self, org_id: str, name: str) -> dict[str, Any] | None:
        try:
            answer = await self._json("GET", "api/v2/buckets",
                                      params={"orgID": org_id, "name": name})
        except InfluxDBHTTPError as exc:
            if exc.status == 404:  # a name not found is 404, not an empty list
                return None
            raise
        found = [bucket for bucket in answer.get("buckets") or [] if bucket.get("name") == name]
        return found[0] if found else None

    async def _mappings(self, org_id: str, *, database: str | None = None,
                        policy: str | None = None) -> list[dict[str, Any]]:
        params = {"orgID": org_id}
        if database is not None:
            params["db"] = database
        if policy is not None:
            params["rp"] = policy
        answer = await self._json("GET", "api/v2/dbrps", params=params)
        return list(answer.get("content") or [])

    async def _map(self, org_id: str, bucket_id: str, database: str, policy: str, *,
                   default: bool) -> None:
        for mapping in await self._mappings(org_id, database=database, policy=policy):
            if mapping.get("bucketID") == bucket_id and not mapping.get("virtual"):
                return
        await self._json("POST", "api/v2/dbrps", body={
            "orgID": org_id, "bucketID": bucket_id, "database": database,
            "retention_policy": policy, "default": default})

    @staticmethod
    def _policies_on(server: Server) -> None:
        if server.major != 2:
            raise NotSupportedError(
                f"{server} has no retention policies: a database keeps its data for the "
                "retention period it was made with (influxdb3 create database "
                "--retention-period)", server=server.name)

    async def _json(self, method: str, endpoint: str, *,
                    params: Mapping[str, str] | None = None, body: Any = None) -> Any:
        """Send a request with a JSON body; its JSON answer (None when empty)."""
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if data is not None else None
        response = await self._transport.request(method, endpoint, params=params, data=data,
                                                 headers=headers)
        text = await self._transport.read(response, f"{method} {endpoint}")
        return json.loads(text) if text.strip() else None
