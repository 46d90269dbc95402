"""Bad input gets a clear error, nothing else.

A building file is written by a person, and when it is wrong the only acceptable outcome is a
:class:`~twin.errors.SpecError` whose every line reads ``file: field path: message`` — never a
traceback, never a half-loaded building. Three kinds of test hold the loader to that:

* a gallery of broken files (``tests/data/broken/*.yaml``, one fault each, derived from
  ``tests/data/two_storey.yaml``) whose first line ``# expect: ...`` names the text the error must
  contain;
* the command line, ``twin validate FILE...`` (``python -m api validate``): exit status 2 and the
  error lines on stderr for a broken file, exit status 0 for a good one;
* property-based tests (hypothesis) that mutate the good file at random — delete keys, swap in
  values of the wrong type, break id references, duplicate, truncate, add unknown keys — or feed
  it raw garbage bytes, and accept only a loaded building or a well-formed SpecError.
"""

from __future__ import annotations

import copy
import math
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin.errors import SpecError
from twin.loader import check_building, load_building
from twin.spec import Building

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SAMPLE = DATA / "two_storey.yaml"
BROKEN = sorted((DATA / "broken").glob("*.yaml"))

# file: path: message — the file and the path hold no colon; the message may.
ERROR_LINE = re.compile(r"^[^:]+: [^:]+: .+$")

