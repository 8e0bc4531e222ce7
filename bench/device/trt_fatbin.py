#!/usr/bin/env python3
"""Survey and prune the GPU code inside TensorRT's shared libraries.

  trt_fatbin.py survey LIB...            per-architecture GPU code, in bytes
  trt_fatbin.py prune IN OUT [SM] [--only SECTION]...
                                         blank what an sm_SM GPU cannot use
                                         (only in the sections named, if any)
  trt_fatbin.py elfcheck LIB...          parses as ELF64, has .dynsym/.dynamic

GPU code sits in a library in two forms:
  * fatbin containers (magic 0xBA55ED50), usually in .nv_fatbin, each with
    one entry per target: a cubin (kind 2, machine code for one SM) or PTX
    (kind 1, compiled by the driver at load time for any newer SM);
  * bare cubins (ELF files, e_machine EM_CUDA=190) placed in .rodata and
    loaded by the library itself with cuModuleLoadData.
Pruning zeroes bytes in place: offsets and sizes stay, so the library is
still a valid ELF, and the zeros compress to almost nothing.  An entry is
blanked only when the same container still holds code the GPU can run:
  - a cubin for exactly sm_SM is kept, and then everything else goes;
  - without one, the PTX of the highest arch <= SM is kept (the driver JITs
    it), and everything else goes;
  - a container with neither holds nothing the GPU can run: all of it goes
    (headers stay, only the payloads are zeroed).
A bare cubin is blanked when it is for another SM.  It is only meant to make
the bundle for the H100/H200 machine small; real installs use the libraries
as shipped.  Only the standard library is used.
"""
import struct
import sys

FATBIN_MAGIC = 0xBA55ED50
EM_CUDA = 190
KIND = {1: "ptx", 2: "cubin", 4: "ltoir"}


