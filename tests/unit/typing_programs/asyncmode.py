import asyncio

from influxkit import InfluxDBClient


async def main() -> None:
    async with InfluxDBClient(db="x") as client:
        ok: bool = await client.write({"measurement": "m", "fields": {"v": 1}})
        rows = await client.query("SELECT 1")
        headers: dict[str, str] = await client.ping()
        async with client.writer() as writer:
            await writer.write({"measurement": "m", "fields": {"v": 1}})
        async with client.session() as session:
            await session.write({"measurement": "m", "fields": {"v": 1}})
            await session.commit()
        await client.close()
        del ok, rows, headers


asyncio.run(main())
