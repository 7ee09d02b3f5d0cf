"""A Griffe extension that lets mkdocstrings render influxkit's docstrings as written.

The docstrings are written for ``help()`` and for readers of the source: Google-style
sections (Sphinx-style ``:param:`` fields in :mod:`influxkit.testing`), with
reStructuredText's inline roles, literal blocks, titles and tables. This extension,
loaded by ``mkdocs.yml``, changes nothing in the package; on the documentation's copy
of each docstring it:

- turns ``:class:`~influxkit.Point``` and its kin into a link to the public name's
  entry in the reference (``[`Point`][influxkit.Point]``) when the target is public, and
  into plain code (```Point```) when it is private or not part of the reference;
- turns an indented literal block introduced by ``::`` into a fenced Python block;
- turns section titles (a line underlined with ``---``) into Markdown headings, simple
  tables (columns under ``====  ====`` rules) into Markdown tables, and grid tables
  (``+----+``) into preformatted text;
- parses each docstring in the style it is written in: Sphinx's for
  :mod:`influxkit.testing`, Google's elsewhere;
- gives the client's methods that are made at class creation (the administration
  commands, ``_command(_admin.create_database)``, and aioinflux's query patterns) the
  signature and docstring of what they run, which static analysis cannot see.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(class|meth|func|attr|mod|data|exc|obj|const):`(~?)([^`]+)`")
# The modules whose public names the reference renders, and the modules it renders whole.
_PUBLIC_MODULES = ("influxkit", "influxkit.testing", "influxkit.testing.faultproxy",
                   "influxkit.testing.flavours")
_RENDERED_MODULES = ("influxkit.testing", "influxkit.testing.pytest_plugin",
                     "influxkit.testing.faultproxy", "influxkit.testing.flavours",
                     "influxkit.compat.influxdb", "influxkit.compat.influxdb_client",
                     "influxkit.compat.inflow")
_PATTERN_PARAMETERS = ("epoch", "chunked", "chunk_size", "db", "params")


class InfluxkitDocstrings(griffe.Extension):
    """Rewrite docstrings of the influxkit package once it is loaded."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader,
                   **kwargs: Any) -> None:
        if pkg.path != "influxkit":
            return
        _add_made_methods(pkg)
        public = _public_paths(pkg)
        for obj in _walk(pkg):
            if obj.docstring is not None:
                obj.docstring.value = _rewrite(obj.docstring.value, obj, public, pkg)
                # Each object's docstring is parsed in its own style, whichever page
                # loads the package first (Griffe caches the parsed docstring).
                obj.docstring.parser = (griffe.Parser.sphinx if _sphinx_style(obj.path)
                                        else griffe.Parser.google)


def _sphinx_style(path: str) -> bool:
    """influxkit.testing is documented with Sphinx's ``:param:`` fields, the rest in
    Google's style."""
    return path == "influxkit.testing" or path.startswith("influxkit.testing.")


def _get(pkg: griffe.Module, path: str) -> Any:
    try:
        return pkg.modules_collection[path]
    except (KeyError, ValueError):
        return None


def _walk(obj: griffe.Object) -> Any:
    yield obj
    for member in obj.members.values():
        if member.is_alias:
            continue
        yield from _walk(member)  # type: ignore[arg-type]