def sections(data):
    """(name, type, offset, size) of every section of an ELF64 LE file."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not an ELF64 little-endian file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    hdrs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
            for i in range(shnum)]
    stroff = hdrs[shstrndx][4]
    out = []
    for h in hdrs:
        name = data[stroff + h[0]:data.index(b"\0", stroff + h[0])].decode()
        out.append((name, h[1], h[4], h[5]))
    return out


def cubin_arch(data, pos):
    """SM of a bare cubin at pos, from e_flags (old and new CUDA ABI)."""
    flags, = struct.unpack_from("<I", data, pos + 0x30)
    if data[pos + 8] >= 8:          # ELFABIVERSION_CUDA 8: new e_flags layout
        return (flags >> 8) & 0xFF
    return flags & 0xFF


def cubin_size(data, pos):
    shoff, = struct.unpack_from("<Q", data, pos + 0x28)
    phoff, = struct.unpack_from("<Q", data, pos + 0x20)
    shentsize, shnum = struct.unpack_from("<HH", data, pos + 0x3A)
    phentsize, phnum = struct.unpack_from("<HH", data, pos + 0x36)
    end = max(shoff + shentsize * shnum, phoff + phentsize * phnum)
    # section contents may lie past the header table
    for i in range(shnum):
        h = struct.unpack_from("<IIQQQQ", data, pos + shoff + i * shentsize)
        if h[1] != 8:  # SHT_NOBITS
            end = max(end, h[4] + h[5])
    return end


def containers(data, lo, hi):
    """Yield (pos, [entries]) for each fatbin container in data[lo:hi]."""
    pos = lo
    while True:
        pos = data.find(b"\x50\xed\x55\xba", pos, hi)
        if pos < 0 or pos + 16 > hi:
            return
        _m, ver, hdr, fat = struct.unpack_from("<IHHQ", data, pos)
        if ver != 1 or hdr != 16 or pos + hdr + fat > len(data):
            pos += 4
            continue
        entries, e, end = [], pos + hdr, pos + hdr + fat
        ok = True
        while e < end:
            kind, _u, ehdr, payload = struct.unpack_from("<HHIQ", data, e)
            if kind not in KIND or ehdr < 32 or e + ehdr + payload > end:
                ok = False
                break
            arch, = struct.unpack_from("<I", data, e + 28)
            entries.append((kind, arch, e + ehdr, payload))
            e += ehdr + payload
        if ok and entries:
            yield pos, entries
            pos = end
        else:
            pos += 4


def bare_cubins(data, lo, hi, skip):
    """Yield (pos, size, arch) for ELF cubins in data[lo:hi] outside skip."""
    pos = lo
    while True:
        pos = data.find(b"\x7fELF\x02\x01", pos, hi)
        if pos < 0:
            return
        if any(a <= pos < b for a, b in skip):
            pos += 4
            continue
        try:
            mach, = struct.unpack_from("<H", data, pos + 0x12)
            if mach != EM_CUDA:
                pos += 4
                continue
            size = cubin_size(data, pos)
        except struct.error:
            pos += 4
            continue
        if size <= 0 or pos + size > hi:
            pos += 4
            continue
        yield pos, size, cubin_arch(data, pos)
        pos += size


def scan(data, only=None):
    """Every piece of GPU code: (kind, arch, offset, size, container)."""
    pieces, spans = [], []
    for name, typ, off, size in sections(data):
        if only and name not in only:
            continue
        if typ == 8 or size == 0 or name in (".dynsym", ".dynstr", ".symtab",
                                            ".strtab", ".text", ".eh_frame"):
            continue
        for cpos, ents in containers(data, off, off + size):
            spans.append((cpos, ents[-1][2] + ents[-1][3]))
            for kind, arch, body, payload in ents:
                pieces.append((KIND[kind], arch, body, payload, cpos))
        for cpos, csize, arch in bare_cubins(data, off, off + size, spans):
            pieces.append(("bare-cubin", arch, cpos, csize, None))
    return pieces


def survey(path):
    data = open(path, "rb").read()
    pieces = scan(data)
    by = {}
    for kind, arch, off, size, _c in pieces:
        if data[off:off + size].count(0) == size:
            kind = "zeroed"                  # blanked by prune
        k = (kind, arch)
        n, s = by.get(k, (0, 0))
        by[k] = (n + 1, s + size)
    total = sum(s for (k, _a), (_n, s) in by.items() if k != "zeroed")
    print(f"{path}: {len(data)} bytes, live GPU code {total} bytes "
          f"in {len(pieces)} pieces")
    for (kind, arch), (n, s) in sorted(by.items()):
        print(f"  {kind:10s} sm_{arch:<4d} {n:7d} pieces {s:12d} bytes")
    return data, pieces


def prune(src, dst, keep, only=None):
    data = bytearray(open(src, "rb").read())
    pieces = scan(data, only)
    groups = {}
    for p in pieces:
        groups.setdefault(p[4] if p[4] is not None else ("bare", p[2]),
                          []).append(p)
    kept = blanked = 0
    for key, ps in groups.items():
        if isinstance(key, tuple):          # a bare cubin
            _k, arch, off, size, _c = ps[0]
            if arch == keep:
                kept += size
            else:
                data[off:off + size] = bytes(size)
                blanked += size
            continue
        cub = [p for p in ps if p[0] == "cubin" and p[1] == keep]
        ptx = sorted((p for p in ps if p[0] == "ptx" and p[1] <= keep),
                     key=lambda p: p[1])
        if cub:
            live = {cub[0][2]}
        elif ptx:
            live = {ptx[-1][2]}
        else:
            live = set()                    # nothing this GPU can run
        for _k, _a, off, size, _c in ps:
            if off in live:
                kept += size
            else:
                data[off:off + size] = bytes(size)
                blanked += size
    open(dst, "wb").write(data)
    where = ",".join(sorted(only)) if only else "all sections"
    print(f"{src}: sm_{keep} kept {kept} bytes, blanked {blanked} bytes "
          f"({where})")


def elfcheck(path):
    data = open(path, "rb").read()
    names = {s[0]: s for s in sections(data)}
    for need in (".dynsym", ".dynstr", ".dynamic"):
        if need not in names or names[need][3] == 0:
            raise SystemExit(f"{path}: no {need}")
    n = names[".dynsym"][3] // 24
    print(f"{path}: ELF64 ok, {len(names)} sections, {n} dynamic symbols")


def main(argv):
    if len(argv) >= 2 and argv[0] == "survey":
        for p in argv[1:]:
            survey(p)
    elif len(argv) >= 3 and argv[0] == "prune":
        args, only = argv[1:], set()
        while "--only" in args:
            i = args.index("--only")
            only.add(args[i + 1])
            del args[i:i + 2]
        prune(args[0], args[1], int(args[2]) if len(args) > 2 else 90, only)
    elif len(argv) >= 2 and argv[0] == "elfcheck":
        for p in argv[1:]:
            elfcheck(p)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
