"""The package's shape: its layers, which way imports point, and no cycle anywhere.

Every import statement of every module under ``influxkit/`` is read from the source
(those inside functions and under ``TYPE_CHECKING`` too), so that a lazy or a
type-only import cannot hide an upward dependency or a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "influxkit"

# The layers, lowest first: a module may import its own layer and those below it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("influxkit._version", "influxkit._errors", "influxkit._core")),
    ("encoding and decoding", ("influxkit._encode", "influxkit._decode")),
    ("transport and modes", ("influxkit._transport", "influxkit._blocking",
                             "influxkit._dual")),
    ("engine", ("influxkit._engine", "influxkit._native")),
    ("on top", ("influxkit._writer", "influxkit._session", "influxkit._serieshelper",
                "influxkit._admin", "influxkit._compat", "influxkit._patterns")),
    ("the client", ("influxkit._client",)),
    ("the front door", ("influxkit",)),
    ("the other clients' names", ("influxkit.compat",)),
    ("the command line", ("influxkit.cli", "influxkit.__main__")),
]

# Independent layers side by side: the encoders and the result model know nothing of
# each other, nor the transport of blocking mode.
APART = [("influxkit._encode", "influxkit._decode"),
         ("influxkit._transport", "influxkit._blocking")]
# (influxkit._dual builds on _blocking: both are about modes.)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str) -> Iterator[tuple[str, int]]:
    """The influxkit modules ``name`` imports, with the line of each import."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # ``from package import module`` imports a module; ``from module import
            # name``, the module.
            targets = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES
                       else module for alias in node.names]
        else:
            continue
        for target in targets:
            if target == "influxkit" or target.startswith("influxkit."):
                while target not in MODULES:
                    target = target.rpartition(".")[0]
                yield target, node.lineno


def layer(name: str) -> int:
    for rank, (_, prefixes) in enumerate(LAYERS):
        # A prefix names a module or a package of them; the front door is itself alone.
        if any(name == prefix or (prefix != "influxkit" and name.startswith(prefix + "."))
               for prefix in prefixes):
            return rank
    raise AssertionError(f"{name} is in no layer: add it to LAYERS")


LAYERED = [name for name in MODULES if not name.startswith("influxkit.testing")]


def test_every_module_is_in_a_layer() -> None:
    for name in LAYERED:
        layer(name)


@pytest.mark.parametrize("name", LAYERED)
def test_nothing_imports_upward(name: str) -> None:
    upward = [f"line {line}: {target} ({LAYERS[layer(target)][0]})"
              for target, line in imports(name) if layer(target) > layer(name)]
    assert not upward, f"{name} ({LAYERS[layer(name)][0]}) imports upward: {upward}"


@pytest.mark.parametrize(("one", "other"), APART)
def test_side_by_side_layers_stay_apart(one: str, other: str) -> None:
    for first, second in ((one, other), (other, one)):
        crossing = [(name, target) for name in LAYERED if name.startswith(first)
                    for target, _ in imports(name) if target.startswith(second)]
        assert not crossing


def test_no_import_cycle() -> None:
    graph = {name: sorted({target for target, _ in imports(name)} - {name})
             for name in MODULES}
    # A package's modules import their package's __init__ implicitly; that is Python's
    # loading order, not a dependency, so only explicit imports count.
    done: set[str] = set()
    path: list[str] = []

    def visit(name: str) -> None:
        if name in path:
            cycle = [*path[path.index(name):], name]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        path.append(name)
        for target in graph[name]:
            visit(target)
        path.pop()
        done.add(name)

    for name in graph:
        visit(name)


def test_the_cycle_finder_finds_cycles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The test above could pass by reading nothing: a planted cycle must be caught.
    # errors -> client -> ... -> errors.
    (tmp_path / "a.py").write_text("from influxkit._client import InfluxDBClient\n")
    monkeypatch.setitem(MODULES, "influxkit._errors", tmp_path / "a.py")
    with pytest.raises(AssertionError, match="import cycle"):
        test_no_import_cycle()


def test_the_layer_check_sees_lazy_and_type_only_imports(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = ("from typing import TYPE_CHECKING\n"
              "if TYPE_CHECKING:\n"
              "    from influxkit._client import InfluxDBClient\n"
              "def f():\n"
              "    from .. import _engine\n")
    (tmp_path / "time.py").write_text(source)
    monkeypatch.setitem(MODULES, "influxkit._core.time", tmp_path / "time.py")
    found = {target for target, _ in imports("influxkit._core.time")}
    assert found == {"influxkit._client", "influxkit._engine"}


def test_aiohttp_is_imported_by_the_transport_alone() -> None:
    importers = set()
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                targets = [node.module or ""]
            else:
                continue
            if any(target.split(".")[0] == "aiohttp" for target in targets):
                importers.add(name)
    assert {name for name in importers if not name.startswith("influxkit.testing")} == {
        "influxkit._transport"}


def test_no_mixins_compose_the_client() -> None:
    from typing import Generic

    from influxkit import InfluxDBClient

    # Generic in its mode, for type checkers; nothing else.
    assert InfluxDBClient.__mro__ == (InfluxDBClient, Generic, object)
