// The layout of lock.mdb, LMDB 0.9's reader table (MDB_txninfo) on x86-64 Linux (layer: format).
// See docs/FORMAT.md "Lock file" and docs/LOCKING.md.
//
// OFFSET SIZE MEANING
//      0    4 magic = 0xBEEFC0DE
//      4    4 format = 0x00010001 (lock version 1, pid locks)
//      8   40 reader mutex (process-shared robust pthread_mutex_t)
//     48    8 txnid: the last committed transaction (a cache of the newest meta)
//     56    4 num_readers: high-water mark of used reader slots, never decremented
//     64   40 writer mutex (process-shared robust pthread_mutex_t)
//    104    8 (beyond LMDB) commit_txnid: the commit that commit_pages describes, 0 while it is rewritten
//    112    8 (beyond LMDB) commit_pages: pages that commit wrote (an Aspen writer's note; LMDB leaves it)
//    120    8 unused, padding to 128
//    128    - reader slots, 64 bytes each: txnid @0 (~0 when idle), pid @8 (4 bytes, pid_t), tid @16,
//             and (beyond LMDB) Aspen's reader record @24 in the 40 bytes LMDB never reads or writes
// File size = 128 + 64 * max_readers (8192 for the default 126 readers).
#pragma once

#include <cstddef>
#include <cstdint>

namespace aspen::format {

inline constexpr size_t kCacheLine = 64;
inline constexpr size_t kPthreadMutexSize = 40;

struct LockHeader {
  uint32_t magic;
  uint32_t format;
  alignas(8) unsigned char reader_mutex[kPthreadMutexSize];
  uint64_t txnid;
  uint32_t num_readers;
  uint32_t unused0;
  alignas(kCacheLine) unsigned char writer_mutex[kPthreadMutexSize];
  // Beyond LMDB, in the padding of the writer's cache line that LMDB never reads or writes: the size of the
  // last commit made by an Aspen writer. It describes the last commit only while commit_txnid equals txnid
  // (a liblmdb writer commits without touching it).
  uint64_t commit_txnid;
  uint64_t commit_pages;
  uint64_t unused1;
};

// Beyond LMDB: Aspen's record of a reader, in the padding of its slot (LMDB 0.9 pads MDB_reader to a cache line
// and never reads or writes those bytes, nor clears them when it claims a slot). Written only by the Aspen
// process that owns the slot; read by writers to learn the reader's age and lease (env/reader_table.hpp).
// OFFSET (in the slot) SIZE MEANING
//     24    4 magic = kReaderRecordMagic while the record is meaningful (cleared when Aspen claims/frees the slot)
//     28    4 seq: even when stable, odd while the owner rewrites the record (a seqlock)
//     32    8 txnid: the snapshot the record describes; it is about the current pin only while it equals the
//             slot's txnid
//     40    8 pinned_at: os::monotonic_ms() when that snapshot was pinned
//     48    4 max_age_ms: the reader's lease, 0 = no age limit
//     52    4 max_lag: the reader's lease in transactions (last committed - txnid), 0 = no lag limit
//     56    8 reserved, 0
struct ReaderRecord {
  uint32_t magic;
  uint32_t seq;
  uint64_t txnid;
  uint64_t pinned_at;
  uint32_t max_age_ms;
  uint32_t max_lag;
  uint64_t reserved;
};
inline constexpr uint32_t kReaderRecordMagic = 0x4C505341;  // "ASPL"

struct ReaderSlot {
  uint64_t txnid;     // snapshot in use, ~0 when the slot holds no transaction
  uint32_t pid;       // owning process (pid_t), 0 when the slot is free
  uint32_t pid_pad;   // never written by LMDB: not part of the pid
  uint64_t tid;       // owning thread (pthread_t)
  ReaderRecord record;  // Aspen only; LMDB's padding
};
static_assert(offsetof(ReaderSlot, record) == 24);

inline constexpr uint64_t kIdleReader = ~uint64_t{0};
inline constexpr size_t kLockHeaderSize = 128;
static_assert(sizeof(LockHeader) == kLockHeaderSize);
static_assert(offsetof(LockHeader, reader_mutex) == 8);
static_assert(offsetof(LockHeader, txnid) == 48);
static_assert(offsetof(LockHeader, num_readers) == 56);
static_assert(offsetof(LockHeader, writer_mutex) == 64);
static_assert(offsetof(LockHeader, commit_txnid) == 104);
static_assert(offsetof(LockHeader, commit_pages) == 112);
static_assert(sizeof(ReaderSlot) == kCacheLine);

// LMDB sizes the file as sizeof(MDB_txninfo) + (maxreaders - 1) * sizeof(MDB_reader), where MDB_txninfo
// already holds one reader: 128 + 64 * maxreaders.
constexpr size_t lock_file_size(unsigned max_readers) { return kLockHeaderSize + kCacheLine * size_t{max_readers}; }
static_assert(lock_file_size(126) == 8192);

}  // namespace aspen::format
