"""Type checking of user programs: blocking code written the obvious way, and async
code, are both clean under ``mypy --strict``; mistakes of either mode are caught.

The programs are in ``typing_programs/``; mypy runs once over all of them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).parent / "typing_programs"

# Each line is a mistake mypy must report: (program line, what it says).
MISTAKES = '''\
from influxkit import InfluxDBClient


async def main() -> None:
    blocking = InfluxDBClient(mode="blocking")
    await blocking.ping()
    asynchronous = InfluxDBClient()
    ok: bool = asynchronous.write({"measurement": "m", "fields": {"v": 1}})
    asynchronous.ping()
    blocking.query(1)
    blocking.create_retention_policy("rp", "1d", "one")
'''
EXPECTED = {
    6: 'Incompatible types in "await"',
    8: 'Maybe you forgot to use "await"?',
    9: "Are you missing an await?",
    10: 'Argument 1 has incompatible type "int"; expected "str"',
    11: 'Argument 3 has incompatible type "str"; expected "int"',
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("typing")
    (folder / "mistakes.py").write_text(MISTAKES)
    for program in PROGRAMS.glob("*.py"):
        (folder / program.name).write_text(program.read_text())
    programs = sorted(path.name for path in folder.glob("*.py"))
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental",
         "--cache-dir", str(folder / "cache"), *programs],
        capture_output=True, text=True, check=False, cwd=folder)
    return done.stdout + done.stderr


@pytest.mark.parametrize("program", sorted(p.name for p in PROGRAMS.glob("*.py")))
def test_a_program_of_each_mode_checks_clean(program: str, report: str) -> None:
    errors = [line for line in report.splitlines() if line.startswith(program + ":")]
    assert not errors, "\n".join(errors)


def test_mistakes_of_each_mode_are_caught(report: str) -> None:
    found = {int(match.group(1)): line for line in report.splitlines()
             if (match := re.match(r"mistakes\.py:(\d+): (?:error|note)", line))}
    for line, expected in EXPECTED.items():
        said = [text for text in report.splitlines() if text.startswith(f"mistakes.py:{line}:")]
        assert any(expected in text for text in said), f"line {line}: {expected!r}\n{report}"
    assert set(found) <= set(EXPECTED), report
