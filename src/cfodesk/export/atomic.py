"""Write a report folder whole or not at all.

Everything goes into a hidden sibling folder (same file system, so the final rename is atomic);
:meth:`StagingFolder.commit` moves it into place. On an error or a cancel the staging folder is
removed and the destination is left exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from types import TracebackType

from ..errors import OutputError

__all__ = ["StagingFolder", "check_destination", "atomic_write_bytes", "atomic_write_text"]


def check_destination(out_dir: str | Path, *, overwrite: bool) -> Path:
    """Give the resolved destination, refusing an existing non-empty folder unless overwriting."""
    out = Path(out_dir).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise OutputError(
            f"'{out}' exists and is a file, not a folder", hint="Choose another --out"
        )
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise OutputError(
            f"The output folder '{out}' already exists and is not empty",
            hint="Choose a new folder or add --overwrite to replace it",
        )
    if not out.parent.exists():
        raise OutputError(
            f"The folder '{out.parent}' does not exist", hint="Create it or choose another --out"
        )
    if not os.access(out.parent, os.W_OK):
        raise OutputError(f"CFO Desk cannot write in '{out.parent}'", hint="Choose another --out")
    return out


class StagingFolder:
    """A temporary folder beside ``out_dir`` that becomes ``out_dir`` on :meth:`commit`."""

    def __init__(self, out_dir: str | Path, *, overwrite: bool = False) -> None:
        self.destination = check_destination(out_dir, overwrite=overwrite)
        self.overwrite = overwrite
        token = uuid.uuid4().hex[:8]
        self.path = self.destination.parent / f".{self.destination.name}.partial-{token}"
        self.path.mkdir()
        self.committed = False

    def commit(self) -> Path:
        """Move the finished folder into place; give its final path."""
        dest = self.destination
        backup: Path | None = None
        if dest.exists():
            if any(dest.iterdir()) and not self.overwrite:
                raise OutputError(f"The output folder '{dest}' appeared while the report was made")
            backup = dest.parent / f".{dest.name}.old-{uuid.uuid4().hex[:8]}"
            dest.rename(backup)
        try:
            self.path.rename(dest)
        except OSError:
            if backup is not None:
                backup.rename(dest)
            raise
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
        self.committed = True
        return dest

    def discard(self) -> None:
        """Remove the staging folder and everything in it."""
        if not self.committed:
            shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> StagingFolder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.committed:
            self.discard()


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write a file under a temporary name, then rename it into place; give its path."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write text atomically (see :func:`atomic_write_bytes`); give its path."""
    return atomic_write_bytes(path, text.encode(encoding))
