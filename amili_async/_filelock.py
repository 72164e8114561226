"""An exclusive, non-blocking lock on a file, released by the OS when its holder dies.

Used to give a journal one owner at a time. ``flock`` (POSIX) and
``msvcrt.locking`` (Windows) locks belong to an open file, so two opens of the
same file conflict even within one process, and the OS drops the lock the
moment the process ends, however it ends (``kill -9`` included): a crashed
job never leaves a stale lock behind. The lock file itself stays on disk,
holding the process id of its last holder for the error message.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["FileLock"]


class FileLock:
    """An exclusive lock on ``path`` (created if missing), taken without waiting."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lock if it is free; ``False`` when someone else holds it.

        Raises ``OSError`` when the lock file cannot be opened at all.
        """
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(fd)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        _note_holder(fd)
        return True

    def release(self) -> None:
        """Give the lock up (closing the file releases it even if unlocking fails)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _unlock(fd)
        except OSError:  # pragma: no cover - closing releases it anyway
            pass
        finally:
            os.close(fd)

    def holder(self) -> str | None:
        """The process id the lock file names (its last holder), if it can be read."""
        try:
            text = self.path.read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            return None
        return text if text.isdigit() else None


def _note_holder(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode())
    except OSError:  # pragma: no cover - the pid is only a courtesy
        pass


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
