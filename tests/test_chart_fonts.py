"""Chinese labels on the report's charts are drawn in a Chinese font, even when that font was
installed after matplotlib first listed the system's fonts.

matplotlib lists the fonts once and keeps the list (``$MPLCONFIGDIR`` or ``~/.cache/matplotlib``).
On a fresh machine the first install may import matplotlib before ``tools/system-deps.sh`` installs
WenQuanYi Micro Hei; every Chinese chart label then came out as boxes ("Glyph … missing from
font(s) DejaVu Sans"), in the report a safety officer signs. ``viewer.charts`` now looks for a CJK
font on disk when the list has none.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ensure_debian_package
from viewer.fonts import cjk_font_file

ROOT = Path(__file__).resolve().parents[1]

_DRAW = """
import warnings
warnings.simplefilter("error")  # a missing glyph is a UserWarning: make it fail the drawing
from viewer.charts import _font_families, figure_to_svg, new_figure
fig, axes = new_figure()
axes[0, 0].plot([0, 1], [0, 1])
axes[0, 0].set_title("疏散时间（秒）")
svg = figure_to_svg(fig)
print(_font_families()[-1])
"""


def test_chinese_chart_labels_get_a_cjk_font_installed_after_matplotlib_listed_the_fonts(tmp_path):
    ensure_debian_package("fonts-wqy-microhei", cjk_font_file.__wrapped__)  # not its cached answer
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    # matplotlib's font list, then made as it was before the CJK font came: without it.
    subprocess.run([sys.executable, "-c", "from matplotlib import font_manager"], env=env, check=True, timeout=300)
    (cache,) = tmp_path.glob("fontlist-*.json")
    fonts = json.loads(cache.read_text(encoding="utf-8"))
    before = len(fonts["ttflist"])
    fonts["ttflist"] = [f for f in fonts["ttflist"] if not any(
        part in f["fname"].lower() for part in ("wqy", "notosanscjk", "sourcehansans"))]
    assert len(fonts["ttflist"]) < before, "no CJK font in matplotlib's list to take out"
    cache.write_text(json.dumps(fonts), encoding="utf-8")
    drawn = subprocess.run([sys.executable, "-c", _DRAW], env=env, capture_output=True, text=True, timeout=300,
                           cwd=ROOT)
    assert drawn.returncode == 0, drawn.stderr[-2000:]
    assert drawn.stdout.strip() in ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC"), drawn.stdout
