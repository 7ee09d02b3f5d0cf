"""Every Python example of the README and of the documentation runs, as written.

Each fenced ``python`` block of ``README.md`` and of ``docs/**/*.md`` is a test, named
after its file and the line of its opening fence (``README.md:30``). The blocks of one
page run in order, in one namespace, as a reader would run them one after the other:
what a block uses is defined by an earlier block of the same page, shown to the reader.
They run against the suite's real server, whose URL is in ``INFLUX_URL``, which
``InfluxDBClient.from_env()`` reads (the pages say so); a block whose code awaits at its
top level runs on the page's event loop, as in Jupyter or ``python -m asyncio``. Each
page runs in a temporary directory of its own (for the files examples write), and the
databases a page makes are dropped after its last block.

A block that is not meant to run (one that needs a remote host, say) is marked in the
Markdown, right before its fence, with ``<!-- not run: the reason -->``; it is still
compiled, and then skipped with that reason. There may be at most ``MAX_NOT_RUN`` of
them. ``CHANGELOG.md`` has no examples to run.
"""

from __future__ import annotations

import ast
import asyncio
import gc
import inspect
import os
import re
import subprocess
import sys
import textwrap
import urllib.parse
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from influxkit.testing import InfluxDBServer

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
MAX_NOT_RUN = 6

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_NOT_RUN = re.compile(r"<!--\s*not run:\s*(?P<reason>.*?)\s*-->")
_PYTHON = {"python", "py", "python3"}
# What InfluxDBClient.from_env() reads besides INFLUX_URL, and what influxkit.testing
# reads: none of it may leak into the examples from the environment of the test run.
_CLIENT_ENVIRONMENT = (
    "INFLUXKIT_TEST_URL",
    "INFLUX_HOST", "INFLUXDB_V2_URL", "INFLUX_USERNAME", "INFLUX_PASSWORD", "INFLUX_TOKEN",
    "INFLUXDB_V2_TOKEN", "INFLUX_AUTH_SCHEME", "INFLUX_DATABASE", "INFLUX_ORG",
    "INFLUXDB_V2_ORG", "INFLUX_SERVER", "INFLUXDB_V2_TIMEOUT", "INFLUXDB_V2_VERIFY_SSL",
)


@dataclass(frozen=True)
class Example:
    """A fenced Python block: its page, the line of its opening fence, its code."""

    page: Path
    line: int
    code: str
    not_run: str | None = None

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    def compile(self) -> Any:
        # Blank lines before the code put each line at its line in the page, so a
        # traceback names the Markdown file and line (and shows it).
        source = "\n" * self.line + self.code
        return compile(source, str(self.page), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                       dont_inherit=True)


def collect(page: Path) -> list[Example]:
    """The fenced Python blocks of a Markdown page, with their not-run markers."""
    lines = page.read_text(encoding="utf-8").splitlines()
    examples: list[Example] = []
    reason: str | None = None
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            marker = _NOT_RUN.search(lines[i])
            if marker is not None:
                reason = marker.group("reason")
            elif lines[i].strip():
                reason = None  # a marker is for the block right after it
            i += 1
            continue
        fence, indent = opening.group("fence"), opening.group("indent")
        end = i + 1
        while end < len(lines) and not (
                lines[end].strip().startswith(fence[0] * len(fence))
                and not lines[end].strip().strip(fence[0])):
            end += 1
        language = (opening.group("info").split() or [""])[0].lower()
        if language in _PYTHON:
            body = [row[len(indent):] if row.startswith(indent) else row.lstrip()
                    for row in lines[i + 1:end]]
            examples.append(Example(page, i + 1, textwrap.dedent("\n".join(body)) + "\n",
                                    reason))
        reason = None
        i = end + 1
    return examples


EXAMPLES = [example for page in PAGES for example in collect(page)]


