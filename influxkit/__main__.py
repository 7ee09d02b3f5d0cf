"""``python -m influxkit``: the command line (see :mod:`influxkit.cli`)."""

from influxkit.cli import main

if __name__ == "__main__":
    main()
