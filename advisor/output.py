"""Write reports atomically: a failed run never leaves a half-written file behind."""

from __future__ import annotations

import os
import signal
import stat
import tempfile
from pathlib import Path

from advisor.signals import CAUGHT


def _mode_for(path: Path) -> int:
    """The permissions the report gets: those of the file it replaces, else the umask's default.

    A temporary file is created 0600; without this a report would be unreadable to the team.
    """
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename it into place.

    A signal (which `advisor.signals` turns into an exception) or an error at any point
    removes the temporary file: the caught signals are held back from creating the file
    until the cleanup handler is in place, so no `.name.XXXX` file is ever left behind.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    held = signal.pthread_sigmask(signal.SIG_BLOCK, CAUGHT)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        raise
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a held signal arrives here, inside the cleanup
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
