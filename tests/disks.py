"""Disks the kernel really refuses to write: a tiny tmpfs (full quickly, or read-only).

Mounting needs root (CI containers run as root); elsewhere the tests that need it are skipped.
"""

from __future__ import annotations

import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def tiny_disk(path: Path, *, size: str = "16k", read_only: bool = False):
    """``path`` becomes a tmpfs of ``size`` (or a read-only one) for the duration of the block."""
    mount = shutil.which("mount")
    if mount is None:
        pytest.skip("no mount command")
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size},mode=0700" + (",ro" if read_only else "")
    done = subprocess.run([mount, "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run([shutil.which("umount") or "umount", "-l", str(path)], check=False)  # noqa: S603


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
