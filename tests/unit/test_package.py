"""The package's front door: its public names, and that importing it stays light."""

from __future__ import annotations

import subprocess
import sys
import types

import influxkit


def test_all_lists_exactly_the_public_names() -> None:
    # Sub-packages (testing, compat) appear once imported anywhere; they are not names.
    public = {name for name, value in vars(influxkit).items()
              if not name.startswith("_") and not isinstance(value, types.ModuleType)}
    public |= {"__version__"}
    public -= {"annotations"}  # the __future__ import
    assert set(influxkit.__all__) == public
    assert len(set(influxkit.__all__)) == len(influxkit.__all__)
    # Its order is ruff's (RUF022, checked by `make lint`): constants, classes, functions.


def test_every_public_name_is_importable() -> None:
    for name in influxkit.__all__:
        assert getattr(influxkit, name) is not None


def test_import_does_not_load_heavy_optional_libraries() -> None:
    code = (
        "import sys, influxkit\n"
        "heavy = {'pandas', 'numpy', 'polars', 'msgpack', 'pyarrow'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_missing_extra_names_the_pip_command(monkeypatch: object) -> None:
    code = (
        "import sys\n"
        "sys.modules['pandas'] = None\n"
        "from influxkit import InfluxDBClient\n"
        "try:\n"
        "    InfluxDBClient(output='dataframe')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert "pip install 'influxkit[pandas]'" in done.stdout


def test_a_missing_extra_is_named_before_any_request() -> None:
    # The query's output needs polars: the hint comes before the query is sent (port 9
    # has no server: a request would raise a connection error instead).
    code = (
        "import sys\n"
        "sys.modules['polars'] = None\n"
        "from influxkit import InfluxDBClient\n"
        "with InfluxDBClient(port=9, mode='blocking') as client:\n"
        "    for output in ('polars', 'dataframe'):\n"
        "        try:\n"
        "            client.query('SELECT 1', output=output)\n"
        "        except ImportError as exc:\n"
        "            print(type(exc).__name__, exc)\n"
        "        except Exception as exc:\n"
        "            print(type(exc).__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    first, second = done.stdout.splitlines()
    assert first.startswith("ImportError")
    assert "pip install 'influxkit[polars]'" in first
    assert "output='polars'" in first
    # pandas is there: that query is sent, and meets no server.
    assert second == "InfluxDBConnectionError"
