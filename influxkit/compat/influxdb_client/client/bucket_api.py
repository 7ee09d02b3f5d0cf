"""``influxdb_client.client.bucket_api``: :class:`BucketsApi`, buckets as influxkit's
databases (on InfluxDB 2.x: a bucket and its DBRP mapping; on 1.x: a database)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from influxkit.compat.influxdb_client._translate import translated

from .exceptions import NotSupportedError

if TYPE_CHECKING:
    from ._base import SyncClient

__all__ = ["Bucket", "Buckets", "BucketsApi"]


class Bucket:
    """A bucket as :class:`BucketsApi` returns it: its ``name`` (``id`` is None: the
    buckets are found by name)."""

    def __init__(self, name: str, id: str | None = None, org_id: str | None = None,
                 retention_rules: list[Any] | None = None,
                 description: str | None = None) -> None:
        self.name = name
        self.id = id
        self.org_id = org_id
        self.retention_rules = retention_rules or []
        self.description = description

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bucket) and other.name == self.name

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Bucket(name={self.name!r})"


class Buckets:
    """The answer of :meth:`BucketsApi.find_buckets`: ``buckets``, a list."""

    def __init__(self, buckets: list[Bucket]) -> None:
        self.buckets = buckets


class BucketsApi:
    """Create, find and delete buckets by name, through influxkit's database commands.

    Other methods raise :class:`NotSupportedError`.
    """

    def __init__(self, influxdb_client: SyncClient) -> None:
        self._influxdb_client = influxdb_client

    def create_bucket(self, bucket: Any = None, bucket_name: str | None = None,
                      org_id: str | None = None, retention_rules: Any = None,
                      description: str | None = None, org: Any = None) -> Bucket:
        """Create a bucket (``create_database``): ``bucket_name``, or ``bucket`` (a
        :class:`Bucket` or a name). Retention rules other than "keep for ever" and a
        description are refused (use ``client.influxkit.create_retention_policy``).

        Raises:
            NotSupportedError: for retention rules or a description.
            ApiException: for an error answer.
        """
        name = bucket_name or getattr(bucket, "name", bucket)
        if not isinstance(name, str) or not name:
            raise TypeError("create_bucket() needs bucket_name= (or bucket=)")
        rules = retention_rules or getattr(bucket, "retention_rules", None) or []
        rules = rules if isinstance(rules, list) else [rules]
        if any(_seconds(rule) for rule in rules) or description:
            raise NotSupportedError(
                "buckets are made by influxkit's create_database, which keeps data for ever "
                "and has no description; then client.influxkit.create_retention_policy("
                "name, duration, 1, database=bucket, default=True) sets the retention")
        with translated():
            self._influxdb_client.influxkit.create_database(name)
        return Bucket(name, org_id=org_id)

    def delete_bucket(self, bucket: Any) -> Bucket:
        """Delete a bucket (``drop_database``): a :class:`Bucket` or a bucket's name
        (not an ID)."""
        name = getattr(bucket, "name", bucket)
        with translated():
            self._influxdb_client.influxkit.drop_database(name)
        return bucket if isinstance(bucket, Bucket) else Bucket(name)

    def find_bucket_by_name(self, bucket_name: str) -> Bucket | None:
        """The bucket named ``bucket_name``, or None."""
        return next((bucket for bucket in self.find_buckets().buckets
                     if bucket.name == bucket_name), None)

    def find_buckets(self, **kwargs: Any) -> Buckets:
        """Every bucket (``get_list_database``); ``name=`` keeps the one of that name."""
        with translated():
            names = [row["name"] for row in self._influxdb_client.influxkit.get_list_database()]
        if kwargs.get("name") is not None:
            names = [name for name in names if name == kwargs["name"]]
        return Buckets([Bucket(name) for name in names])

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise NotSupportedError(
            f"BucketsApi.{name} is not supported: this layer finds buckets by name "
            "(find_bucket_by_name, find_buckets), creates and deletes them")


def _seconds(rule: Any) -> int:
    seconds = rule.get("every_seconds") if isinstance(rule, dict) else getattr(
        rule, "every_seconds", 0)
    return int(seconds or 0)
