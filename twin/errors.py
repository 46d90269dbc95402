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

import builtins
import re
import reprlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["SpecIssue", "SpecError", "format_path", "format_value", "format_text", "issues_from_validation_error"]


# A key or id shown as-is in a path; anything else is quoted, so a path never holds ':' or a newline.
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


class _BoundedRepr(reprlib.Repr):
    """``repr`` that looks at no more of a value than a message shows.

    A parsed document can hold a value far larger than its text (YAML aliases share one list many
    times over); ``repr()`` of it would walk every element while holding the interpreter. Strings
    are cut before they are escaped, containers show a few items of a few levels.
    """

    def __init__(self, limit: int):
        super().__init__()
        self.maxlevel = 3
        self.maxtuple = self.maxlist = self.maxarray = self.maxdict = 6
        self.maxset = self.maxfrozenset = self.maxdeque = 6
        self.maxstring = self.maxlong = self.maxother = limit

    def repr_str(self, x: str, level: int) -> str:
        return builtins.repr(x[: self.maxstring + 1])  # one more, so that the cut below shows "..."

    def repr_bytes(self, x: bytes, level: int) -> str:
        return builtins.repr(x[: self.maxstring + 1])

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 4 * self.maxlong:
            return f"<an integer of about {int(x.bit_length() * 0.30103) + 1} digits>"
        return builtins.repr(x)


def format_value(value: Any, limit: int = 60) -> str:
    """A short, quoted and escaped rendering of an offending value for an error message.

    Costs the same whatever the value's size: at most ``limit`` characters of a string, a few
    items of a container, never the whole of either.
    """
    try:
        text = _BoundedRepr(limit).repr(value)
    except Exception:  # a value whose repr fails is named by its type
        text = f"<{type(value).__name__}>"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def format_text(text: Any, limit: int = 300) -> str:
    """Free text (a library's message) on one line, at most ``limit`` characters."""
    one_line = " ".join(str(text)[: limit * 4].split())
    return one_line if len(one_line) <= limit else one_line[: limit - 3] + "..."


def _key_label(key: Any) -> str:
    """A mapping key as a path part: ``.width_m`` for a name, ``['odd: key']`` otherwise.

    A path never holds a colon or a line break, so the ``file: path: message`` form stays readable.
    """
    if isinstance(key, str) and _NAME.fullmatch(key):
        return "." + key
    return "[" + format_value(key, 40).replace(":", "\\x3a") + "]"


def format_path(loc: Sequence[Any], data: Any = None) -> str:
    """Render a field location as ``doors[12] 'F03-D07'.between``.

    ``loc`` is a pydantic-style location tuple. When ``data`` (the raw document) is given, list
    items that carry an ``id`` are labelled with it so a person can find them in the file.
    """
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int) and not isinstance(key, bool) and not isinstance(node, dict):
            label = f"[{key}]"
            item = None
            if isinstance(node, list) and 0 <= key < len(node):
                item = node[key]
            if isinstance(item, dict) and isinstance(item.get("id"), str) and _NAME.fullmatch(item["id"]):
                label += f" '{item['id']}'"
            parts.append(label)
            node = item
        else:
            parts.append(_key_label(key))
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts).removeprefix(".") or "(top level)"


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


def _document_loc(loc: Sequence[Any], data: Any) -> list[Any]:
    """The parts of a pydantic location that are the document's own keys and indexes.

    Union and validator wrappers add synthetic parts (``function-after[...]``, ``[key]``); a part
    is dropped as synthetic only when it is not a key of the document at that point, so a
    mistyped key such as ``fire-door`` still shows in the path.
    """
    kept: list[Any] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(part, int) and isinstance(node, list):
            node = node[part] if 0 <= part < len(node) else None
        elif isinstance(part, str) and ("[" in part or "-" in part):
            continue
        else:
            node = None
        kept.append(part)
    return kept


def issues_from_validation_error(exc: Any, file: str, data: Any) -> list[SpecIssue]:
    """Turn a pydantic ``ValidationError`` into issues naming the file, field path and value."""
    issues: list[SpecIssue] = []
    seen: set[tuple[str, str]] = set()
    for err in exc.errors(include_url=False):
        # Union and validator wrappers add synthetic location parts; keep the document's own.
        loc = _document_loc(err.get("loc", ()), data)
        kind = err.get("type", "")
        # pydantic's own text can quote the input (a union tag, an enum member): bounded too
        message = _PYDANTIC_MESSAGES.get(kind) or format_text(err.get("msg", "invalid value"))
        message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if kind not in ("missing",) and "input" in err and kind != "value_error":
            message += f" (got {format_value(err['input'])})"
        key = (format_path(loc, data), message)
        if key in seen:
            continue
        seen.add(key)
        issues.append(SpecIssue(file, key[0], message))
    return issues
