"""Optional libraries: imported by one helper, whose error names the pip line."""

from __future__ import annotations

import sys

import pytest

from influxkit._core.extras import EXTRAS, require


def test_an_installed_library_is_returned() -> None:
    assert require("msgpack") is sys.modules["msgpack"]


@pytest.mark.parametrize(("module", "extra"), sorted(EXTRAS.items()))
def test_a_missing_library_names_its_extra(module: str, extra: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # what an uninstalled library raises
    with pytest.raises(ImportError) as caught:
        require(module, "this test")
    assert str(caught.value) == (
        f"this test needs {module}: pip install 'influxkit[{extra}]'")
    assert caught.value.name == module


def test_every_extra_named_is_one_the_package_declares() -> None:
    from pathlib import Path

    import tomllib

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    declared = set(project["project"]["optional-dependencies"])
    assert set(EXTRAS.values()) <= declared