# Bounded and database-free, so a CI run neither takes long nor depends on earlier runs.
PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def expected_text(path: Path) -> str:
    """The ``# expect: TEXT`` a broken file declares on its first line."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: <text>'"
    return first.removeprefix("# expect: ").strip()


def assert_error_form(error: SpecError, file_name: str) -> None:
    """Every line of the error is ``file_name: path: message``."""
    text = str(error)
    assert text, "a SpecError must say something"
    for line in text.splitlines():
        assert ERROR_LINE.match(line), f"not 'file: path: message': {line!r}"
        assert line.startswith(f"{file_name}: "), f"does not name the file {file_name!r}: {line!r}"
    for issue in error.issues:
        assert issue.file == file_name
        assert ":" not in issue.path and "\n" not in issue.path, f"path must hold no ':' or newline: {issue.path!r}"
        assert "\n" not in issue.message, f"message must be one line: {issue.message!r}"


# --- the gallery of broken files -----------------------------------------------------------------


def test_sample_is_valid() -> None:
    building = load_building(SAMPLE)
    assert building.id == "two-storey"
    assert check_building(building) == []


def test_gallery_covers_a_dozen_faults() -> None:
    assert len(BROKEN) >= 14, [p.name for p in BROKEN]


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_file_is_rejected_with_file_path_and_value(path: Path) -> None:
    expected = expected_text(path)
    with pytest.raises(SpecError) as caught:
        load_building(path)
    assert_error_form(caught.value, path.name)
    assert expected in str(caught.value)


# --- the command line ------------------------------------------------------------------------------

needs_cli = pytest.mark.skipif(
    not (ROOT / "api" / "__main__.py").exists(),
    reason="api/__main__.py (`twin validate`) is not written yet",
)


def run_validate(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api", "validate", *map(str, files)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )


@needs_cli
def test_cli_validate_accepts_the_sample() -> None:
    result = run_validate(SAMPLE)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.fixture(scope="module")
def validate_all_broken() -> subprocess.CompletedProcess[str]:
    """One ``twin validate`` over the whole gallery (each start-up costs seconds)."""
    return run_validate(*BROKEN)


@needs_cli
@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_cli_validate_rejects_broken_file(path: Path, validate_all_broken: subprocess.CompletedProcess[str]) -> None:
    result = validate_all_broken
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"{path.name}: ")]
    assert lines, f"no error line for {path.name} in stderr:\n{result.stderr}"
    for line in lines:
        assert ERROR_LINE.match(line), line
    assert any(expected_text(path) in line for line in lines), "\n".join(lines)
    assert not any(line.startswith("OK") and path.name in line for line in result.stdout.splitlines())


@needs_cli
@pytest.mark.parametrize("name", ["unknown_door_space", "unclosed_bracket", "empty"])
def test_cli_validate_one_broken_file_exits_2(name: str) -> None:
    path = DATA / "broken" / f"{name}.yaml"
    result = run_validate(path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert expected_text(path) in result.stderr


@needs_cli
def test_cli_validate_many_files_fails_if_any_fails() -> None:
    broken = DATA / "broken" / "unknown_door_space.yaml"
    result = run_validate(SAMPLE, broken)
    assert result.returncode == 2
    assert "OK" in result.stdout
    assert expected_text(broken) in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


# --- property-based: mutated documents ---------------------------------------------------------------

BASE_DOC: dict = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
DocPath = tuple[Any, ...]


def _walk(node: Any, path: DocPath = ()) -> list[tuple[DocPath, Any]]:
    """Every (path, value) in a document, the root excluded."""
    found: list[tuple[DocPath, Any]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        found.append((path + (key,), child))
        found.extend(_walk(child, path + (key,)))
    return found


def _parent(doc: Any, path: DocPath) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


ids_in_base = sorted({v for p, v in _walk(BASE_DOC) if p[-1] == "id"})

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([-1.0, -0.0, 0.0, 1e308, -1e308, 5e-324, math.nan, math.inf, 1e300]),
    st.text(max_size=20),
    st.sampled_from(["", " ", "a: b", "x\ny", "F01-XX", "[", "{", "-", "~", "null", "yes", "1999-13-01"]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=12), st.sampled_from(["id", "floor", "width_m", "rect"])),
                        children, max_size=4),
    ),
    max_leaves=12,
)
extreme_numbers = st.sampled_from(
    [-1, 0, -0.5, 1e-300, 5e-324, 1e154, 1e300, 1e308, -1e308, math.inf, math.nan, 10**20]
)
unknown_ids = st.one_of(st.just("ZZ-404"), st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True))


def _differs(value: Any, replacement: Any) -> bool:
    return type(value) is not type(replacement) or value != replacement


MUTATIONS = ["delete", "replace", "extreme", "rename_ref", "duplicate", "insert_key", "truncate"]


@st.composite
def mutated_documents(draw: st.DrawFn) -> dict:
    """The good building with one to three random faults (or harmless changes) applied."""
    doc = copy.deepcopy(BASE_DOC)
    for _ in range(draw(st.integers(1, 3))):
        entries = _walk(doc)
        kind = draw(st.sampled_from(MUTATIONS))
        if kind == "delete" and entries:
            path, _ = draw(st.sampled_from(entries))
            parent = _parent(doc, path)
            del parent[path[-1]]
        elif kind == "replace" and entries:
            path, old = draw(st.sampled_from(entries))
            new = draw(values.filter(lambda v, old=old: _differs(old, v)))
            _parent(doc, path)[path[-1]] = new
        elif kind == "extreme":
            numbers = [(p, v) for p, v in entries if isinstance(v, (int, float)) and not isinstance(v, bool)]
            if numbers:
                path, _ = draw(st.sampled_from(numbers))
                _parent(doc, path)[path[-1]] = draw(extreme_numbers)
        elif kind == "rename_ref":
            refs = [(p, v) for p, v in entries if isinstance(v, str) and v in ids_in_base]
            if refs:
                path, _ = draw(st.sampled_from(refs))
                _parent(doc, path)[path[-1]] = draw(unknown_ids)
        elif kind == "duplicate":
            lists = [(p, v) for p, v in entries if isinstance(v, list) and v]
            if lists:
                path, items = draw(st.sampled_from(lists))
                items.insert(draw(st.integers(0, len(items))), copy.deepcopy(draw(st.sampled_from(items))))
        elif kind == "insert_key":
            maps = [((), doc)] + [(p, v) for p, v in entries if isinstance(v, dict)]
            _, target = draw(st.sampled_from(maps))
            key = draw(st.one_of(st.text(max_size=12), st.integers(-5, 5), st.sampled_from(["widht_m", "Id", "a: b"])))
            target[key] = draw(values)
        elif kind == "truncate":
            lists = [(p, v) for p, v in entries if isinstance(v, list)]
            if lists:
                path, items = draw(st.sampled_from(lists))
                del items[draw(st.integers(0, len(items))):]
    return doc


def load_text(content: str | bytes, name: str = "mutated.yaml") -> Building:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return load_building(path)


def assert_loads_or_rejects_cleanly(content: str | bytes) -> None:
    """A loaded building is fully usable; a rejected one gets a well-formed SpecError; nothing else."""
    try:
        building = load_text(content)
    except SpecError as error:
        assert_error_form(error, "mutated.yaml")
    else:
        assert check_building(building) == []


@PROPERTY_SETTINGS
@given(mutated_documents())
def test_mutated_document_loads_or_gets_a_clear_error(doc: dict) -> None:
    assert_loads_or_rejects_cleanly(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


# --- property-based: raw bytes -------------------------------------------------------------------------

SAMPLE_BYTES = SAMPLE.read_bytes()


@st.composite
def damaged_bytes(draw: st.DrawFn) -> bytes:
    """The good file truncated, spliced with garbage, or replaced by garbage outright."""
    kind = draw(st.sampled_from(["garbage", "truncate", "splice"]))
    if kind == "garbage":
        return draw(st.binary(max_size=300))
    if kind == "truncate":
        return SAMPLE_BYTES[: draw(st.integers(0, len(SAMPLE_BYTES)))]
    start = draw(st.integers(0, len(SAMPLE_BYTES)))
    end = draw(st.integers(start, min(len(SAMPLE_BYTES), start + 20)))
    yaml_bits = st.sampled_from([b":", b"[", b"{", b"  ", b"\t", b"- ", b"&a", b"*a", b"!!int ", b"'", b'"'])
    insert = draw(st.one_of(st.binary(max_size=8), yaml_bits))
    return SAMPLE_BYTES[:start] + insert + SAMPLE_BYTES[end:]


@PROPERTY_SETTINGS
@given(damaged_bytes())
def test_damaged_bytes_load_or_get_a_clear_error(content: bytes) -> None:
    assert_loads_or_rejects_cleanly(content)


@PROPERTY_SETTINGS
@given(st.text(max_size=300))
def test_random_text_loads_or_gets_a_clear_error(content: str) -> None:
    assert_loads_or_rejects_cleanly(content)


@pytest.mark.parametrize(
    "text",
    [
        "x: 2020-13-45\n",                   # a date-like scalar that is no date
        "x: !!int abc\n",                    # a tag PyYAML cannot convert
        "x: " + "9" * 5000 + "\n",           # more digits than Python converts
        "x: !!bool maybe\n",
        "a: ok\nb: \x07\n",                  # a control character
        "[" * 5000,                          # nesting deeper than the parser recurses
        "a: &a [*a]\n",                      # an alias that refers to itself
        "id: a\nid: b\n",                    # a key given twice
    ],
)
def test_hostile_yaml_gets_a_clear_error(text: str) -> None:
    with pytest.raises(SpecError) as caught:
        load_text(text)
    assert_error_form(caught.value, "mutated.yaml")
