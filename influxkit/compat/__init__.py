"""Code written for another Python client of InfluxDB, run by influxkit with only its
import line changed.

Each module here has that client's documented names, with its signatures, defaults,
return types and exception classes, as a thin layer over influxkit's one engine,
encoder and result model:

================================  ==============================================
instead of                        import
================================  ==============================================
``import influxdb``               ``from influxkit.compat import influxdb``
``import influxdb_client``        ``from influxkit.compat import influxdb_client``
``import inflow``                 ``from influxkit.compat import inflow``
``import aioinflux``              ``import influxkit as aioinflux``
================================  ==============================================

Their submodules are there too, where users import from them
(``from influxkit.compat.influxdb.exceptions import InfluxDBClientError``). Each
module's docstring lists what it maps and what differs.
"""
