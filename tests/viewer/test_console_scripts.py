"""The console's classic scripts share one global scope: a name declared at the top of two of them
is one function, the last loaded, and the other's callers silently get the wrong one (a second
``valueText`` once turned every "4 → 3" of the run changes into "— → —"). No name is declared twice."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "viewer" / "console" / "static"
DECLARATION = re.compile(r"^(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)|^(?:const|let|var|class)\s+([A-Za-z_$][\w$]*)",
                         re.MULTILINE)


def _classic_scripts() -> list[Path]:
    """The scripts index.html loads as classic scripts (not modules), in order."""
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    tags = re.findall(r"<script\b([^>]*)>", html)
    return [STATIC / m.group(1) for attrs in tags if "module" not in attrs and "importmap" not in attrs
            for m in [re.search(r'src="([^"]+)"', attrs)] if m]


def test_no_global_name_is_declared_by_two_console_scripts():
    scripts = _classic_scripts()
    assert {p.name for p in scripts} >= {"console.js", "dashboard.js", "form.js"}, scripts
    where: dict[str, list[str]] = defaultdict(list)
    for path in scripts:
        for m in DECLARATION.finditer(path.read_text(encoding="utf-8")):
            where[m.group(1) or m.group(2)].append(path.name)
    twice = {name: files for name, files in where.items() if len(files) > 1}
    assert not twice, f"declared at the top of more than one classic script (one global scope): {twice}"
