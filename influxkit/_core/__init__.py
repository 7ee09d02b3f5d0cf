"""The pure core: errors, time, InfluxQL, URLs, backoff arithmetic and InfluxDB's limits.

Nothing here does I/O or imports anything else of influxkit: every other layer may
import it.
"""