def _public_paths(pkg: griffe.Module) -> dict[str, str]:
    """Map the canonical path of every public object (and its members) to its public one."""
    public: dict[str, str] = {}

    def add(canonical: str, shown: str, target: griffe.Object | griffe.Alias) -> None:
        # Only what has a docstring is rendered (show_if_no_docstring is off).
        if not target.docstring:
            return
        public.setdefault(canonical, shown)
        public.setdefault(shown, shown)
        if target.is_class:
            for name, member in target.members.items():
                if not name.startswith("_") and not member.is_alias and member.docstring:
                    public.setdefault(f"{canonical}.{name}", f"{shown}.{name}")
                    public.setdefault(f"{shown}.{name}", f"{shown}.{name}")

    for module_path in _RENDERED_MODULES:
        if _get(pkg, module_path) is not None:
            public[module_path] = module_path

    for module_path in _PUBLIC_MODULES:
        module = _get(pkg, module_path)
        if module is None:
            continue
        names = list(module.exports or []) if module.exports else [
            name for name in module.members if not name.startswith("_")]
        for name in names:
            name = str(name)
            if name not in module.members:
                continue
            member = module.members[name]
            try:
                target = member.final_target if member.is_alias else member
            except (griffe.AliasResolutionError, griffe.CyclicAliasError):
                continue
            add(target.path, f"{module_path}.{name}", target)
    return public


def _candidates(text: str, owner: griffe.Object) -> list[str]:
    if text.startswith("influxkit"):
        return [text]
    found = []
    scope: griffe.Object | None = owner
    while scope is not None:
        found.append(f"{scope.path}.{text}")
        scope = scope.parent
    found += [f"{module}.{text}" for module in _PUBLIC_MODULES]
    return found


def _rewrite(text: str, owner: griffe.Object, public: dict[str, str],
             pkg: griffe.Module) -> str:
    def role(match: re.Match[str]) -> str:
        kind, short, target = match.groups()
        target = target.strip()
        shown = target.rsplit(".", 1)[-1] if short else target
        if kind in ("meth", "func") and not shown.endswith(")"):
            shown += "()"
        path = target.removesuffix("()")
        for candidate in _candidates(path, owner):
            if candidate in public:
                return f"[`{shown}`][{public[candidate]}]"
        return f"`{shown}`"

    text = _ROLE.sub(role, text)
    text = _fence_literal_blocks(text)
    return _tables_and_titles(text)


_TITLE_RULE = re.compile(r"^([-=~^])\1{2,}\s*$")
_SIMPLE_RULE = re.compile(r"^=+( +=+)+\s*$")


def _tables_and_titles(text: str) -> str:
    lines = text.splitlines()
    out: list[str] = []
    fenced = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if fenced:
            out.append(line)
            i += 1
            continue
        if _SIMPLE_RULE.match(line):
            end = _simple_table_end(lines, i)
            if end is not None:
                out += _simple_table(lines[i:end + 1])
                i = end + 1
                continue
        if line.startswith("+-") and line.rstrip().endswith("+"):
            end = i
            while end + 1 < len(lines) and lines[end + 1][:1] in ("+", "|"):
                end += 1
            out += ["```text", *lines[i:end + 1], "```"]
            i = end + 1
            continue
        if (line.strip() and not line.startswith(" ") and i + 1 < len(lines)
                and _TITLE_RULE.match(lines[i + 1])
                and len(lines[i + 1].strip()) >= len(line.strip())):
            out += ["", f"# {line.strip()}", ""]
            i += 2
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def _simple_table_end(lines: list[str], start: int) -> int | None:
    """The index of the closing rule of the simple table starting at ``start``."""
    rules = [j for j in range(start, len(lines)) if lines[j] == lines[start]]
    # a rule, the header, a rule, the rows, a rule; the rows end at a blank line
    if len(rules) < 3 or rules[1] - rules[0] != 2:
        return None
    return rules[2]


def _simple_table(block: list[str]) -> list[str]:
    rule = block[0]
    spans = [match.span() for match in re.finditer(r"=+", rule)]

    def cells(row: str) -> list[str]:
        found = []
        for index, (begin, _) in enumerate(spans):
            stop = spans[index + 1][0] if index + 1 < len(spans) else len(row)
            found.append(row[begin:stop].strip())
        return found

    header = cells(block[1])
    rows: list[list[str]] = []
    for row in block[3:-1]:
        if not row.strip():
            continue
        values = cells(row)
        if rows and not values[0]:  # a continuation line of the previous row
            rows[-1] = [f"{old} {new}".strip() for old, new in zip(rows[-1], values, strict=True)]
        else:
            rows.append(values)
    out = ["", "| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
            for row in rows]
    return [*out, ""]


