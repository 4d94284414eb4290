#!/usr/bin/env python3
"""Independent reader of an LMDB 0.9 data.mdb (64-bit little-endian), written from docs/FORMAT.md.

It exists to check FORMAT.md against files written by the real liblmdb: it picks the newest
meta, walks every tree (MAIN, named DBs, DUPSORT sub-DBs, overflow runs) and the FREE_DBI
records, and verifies the invariant "every page 2..last_pg is reachable exactly once, by a tree
or by a freelist record" (FORMAT.md, rule R9).

    lmdb_walk.py DATA_FILE [-v]     exit status 0 if the invariant holds, 1 otherwise

Only the Python standard library is used. It trusts the file (no bounds checks): it is a
documentation tool, not a checker for hostile input.
"""
import os
import struct
import sys

PAGE_HDR = 16            # PAGEHDRSZ
NODE_HDR = 8             # NODESIZE
P_INVALID = 2**64 - 1
P_BRANCH, P_LEAF, P_OVERFLOW, P_META, P_LEAF2 = 0x01, 0x02, 0x04, 0x08, 0x20
F_BIGDATA, F_SUBDATA, F_DUPDATA = 0x01, 0x02, 0x04


def db_record(buf, off):
    """MDB_db: pad u32, flags u16, depth u16, branch, leaf, overflow, entries, root (u64 each)."""
    names = ("pad", "flags", "depth", "branch", "leaf", "overflow", "entries", "root")
    return dict(zip(names, struct.unpack_from("<IHHQQQQQ", buf, off)))


class DataFile:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.buf = f.read()
        # Page 0's FREE_DBI record holds the page size (mm_psize = mm_dbs[0].md_pad).
        self.psize = struct.unpack_from("<I", self.buf, PAGE_HDR + 24)[0]

    def meta(self, n):
        o = n * self.psize + PAGE_HDR
        magic, version, addr, mapsize = struct.unpack_from("<IIQQ", self.buf, o)
        last_pg, txnid = struct.unpack_from("<QQ", self.buf, o + 120)
        return dict(magic=magic, version=version, address=addr, mapsize=mapsize,
                    free=db_record(self.buf, o + 24), main=db_record(self.buf, o + 72),
                    last_pg=last_pg, txnid=txnid)

    def newest_meta(self):
        m0, m1 = self.meta(0), self.meta(1)
        return m1 if m1["txnid"] > m0["txnid"] else m0   # ties go to page 0, as in LMDB

    def header(self, pgno):
        o = pgno * self.psize
        return struct.unpack_from("<QHHHH", self.buf, o)  # pgno, pad, flags, lower, upper

    def nodes(self, pgno):
        """Yield (offset_in_file, lo, hi, flags, ksize) of each node, in key order."""
        base = pgno * self.psize
        _, _, _, lower, _ = self.header(pgno)
        for i in range((lower - PAGE_HDR) // 2):
            ptr = struct.unpack_from("<H", self.buf, base + PAGE_HDR + 2 * i)[0]
            yield (base + ptr,) + struct.unpack_from("<HHHH", self.buf, base + ptr)


def walk_tree(f, root, owner, seen):
    """Record every page of the tree rooted at `root` (and its overflow runs and sub-DBs)."""
    if root == P_INVALID:
        return
    stack = [root]
    while stack:
        pgno = stack.pop()
        seen.setdefault(pgno, []).append(owner)
        flags = f.header(pgno)[2]
        if flags & P_BRANCH:
            for _, lo, hi, fl, _ in f.nodes(pgno):
                stack.append(lo | hi << 16 | fl << 32)      # 48-bit child page number
        elif flags & P_LEAF and not flags & P_LEAF2:
            for off, lo, hi, fl, ks in f.nodes(pgno):
                data = off + NODE_HDR + ks
                if fl & F_BIGDATA:
                    first = struct.unpack_from("<Q", f.buf, data)[0]
                    count = struct.unpack_from("<I", f.buf, first * f.psize + 12)[0]  # mp_pages
                    for p in range(first, first + count):
                        seen.setdefault(p, []).append(owner + ":overflow")
                elif fl & F_SUBDATA:                     # named DB or DUPSORT sub-DB
                    key = f.buf[off + NODE_HDR:data].decode("latin-1")
                    sub = owner + ("/" + key if not fl & F_DUPDATA else "[" + key + "]")
                    walk_tree(f, db_record(f.buf, data)["root"], sub, seen)
                # F_DUPDATA alone: an inline sub-page, no pages of its own


def leaf_records(f, root):
    """Yield (key bytes, data bytes) of every leaf node of a plain B+tree (used for FREE_DBI)."""
    if root == P_INVALID:
        return
    stack = [root]
    while stack:
        pgno = stack.pop()
        if f.header(pgno)[2] & P_BRANCH:
            stack.extend(lo | hi << 16 | fl << 32 for _, lo, hi, fl, _ in f.nodes(pgno))
            continue
        for off, lo, hi, fl, ks in f.nodes(pgno):
            key, size, data = f.buf[off + NODE_HDR:off + NODE_HDR + ks], lo | hi << 16, off + NODE_HDR + ks
            if fl & F_BIGDATA:
                data = struct.unpack_from("<Q", f.buf, data)[0] * f.psize + PAGE_HDR
            yield key, f.buf[data:data + size]


def freelist(f, meta):
    """FREE_DBI records as (txnid, [page numbers]); the IDL is count, then ids (descending)."""
    out = []
    for key, data in leaf_records(f, meta["free"]["root"]):
        count = struct.unpack_from("<Q", data, 0)[0]
        out.append((struct.unpack("<Q", key)[0], list(struct.unpack_from("<%dQ" % count, data, 8))))
    return sorted(out)


def check(path, verbose=False):
    f = DataFile(path)
    meta = f.newest_meta()
    seen = {}
    walk_tree(f, meta["main"]["root"], "main", seen)
    walk_tree(f, meta["free"]["root"], "freedb", seen)
    records = freelist(f, meta)
    for txnid, ids in records:
        if ids != sorted(ids, reverse=True):
            print("freelist record %d is not in descending order" % txnid)
        for p in ids:
            seen.setdefault(p, []).append("free(txn %d)" % txnid)
    twice = {p: o for p, o in seen.items() if len(o) > 1}
    lost = [p for p in range(2, meta["last_pg"] + 1) if p not in seen]
    beyond = [p for p in seen if p < 2 or p > meta["last_pg"]]
    print("%s: psize %d, meta page %d txnid %d, last_pg %d, file %d pages" % (
        path, f.psize, meta["txnid"] & 1, meta["txnid"], meta["last_pg"], os.path.getsize(path) // f.psize))
    for txnid, ids in records:
        print("  FREE_DBI record txnid %d: %d page(s) %s" % (txnid, len(ids), ids if len(ids) <= 12 else ids[:6] + ["..."] + ids[-3:]))
    if verbose:
        for p in sorted(seen):
            print("  page %d: %s" % (p, ", ".join(seen[p])))
    ok = not twice and not lost and not beyond
    print("  every page 2..%d reachable exactly once: %s" % (meta["last_pg"], "yes" if ok else
          "NO (twice %s, unreachable %s, out of range %s)" % (twice, lost, beyond)))
    return ok


if __name__ == "__main__":
    sys.exit(0 if check(sys.argv[1], "-v" in sys.argv[2:]) else 1)
