import os

from influxkit import InfluxDBClient

# A mode known only at run time: results are Any, awaited or not.
client = InfluxDBClient.from_url(os.environ.get("INFLUX_URL", "http://localhost:8086/db"))
rows = client.query("SELECT 1")
mode = os.environ.get("MODE", "async")
other = InfluxDBClient(mode=mode)
answer = other.ping()
