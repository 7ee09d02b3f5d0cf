"""The documentation: the site builds with warnings as errors, and every public name has
a docstring that names its parameters (the reference is made from them)."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import influxkit
import influxkit.testing

ROOT = Path(__file__).resolve().parents[2]


def test_the_site_builds_with_warnings_as_errors(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="needs the docs extra: pip install 'influxkit[docs]'")
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
        # The Griffe extension's path in mkdocs.yml is relative to the repository.
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}{done.stderr}"
    # The reference is made from the docstrings: the client's methods are there.
    reference = (site / "reference" / "client" / "index.html").read_text(encoding="utf-8")
    for anchor in ("influxkit.InfluxDBClient", "influxkit.InfluxDBClient.write",
                   "influxkit.InfluxDBClient.create_database"):
        assert f'id="{anchor}"' in reference, f"{anchor} is not in the reference"
    assert (site / "changelog" / "index.html").is_file()


# -- docstrings ------------------------------------------------------------------------


def _mentioned(name: str, doc: str) -> bool:
    return re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", doc) is not None


def _parameters(function: Callable[..., Any], *, bound: bool) -> list[str]:
    """The parameters a docstring must name: all but ``self``, ``cls``, the first of a
    bound method (its object) and private ones."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return []
    if bound and parameters:
        parameters = parameters[1:]
    return [p.name for p in parameters
            if p.name not in ("self", "cls") and not p.name.startswith("_")]


def _check_callable(label: str, function: Callable[..., Any], doc: str | None, *,
                    bound: bool = False) -> Iterator[str]:
    if not doc or not doc.strip():
        yield f"{label}: no docstring"
        return
    for name in _parameters(function, bound=bound):
        if not _mentioned(name, doc):
            yield f"{label}: parameter {name!r} is not in its docstring"


def _members(cls: type, label: str) -> Iterator[str]:
    for klass in cls.__mro__:
        if not klass.__module__.startswith("influxkit"):
            continue
        for name, member in vars(klass).items():
            if name.startswith("_"):
                continue
            where = f"{label}.{name}"
            if isinstance(member, property):
                if not (member.__doc__ or "").strip():
                    yield f"{where}: no docstring"
            elif isinstance(member, (classmethod, staticmethod)):
                yield from _check_callable(where, member.__func__, member.__func__.__doc__,
                                           bound=isinstance(member, classmethod))
            elif inspect.isfunction(member):
                yield from _check_callable(where, member, member.__doc__, bound=True)
            elif hasattr(member, "__wrapped__"):  # a method that follows the mode (dual)
                yield from _check_callable(where, inspect.unwrap(member), member.__doc__,
                                           bound=True)


def _data_docstrings(module_name: str) -> dict[str, str]:
    """The docstrings of a module's names that are data (constants, type markers), as
    the reference reads them: the string right after the assignment."""
    griffe = pytest.importorskip("griffe", reason="needs the docs extra")
    package = griffe.load(module_name, search_paths=[str(ROOT)])
    found = {}
    for name, member in package.members.items():
        try:
            target = member.final_target if member.is_alias else member
        except Exception:  # an alias griffe cannot resolve: no docstring found
            continue
        if target.docstring is not None:
            found[name] = target.docstring.value
    return found


def _problems(module: Any) -> Iterator[str]:
    data_docstrings: dict[str, str] | None = None
    for name in module.__all__:
        obj = getattr(module, name)
        label = f"{module.__name__}.{name}"
        if name == "__version__":
            continue
        if inspect.isclass(obj):
            doc = (obj.__doc__ or "") + (vars(obj).get("__init__", None).__doc__ or ""
                                         if "__init__" in vars(obj) else "")
            if not (obj.__doc__ or "").strip():
                yield f"{label}: no docstring"
            elif "__init__" in vars(obj) or hasattr(obj, "__dataclass_fields__"):
                for parameter in _parameters(obj, bound=False):
                    if not _mentioned(parameter, doc):
                        yield f"{label}: parameter {parameter!r} is not in its docstring"
            yield from _members(obj, label)
        elif callable(obj) and not hasattr(obj, "__metadata__"):
            yield from _check_callable(label, obj, obj.__doc__)
        else:
            if data_docstrings is None:
                data_docstrings = _data_docstrings(module.__name__)
            if not data_docstrings.get(name, "").strip():
                yield f"{label}: no docstring"


@pytest.mark.parametrize("module", [influxkit, influxkit.testing], ids=lambda m: m.__name__)
def test_every_public_name_has_a_docstring_with_its_parameters(module: Any) -> None:
    problems = list(_problems(module))
    assert not problems, "\n".join(problems)


def test_help_shows_the_constructor_arguments() -> None:
    signature = inspect.signature(influxkit.InfluxDBClient)
    assert "host" in signature.parameters
    assert "mode" in signature.parameters
    assert str(signature) != "(*args, **kwargs)"
    assert "host: server host name" in (influxkit.InfluxDBClient.__doc__ or "")
