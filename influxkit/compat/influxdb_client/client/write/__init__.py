"""``influxdb_client.client.write``: ``point`` (:class:`Point`) and ``retry``
(:class:`WritesRetry`)."""
