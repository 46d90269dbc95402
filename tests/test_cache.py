"""models/cache.py: arrays a service keeps between starts (the live twin's simulated meter year).

The live service with simulated devices drives its meters from a year of the energy model, which takes one to
two seconds to make and as much again to import; kept in the data directory, a restart reads it back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models.cache import cached_arrays, digest

ROOT = Path(__file__).resolve().parents[1]


def test_made_once_then_read_back_identical_and_in_order(tmp_path):
    """The arrays come back value for value and in the order they were made; make() runs once."""
    calls = []

    def make():
        calls.append(1)
        return {"b": np.arange(5.0) / 3, "a": np.linspace(0, 1, 5)}

    first = cached_arrays(tmp_path, "x", ["key"], [], make)
    again = cached_arrays(tmp_path, "x", ["key"], [], make)
    assert calls == [1]
    assert list(again) == ["b", "a"]
    for name in first:
        np.testing.assert_array_equal(again[name], first[name])


def test_a_changed_key_or_source_is_a_new_file(tmp_path):
    """A changed key part (another building) or a changed source file (another model) never reads the old file."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "model.py").write_text("RATE = 1\n")
    before = digest(["tower"], [src])
    assert digest(["podium"], [src]) != before
    (src / "model.py").write_text("RATE = 2\n")
    assert digest(["tower"], [src]) != before
    (src / "notes.txt").write_text("not a source")  # only source-like files count
    assert digest(["tower"], [src]) == digest(["tower"], [src / "model.py"])

    cache = tmp_path / "cache"
    cached_arrays(cache, "x", ["tower"], [src], lambda: {"m": np.ones(3)})
    out = cached_arrays(cache, "x", ["podium"], [src], lambda: {"m": np.zeros(3)})
    np.testing.assert_array_equal(out["m"], np.zeros(3))
    assert len(list(cache.glob("x-*.npz"))) == 2


def test_a_damaged_file_is_made_anew_and_an_unwritable_folder_is_skipped(tmp_path):
    """Bad input on disk: a truncated or foreign file is replaced, whole; a folder that cannot be made (a file is in
    the way) still returns the arrays."""
    cached_arrays(tmp_path, "x", ["k"], [], lambda: {"m": np.arange(4.0)})
    (path,) = tmp_path.glob("x-*.npz")
    whole = path.read_bytes()
    for damaged, factor in ((b"not an npz file", 2), (whole[: len(whole) // 2], 3)):  # foreign; cut short
        path.write_bytes(damaged)
        out = cached_arrays(tmp_path, "x", ["k"], [], lambda: {"m": np.arange(4.0) * factor})
        np.testing.assert_array_equal(out["m"], np.arange(4.0) * factor)
        with np.load(path) as stored:
            np.testing.assert_array_equal(stored["values"][0], np.arange(4.0) * factor)
    assert not list(tmp_path.glob("*.tmp"))

    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    out = cached_arrays(blocked / "cache", "x", ["k"], [], lambda: {"m": np.ones(2)})
    np.testing.assert_array_equal(out["m"], np.ones(2))
    assert cached_arrays(tmp_path, "empty", ["k"], [], dict) == {}
    assert cached_arrays(tmp_path, "empty", ["k"], [], lambda: pytest.fail("read back, not made again")) == {}


def test_live_meter_year_is_kept_in_the_data_directory(tmp_path):
    """The live service's meter profiles (api.live_cli.simulated_meter_profiles) with a data directory equal the
    energy model's year (models.energy.live_meters.live_meter_profiles) exactly, and a second process reads them
    back from DATA_DIR/cache/ without importing the energy model (no scipy.optimize, no pvlib)."""
    from api.live_cli import simulated_meter_profiles
    from models.energy.live_meters import live_meter_profiles
    from twin.loader import load_building

    tower = load_building("tower")
    kept = simulated_meter_profiles(tower, tmp_path)
    direct = live_meter_profiles(tower)
    assert list(kept) == list(direct)
    for meter in direct:
        np.testing.assert_array_equal(kept[meter], direct[meter])
    assert len(list((tmp_path / "cache").glob("live-meters-*.npz"))) == 1

    code = ("import sys; from pathlib import Path; from twin.loader import load_building; "
            "from api.live_cli import simulated_meter_profiles; "
            f"p = simulated_meter_profiles(load_building('tower'), Path({str(tmp_path)!r})); "
            "print(len(p), round(float(sum(v.sum() for v in p.values())), 6), "
            "'scipy.optimize' in sys.modules, 'pvlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    count, total, scipy_loaded, pvlib_loaded = out.stdout.split()
    assert int(count) == len(direct)
    assert float(total) == pytest.approx(round(float(sum(v.sum() for v in direct.values())), 6), abs=1e-6)
    assert (scipy_loaded, pvlib_loaded) == ("False", "False")
