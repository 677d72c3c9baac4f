"""The run lock: one sync per ledger at a time, released by the OS when the process dies."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from connector.errors import ConfigError, LockHeldError


@contextmanager
def run_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive flock on `lock_path`; raise LockHeldError naming the holder's pid if taken."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ConfigError(f"{lock_path}: cannot open the lock file: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise LockHeldError(f"another run holds the lock on {lock_path} (pid {holder})") from None
        # The pid is only for the message above; the lock itself is the flock, not the file content.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
