"""Domain errors for user input.

A building or scenario file is written by a person; when it is wrong the person needs to know
*where* and *what*, not how our code failed. Every problem found in a file becomes one
:class:`SpecIssue` (file, field path, message) and all issues of one file are raised together
as a :class:`SpecError`, whose text reads like::

    tower.yaml: doors[12] 'F03-D07'.between: unknown space 'F03-S99'

The command line prints that text and exits with status 2; the API returns the issues as
structured field paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["SpecIssue", "SpecError", "format_path", "format_value", "issues_from_validation_error"]


def format_value(value: Any, limit: int = 60) -> str:
    """A short, quoted rendering of an offending value for an error message."""
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def format_path(loc: Sequence[Any], data: Any = None) -> str:
    """Render a field location as ``doors[12] 'F03-D07'.between``.

    ``loc`` is a pydantic-style location tuple. When ``data`` (the raw document) is given, list
    items that carry an ``id`` are labelled with it so a person can find them in the file.
    """
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int):
            label = f"[{key}]"
            item = None
            if isinstance(node, list) and 0 <= key < len(node):
                item = node[key]
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                label += f" '{item['id']}'"
            parts.append(label)
            node = item
        else:
            key = str(key)
            parts.append(("." if parts else "") + key)
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


@dataclass(frozen=True)
class SpecIssue:
    """One problem in one file: where it is and what is wrong."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "path": self.path, "message": self.message}


class SpecError(ValueError):
    """A building or scenario file that cannot be used, with every problem found in it."""

    def __init__(self, issues: Iterable[SpecIssue]):
        self.issues: tuple[SpecIssue, ...] = tuple(issues)
        if not self.issues:
            raise ValueError("SpecError needs at least one issue")
        super().__init__("\n".join(str(i) for i in self.issues))

    @classmethod
    def single(cls, file: str, path: str, message: str) -> "SpecError":
        return cls([SpecIssue(file, path, message)])


_PYDANTIC_MESSAGES = {
    "extra_forbidden": "unknown field; check its spelling",
    "missing": "required field is missing",
}


def issues_from_validation_error(exc: Any, file: str, data: Any) -> list[SpecIssue]:
    """Turn a pydantic ``ValidationError`` into issues naming the file, field path and value."""
    issues: list[SpecIssue] = []
    seen: set[tuple[str, str]] = set()
    for err in exc.errors(include_url=False):
        # Union and validator wrappers add synthetic location parts; keep the document's own.
        loc = [p for p in err.get("loc", ()) if isinstance(p, int) or ("[" not in str(p) and "-" not in str(p))]
        kind = err.get("type", "")
        message = _PYDANTIC_MESSAGES.get(kind) or str(err.get("msg", "invalid value"))
        message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if kind not in ("missing",) and "input" in err and kind != "value_error":
            message += f" (got {format_value(err['input'])})"
        key = (format_path(loc, data), message)
        if key in seen:
            continue
        seen.add(key)
        issues.append(SpecIssue(file, key[0], message))
    return issues
