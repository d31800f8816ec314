"""The /tmp files a flow touches, saved before the first runtime runs it and put back before the
second: a flow that writes, deletes or watches files then starts from the same state on both."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

__all__ = ["tmp_paths", "snapshot", "restore"]

TMP_PATH = re.compile(r"/tmp/[\w.\-/]+")


def tmp_paths(flows: list[dict]) -> list[Path]:
    """Every ``/tmp/...`` path written anywhere in the flow (file names, watched folders)."""
    return sorted({Path(m.rstrip("/.")) for m in TMP_PATH.findall(json.dumps(flows))})


def snapshot(paths: list[Path]) -> dict[Path, object]:
    """Each path → None (absent), bytes (a file) or {name: bytes} (a folder's files)."""
    out: dict[Path, object] = {}
    for p in paths:
        if p.is_file():
            out[p] = p.read_bytes()
        elif p.is_dir():
            out[p] = {c.name: c.read_bytes() for c in p.iterdir() if c.is_file()}
        else:
            out[p] = None
    return out


def restore(saved: dict[Path, object]) -> None:
    """Put every path back as ``snapshot`` saw it."""
    for p in sorted(saved, key=lambda p: len(str(p)), reverse=True):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        elif p.exists() or p.is_symlink():
            p.unlink()
    for p in sorted(saved, key=lambda p: len(str(p))):
        state = saved[p]
        if isinstance(state, bytes):
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(state)
        elif isinstance(state, dict):
            p.mkdir(parents=True, exist_ok=True)
            for name, data in state.items():
                (p / name).write_bytes(data)
