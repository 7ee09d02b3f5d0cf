"""``influxdb_client.client``: import its modules (``client.write_api``,
``client.influxdb_client_async``, ``client.exceptions``...), as with influxdb-client."""
