"""The pure core: time, InfluxQL, URLs, backoff arithmetic, InfluxDB's limits and the
optional libraries.

Nothing here does I/O or imports anything of influxkit but its errors
(:mod:`influxkit._errors`, pure too, which keeps its own path for pickled errors):
every other layer may import it.
"""