@dataclass
class _PageRun:
    """One page's examples as a reader runs them: in order, in one namespace."""

    examples: list[Example]
    directory: Path
    namespace: dict[str, Any] = field(default_factory=lambda: {"__name__": "__main__"})
    loop: asyncio.AbstractEventLoop | None = None
    done: int = 0
    failed: str | None = None
    databases_before: set[str] = field(default_factory=set)

    def run(self, example: Example) -> None:
        code = example.compile()
        cwd = os.getcwd()
        os.chdir(self.directory)
        try:
            if code.co_flags & inspect.CO_COROUTINE:
                if self.loop is None:
                    self.loop = asyncio.new_event_loop()
                self.loop.run_until_complete(eval(code, self.namespace))
            else:
                exec(code, self.namespace)
        finally:
            os.chdir(cwd)

    def finish(self) -> list[str]:
        """Let go of what the page made; return the warnings that letting go raised
        (a client or writer left open)."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if self.loop is not None:
                loop, self.loop = self.loop, None
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()
            self.namespace.clear()
            gc.collect()
        return [str(warning.message) for warning in caught
                if issubclass(warning.category, ResourceWarning)]


_runs: dict[Path, _PageRun] = {}


def _databases(server: InfluxDBServer) -> set[str]:
    answer = server.query("SHOW DATABASES")
    series = answer["results"][0].get("series") or [{}]
    return {row[0] for row in series[0].get("values") or []}


@pytest.fixture(scope="module")
def influx_url(influxdb_server: InfluxDBServer) -> Iterator[str]:
    """``INFLUX_URL``, the suite's server (with its credentials, if it has any)."""
    url = influxdb_server.url
    if influxdb_server.admin_username is not None:
        parts = urllib.parse.urlsplit(url)
        user = urllib.parse.quote(influxdb_server.admin_username, safe="")
        password = urllib.parse.quote(influxdb_server.admin_password or "", safe="")
        url = parts._replace(netloc=f"{user}:{password}@{parts.netloc}").geturl()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INFLUX_URL", url)
        for name in _CLIENT_ENVIRONMENT:
            patch.delenv(name, raising=False)
        yield url


@pytest.mark.parametrize("example", [pytest.param(e, id=e.name) for e in EXAMPLES])
def test_example_runs(example: Example, influx_url: str, influxdb_server: InfluxDBServer,
                      tmp_path_factory: pytest.TempPathFactory) -> None:
    if example.not_run is not None:
        example.compile()  # it must at least be Python
        pytest.skip(f"not run: {example.not_run}")
    page = [e for e in EXAMPLES if e.page == example.page and e.not_run is None]
    run = _runs.get(example.page)
    if run is None:
        run = _runs[example.page] = _PageRun(
            page, tmp_path_factory.mktemp(example.page.stem.lower()))
        run.databases_before = _databases(influxdb_server)
    if run.failed is not None:
        pytest.fail(f"an earlier example of the page failed: {run.failed}")
    index = page.index(example)
    try:
        # Examples deselected before this one are still the page's set-up: run them.
        for earlier in page[run.done:index + 1]:
            try:
                run.run(earlier)
            except BaseException:
                run.failed = earlier.name
                raise
            run.done += 1
    finally:
        if run.failed is not None or index == len(page) - 1:
            leaks = run.finish()
            for name in _databases(influxdb_server) - run.databases_before:
                influxdb_server.drop_database(name)
            if leaks and run.failed is None:
                pytest.fail(f"the examples of {example.page.name} left resources open: "
                            + "; ".join(leaks))


def test_the_test_files_of_the_testing_guide_pass(influx_url: str, tmp_path: Path) -> None:
    # Run as blocks, the test files of docs/guides/testing.md only define their tests;
    # here pytest runs them, with influxkit's plugin, against the suite's server.
    files = [e for e in EXAMPLES if e.page.name == "testing.md" and "def test_" in e.code]
    assert files, "the Testing guide shows no test file"
    for example in files:
        (tmp_path / f"test_guide_line_{example.line}.py").write_text(example.code)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--influxdb-url",
         influx_url, str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"pytest said:\n{done.stdout}\n{done.stderr}"
    assert " passed" in done.stdout


def test_every_block_is_collected() -> None:
    # Python blocks under another name, or fences the collector did not close, would
    # escape the test: every fence of a page is paired, and Python is spelt `python`.
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        fences = [m for m in (_FENCE.match(line) for line in text.splitlines()) if m]
        assert len(fences) % 2 == 0, f"{page.name}: a fence is not closed"
        for match in fences:
            info = (match.group("info").split() or [""])[0].lower()
            assert info not in {"pycon", "ipython", "python-repl"}, (
                f"{page.name}: a {info} block would not be run; write it as python")


def test_few_examples_are_not_run() -> None:
    not_run = [e for e in EXAMPLES if e.not_run is not None]
    assert all(e.not_run for e in not_run), "a not-run marker without a reason"
    assert len(not_run) <= MAX_NOT_RUN, (
        f"{len(not_run)} examples are marked not run, at most {MAX_NOT_RUN} may be: "
        + ", ".join(e.name for e in not_run))
    assert len(EXAMPLES) - len(not_run) >= 40, "the examples were not found"