def _fence_literal_blocks(text: str) -> str:
    """``Example::`` followed by an indented block becomes ``Example:`` and a fence."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.rstrip().endswith("::") and not line.lstrip().startswith(".."):
            indent = len(line) - len(line.lstrip())
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            block_start = j
            while j < len(lines) and (not lines[j].strip()
                                      or len(lines[j]) - len(lines[j].lstrip()) > indent):
                j += 1
            if block_start < j:
                head = line.rstrip()[:-1]
                if head.strip() == ":":  # a lone "::" introduces the block and vanishes
                    head = ""
                if head:
                    out.append(head)
                block = textwrap.dedent("\n".join(lines[block_start:j])).strip("\n")
                pad = " " * indent
                out += ["", pad + "```python"]
                out += [pad + row if row else "" for row in block.splitlines()]
                out += [pad + "```", ""]
                i = j
                continue
        out.append(line)
        i += 1
    return "\n".join(out)


def _add_made_methods(pkg: griffe.Module) -> None:
    """The client's methods made by ``_command(...)`` and ``pattern_method(...)``."""
    client = _get(pkg, "influxkit._client.InfluxDBClient")
    admin = _get(pkg, "influxkit._admin")
    patterns = _get(pkg, "influxkit._patterns")
    if client is None or admin is None or patterns is None:
        return
    built_in: dict[str, str] = {}
    if "BUILT_IN" in patterns.members:
        value = str(patterns.members["BUILT_IN"].value or "")
        built_in = dict(re.findall(r"'(\w+)':\s*'([^']*)'", value))
    for name, member in list(client.members.items()):
        if not member.is_attribute:
            continue
        value = str(member.value or "")
        made = re.fullmatch(r"_command\(_admin\.(\w+)\)", value)
        if made and made.group(1) in admin.members:
            source = admin.members[made.group(1)]
            method = griffe.Function(
                name,
                parameters=griffe.Parameters(griffe.Parameter("self"),
                                             *list(source.parameters)[1:]),
                returns=source.returns,
                lineno=member.lineno, endlineno=member.endlineno,
                docstring=griffe.Docstring(
                    source.docstring.value if source.docstring else "", lineno=member.lineno,
                    parser=source.docstring.parser if source.docstring else None,
                    parser_options=source.docstring.parser_options if source.docstring
                    else None),
            )
            method.labels |= {"async"} if "async" in source.labels else set()
            client.set_member(name, method)
            method.docstring.parent = method  # type: ignore[union-attr]
        elif value.startswith("pattern_method(") and name in built_in:
            template = built_in[name]
            placeholders = re.findall(r"\{(\w+)", template)
            parameters = [griffe.Parameter("self")]
            parameters += [griffe.Parameter(p, kind=griffe.ParameterKind.positional_or_keyword)
                           for p in placeholders]
            defaults = {"epoch": "'ns'", "chunked": "False"}
            parameters += [griffe.Parameter(p, kind=griffe.ParameterKind.keyword_only,
                                            default=defaults.get(p, "None"))
                           for p in _PATTERN_PARAMETERS]
            method = griffe.Function(
                name, parameters=griffe.Parameters(*parameters),
                lineno=member.lineno, endlineno=member.endlineno,
                docstring=griffe.Docstring(
                    f"aioinflux's query pattern ``{template}``, run with :meth:`query` "
                    "in the client's mode and output; the names are quoted as InfluxQL "
                    "names. It also takes :meth:`query`'s ``epoch``, ``chunked``, "
                    "``chunk_size``, ``db`` and ``params``.", lineno=member.lineno),
            )
            client.set_member(name, method)
            method.docstring.parent = method  # type: ignore[union-attr]
