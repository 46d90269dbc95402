"""Files only their owner may read.

The twin keeps secrets on disk: the API's token hashes, the live history of what the building's
devices said, the embedded broker's passwords. Each is created readable by its owner only
(0600), in folders only the owner may enter (0700), whatever the process's umask; a file or
folder found with looser modes is tightened, with a log line. A SQLite database is made private
*before* SQLite opens it: SQLite creates the ``-wal`` and ``-shm`` files with the database file's
mode, so they are private too.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

__all__ = ["private_dir", "private_file", "private_database", "write_private"]

log = logging.getLogger(__name__)


def _tighten(path: Path, mode: int, what: str, level: int = logging.WARNING) -> None:
    try:
        current = stat.S_IMODE(path.stat().st_mode)
        if current & ~mode:
            os.chmod(path, current & mode)
            log.log(level, "%s %s was open to other users (mode %04o); it is now %04o", what, path, current,
                    current & mode)
    except FileNotFoundError:
        pass
    except PermissionError:
        log.warning("%s %s: cannot make it private (mode %04o): not its owner", what, path, mode)


def private_dir(path: Path) -> Path:
    """Make ``path`` a folder only its owner may enter (mode 0700), making missing parents."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)  # the umask may only take bits away
    # Often just made by a plain mkdir (0755); its files are private anyway, so no warning.
    _tighten(path, 0o700, "data folder", logging.INFO)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 unless it exists; an existing one is tightened to 0600."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        _tighten(path, 0o600, "file")
    return path


def private_database(path: Path) -> Path:
    """:func:`private_file` for a SQLite database, and its ``-wal`` and ``-shm`` files if present."""
    private_file(path)
    for suffix in ("-wal", "-shm"):
        _tighten(path.with_name(path.name + suffix), 0o600, "file")
    return path


def write_private(path: Path, text: str) -> None:
    """Write a text file that only its owner may read (created 0600, never wider for a moment)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o600)  # an existing file keeps its mode through O_TRUNC
