"""The font Chinese labels are drawn in, by the 3D pictures (VTK) and the charts (matplotlib).

Neither library's own fonts have Chinese glyphs: without one from the system every Chinese label
comes out as boxes. ``tools/system-deps.sh`` installs WenQuanYi Micro Hei; :func:`cjk_font_file`
finds it (or any other font fontconfig lists for ``zh``) on disk.
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

__all__ = ["cjk_font_file"]


@functools.cache
def cjk_font_file() -> str | None:
    """A font file with Chinese glyphs that fontconfig lists for ``zh`` (WenQuanYi or Noto first), or
    None when the system has none."""
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True,
                                timeout=20).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return None
    found = sorted(line.split(":")[0].strip() for line in listed if line.strip())
    chosen = next((f for f in found if "wqy" in f.lower() or "noto" in f.lower()), found[0] if found else "")
    return chosen if chosen and Path(chosen).is_file() else None
