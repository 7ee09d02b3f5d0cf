from typing import Any

import pandas as pd

from influxkit import InfluxDBClient

client = InfluxDBClient(mode="blocking", db="x")
df: pd.DataFrame = client.query("SELECT 1", output="dataframe")
ok: bool = client.write({"measurement": "m", "fields": {"v": 1}})
headers: dict[str, str] = client.ping()
dbs: list[dict[str, Any]] = client.get_list_database()
client.create_database("x")
with client.writer() as writer:
    writer.write({"measurement": "m", "fields": {"v": 1}})
with client.session() as session:
    session.write({"measurement": "m", "fields": {"v": 1}})
    done: bool = session.commit()
client.close()
positional = InfluxDBClient("localhost", 8086, "/", "blocking")
