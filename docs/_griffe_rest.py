"""A griffe extension: read dioxide's docstrings as the Markdown the site needs.

The docstrings are written for ``help()`` and editors, in reStructuredText
habits: ``:class:`Container``` roles and ``::`` before an indented example.
This extension rewrites them when mkdocstrings loads the package:

- a role becomes a cross-reference to the object it names, looked up from
  the docstring's own class and module (``:meth:`close``` inside
  ``ContainerScope`` links to ``ContainerScope.close``); a name that cannot
  be found stays inline code;
- ``text::`` followed by an indented block (or, after a summary line,
  by the rest of the docstring) becomes ``text:`` and a fenced block: ``python`` when it parses as Python, ``pycon`` for ``>>>``
  sessions, ``console`` otherwise.

The source is not changed: only what the site renders.
"""

from __future__ import annotations

import ast
import re
import textwrap
from typing import Any, Optional

import griffe

_ROLE = re.compile(r":(?:class|meth|func|mod|attr|exc|data|obj):`(~?)([\w.]+)`")


class RestToMarkdown(griffe.Extension):
    """Rewrite roles and literal blocks in every docstring of the package."""

    def on_object(self, *, obj: griffe.Object, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if obj.is_alias or obj.docstring is None:
            return
        text = _literal_blocks(obj.docstring.value)
        obj.docstring.value = _ROLE.sub(lambda match: _reference(match, obj, loader), text)


def _reference(match: re.Match[str], obj: griffe.Object, loader: griffe.GriffeLoader) -> str:
    short, name = match.group(1) == "~", match.group(2)
    target = _lookup(name, obj, loader)
    shown = name.rsplit(".", 1)[-1] if short else name
    return f"[`{shown}`][{target}]" if target else f"`{shown}`"


def _lookup(name: str, obj: griffe.Object, loader: griffe.GriffeLoader) -> Optional[str]:
    """The canonical path of ``name`` as seen from ``obj``'s scopes."""
    scopes = []
    scope: Optional[griffe.Object] = obj if (obj.is_class or obj.is_module) else obj.parent
    while scope is not None:
        scopes.append(scope.path)
        scope = scope.parent
    for prefix in [*scopes, ""]:
        path = f"{prefix}.{name}" if prefix else name
        try:
            found = loader.modules_collection[path]
        except KeyError:
            continue
        return str(found.target_path if found.is_alias else found.path)
    return None


def _literal_blocks(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.rstrip().endswith("::"):
            out.append(line)
            index += 1
            continue
        stripped = line.rstrip()[:-2].rstrip()
        indent = len(line) - len(line.lstrip())
        start = index + 1
        while start < len(lines) and not lines[start].strip():
            start += 1
        end = start
        if index == 0 and start < len(lines) and not lines[start].startswith(" "):
            # The summary line introduces the example: once the docstring's
            # indentation is removed the code is flush with it, and it runs
            # to the end of the docstring.
            end = len(lines)
        while end < len(lines) and (
            not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent
        ):
            end += 1
        while end > start and not lines[end - 1].strip():
            end -= 1
        if end == start:  # no indented block follows: leave the line as it is
            out.append(line)
            index += 1
            continue
        code = textwrap.dedent("\n".join(lines[start:end]))
        pad = " " * indent
        if stripped.strip():
            out.append(stripped + ":" if not stripped.endswith(":") else stripped)
        out.append("")
        out.append(f"{pad}```{_language(code)}")
        out.extend(pad + code_line if code_line else "" for code_line in code.split("\n"))
        out.append(f"{pad}```")
        index = end
    return "\n".join(out)


def _language(code: str) -> str:
    if code.lstrip().startswith(">>>"):
        return "pycon"
    try:
        ast.parse(code)
    except SyntaxError:
        return "console"
    return "python"
