#!/usr/bin/python3
"""make_lmdb_db.py KIND DIR: writes one of the tool tests' databases with the real liblmdb (python3-lmdb).

The same KINDs, record for record, as aspen_make_testdb.cpp writes with Aspen. python3-lmdb cannot set flags on
the main database, so the 'intmain' kind's INTEGERKEY main database is loaded with Debian's mdb_load instead.
"""
import struct
import subprocess
import sys

import lmdb

MAP_SIZE = 10 << 20


def key_of(i):
    return b'key%05d' % i


def value_of(i):
    return bytes((i * 7 + j) % 256 for j in range(i % 50))


def make_plain(env):
    with env.begin(write=True) as t:
        for i in range(500):
            t.put(key_of(i), value_of(i))


def make_named(env):
    one, two = env.open_db(b'one'), env.open_db(b'two')
    env.open_db(b'three')
    with env.begin(write=True) as t:
        t.put(b'a-plain-key', b'not a database')
        for i in range(100):
            t.put(key_of(i), value_of(i), db=one)
        for i in range(49):
            t.put(value_of(i + 1), key_of(i), db=two)


def make_intmain(env, path):
    # An INTEGERKEY main database goes through mdb_load, which may set flags on the main database.
    lines = ['VERSION=3', 'format=bytevalue', 'type=btree', 'mapsize=%d' % MAP_SIZE, 'integerkey=1',
             'HEADER=END']
    for k in sorted({i * 1000003 % 7919 for i in range(300)}):
        lines += [' ' + struct.pack('=Q', k).hex(), ' 76']
    lines.append('DATA=END')
    env.close()
    subprocess.run(['/usr/bin/mdb_load', path], input=('\n'.join(lines) + '\n').encode(), check=True)
    return lmdb.open(path, map_size=MAP_SIZE, max_dbs=8)


def make_integer(env):
    ints = env.open_db(b'ints', integerkey=True)
    rev = env.open_db(b'rev', reverse_key=True)
    with env.begin(write=True) as t:
        for i in range(400):
            t.put(struct.pack('=I', i * 3), b'v%d' % i, db=ints)
        for i in range(200):
            t.put(b'%d-r' % i, b'x', db=rev)


def make_overflow(env):
    with env.begin(write=True) as t:
        for i in range(20):
            t.put(key_of(i), bytes([ord('a') + i]) * (3000 + i * 1000))


def make_freelist(env):
    for step in range(4):
        with env.begin(write=True) as t:
            if step == 0:
                for i in range(2000):
                    t.put(key_of(i), b'f' * 100)
            elif step == 1:
                for i in range(1000):
                    t.delete(key_of(i))
            else:
                t.put(key_of(5000 + step), b'x')


def make_dupsort(env):
    dups = env.open_db(b'dups', dupsort=True)
    fixed = env.open_db(b'fixed', dupsort=True, dupfixed=True, integerdup=True)
    with env.begin(write=True) as t:
        for k in range(30):
            for j in range(k * 13 % 300):
                t.put(b'k%02d' % k, b'dup%05d' % j, db=dups)
            for j in range(k * 40):
                t.put(struct.pack('=I', k), struct.pack('=I', j * 3), db=fixed)


def main():
    kind, path = sys.argv[1], sys.argv[2]
    env = lmdb.open(path, map_size=MAP_SIZE, max_dbs=8)
    if kind == 'intmain':
        env = make_intmain(env, path)
    elif kind != 'empty':
        {'plain': make_plain, 'named': make_named, 'integer': make_integer, 'overflow': make_overflow,
         'freelist': make_freelist, 'dupsort': make_dupsort}[kind](env)
    env.close()


if __name__ == '__main__':
    main()
