"""Starting V8 (``py_mini_racer``) once per process for the function nodes, and giving back the
memory that loading its library leaves resident.

``libmini_racer.so`` is a 74 MB shared library linked with ``BIND_NOW`` and every symbol
exported: loading it makes the dynamic linker resolve about 80,000 relocations at once, which
reads its whole symbol tables (``.dynsym``, ``.dynstr``, ``.gnu.hash``, ``.rela.*``: about
18 MiB). Those pages are never used again (later ``dlsym`` lookups touch a few of them), but
they stay mapped and counted in the process's RSS. :func:`start_v8` initialises V8 and then
drops those pages from the process with ``madvise(MADV_DONTNEED)``: they are read-only,
unmodified file pages, so a later access maps them again from the file, and nothing else
changes. The relocated data (the RELRO and writable segments) and the code are left alone.
"""
from __future__ import annotations

import ctypes
import logging
import mmap
import os
import struct

from py_mini_racer import init_mini_racer

__all__ = ["start_v8", "linker_table_ranges", "release_linker_tables"]

logger = logging.getLogger(__name__)

LIBRARY = "libmini_racer.so"
LINKER_TABLES = frozenset((".dynsym", ".dynstr", ".gnu.hash", ".hash", ".gnu.version", ".gnu.version_r",
                           ".gnu.version_d", ".rela.dyn", ".rela.plt", ".rel.dyn", ".rel.plt"))
"""ELF sections only the dynamic linker reads, while it loads the library."""
MADV_DONTNEED = 4
_PT_LOAD, _PT_GNU_RELRO, _PF_W = 1, 0x6474E552, 2

_started = False


def start_v8() -> None:
    """Initialise V8 with mini-racer's flags (``--single-threaded``) unless it already is, the
    first time in the process, and release the linker's pages of its library
    (:func:`release_linker_tables`). Called before each new MiniRacer; only the first call
    does anything."""
    global _started
    if _started:
        return
    _started = True
    init_mini_racer(ignore_duplicate_init=True)
    released = release_linker_tables(LIBRARY)
    logger.debug("V8 started; %d KiB of %s's linker tables released", released // 1024, LIBRARY)


def linker_table_ranges(path: str) -> list[tuple[int, int]]:
    """``(start, end)`` virtual addresses, relative to the load base and page aligned inward, of
    the LINKER_TABLES sections of the ELF64 little-endian shared library at ``path`` that lie in
    a read-only loadable segment outside RELRO. ``[]`` for anything else (another format, no
    such sections). Raises OSError when the file cannot be read."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
            return []
        phoff, shoff = struct.unpack_from("<QQ", head, 0x20)
        phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from("<HHHHH", head, 0x36)
        f.seek(phoff)
        phdrs = [struct.unpack_from("<IIQQQQQQ", f.read(phentsize)) for _ in range(phnum)]
        f.seek(shoff)
        shdrs = [struct.unpack_from("<IIQQQQ", f.read(shentsize)) for _ in range(shnum)]
        f.seek(shdrs[shstrndx][4])
        names = f.read(shdrs[shstrndx][5])
    loads = [p for p in phdrs if p[0] == _PT_LOAD]
    if not loads or loads[0][2] != 0 or loads[0][3] != 0:  # the mapping at file offset 0 is the load base
        return []
    read_only = [(p[3], p[3] + p[6]) for p in loads if not p[1] & _PF_W]
    relro = [(p[3], p[3] + p[6]) for p in phdrs if p[0] == _PT_GNU_RELRO]
    page = mmap.PAGESIZE
    ranges = []
    for name_at, _type, _flags, addr, _offset, size in shdrs:
        name = names[name_at:names.index(b"\0", name_at)].decode()
        if name not in LINKER_TABLES or not size:
            continue
        end = addr + size
        if not any(lo <= addr and end <= hi for lo, hi in read_only) or any(addr < hi and lo < end for lo, hi in relro):
            continue
        start, stop = -(-addr // page) * page, end // page * page
        if stop > start:
            ranges.append((start, stop))
    return ranges


def release_linker_tables(library: str) -> int:
    """Drop the resident pages of the linker tables of the loaded ``library`` (a file name such
    as ``libmini_racer.so``, found in ``/proc/self/maps``) with ``madvise(MADV_DONTNEED)``.
    Returns the bytes released (0 where that is not possible: not Linux, library not loaded,
    not an ELF64 file); never raises."""
    try:
        base, path = _load_base(library)
        if path is None:
            return 0
        ranges = linker_table_ranges(path)
        libc = ctypes.CDLL(None, use_errno=True)
        madvise = libc.madvise
        madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
        released = 0
        for start, stop in ranges:
            if madvise(base + start, stop - start, MADV_DONTNEED) == 0:
                released += stop - start
        return released
    except (OSError, ValueError, AttributeError, struct.error) as exc:
        logger.debug("linker tables of %s not released: %s", library, exc)
        return 0


def _load_base(library: str) -> tuple[int, str | None]:
    """The load base of ``library`` (the start of its mapping at file offset 0) and its path."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            parts = line.split()
            if len(parts) >= 6 and os.path.basename(parts[5]) == library and int(parts[2], 16) == 0:
                return int(parts[0].split("-")[0], 16), parts[5]
    return 0, None
