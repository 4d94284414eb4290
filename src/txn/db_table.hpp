// DbTable: the environment's table of database handles (MDB_dbi) (layer: txn).
//
// Slot 0 is FREE_DBI and slot 1 MAIN_DBI; named databases take slots from 2 up to max_dbs. A slot holds the
// name, the persistent flags and the key orders; `sequence` changes each time a slot is closed, so that a
// transaction can tell a handle reused for another database (MDB_BAD_DBI). Like LMDB's, the table is not
// locked: mdb_dbi_open and mdb_dbi_close must not run concurrently with each other (lmdb.h's rule).
#pragma once

#include <string>
#include <vector>

#include "format/constants.hpp"
#include "tree/compare.hpp"

namespace aspen::txn {

struct DbSlot {
  std::string name;
  bool open = false;
  uint16_t flags = 0;  // persistent flags (MDB_DUPSORT ...)
  tree::KeyCompare cmp;
  tree::KeyCompare dup_cmp;
  bool user_cmp = false;
  bool user_dup_cmp = false;
  unsigned sequence = 0;
};

class DbTable {
 public:
  explicit DbTable(unsigned max_dbs = format::kCoreDbs) : slots_(max_dbs), count_(format::kCoreDbs) {
    slots_[format::kFreeDbi].open = slots_[format::kMainDbi].open = true;
    slots_[format::kFreeDbi].cmp = tree::KeyCompare::integer();
  }

  unsigned max_dbs() const { return static_cast<unsigned>(slots_.size()); }
  // Slots in use or used before (LMDB's me_numdbs): handles below it may be valid.
  unsigned count() const { return count_; }
  // Stores only a change: commits call it every time, while read transactions of other threads read count().
  void set_count(unsigned n) {
    if (count_ != n) count_ = n;
  }
  DbSlot& slot(unsigned dbi) { return slots_[dbi]; }
  const DbSlot& slot(unsigned dbi) const { return slots_[dbi]; }

  // The slot holding `name`, or 0 when none does.
  unsigned find(const std::string& name, unsigned limit) const {
    for (unsigned i = format::kCoreDbs; i < limit && i < slots_.size(); ++i)
      if (slots_[i].open && slots_[i].name == name) return i;
    return 0;
  }
  // A free slot below `limit`, or 0.
  unsigned free_slot(unsigned limit) const {
    for (unsigned i = format::kCoreDbs; i < limit && i < slots_.size(); ++i)
      if (!slots_[i].open) return i;
    return 0;
  }
  void close(unsigned dbi) {
    if (dbi < format::kCoreDbs || dbi >= slots_.size() || !slots_[dbi].open) return;
    DbSlot& s = slots_[dbi];
    s.name.clear();
    s.open = false;
    s.flags = 0;
    s.user_cmp = s.user_dup_cmp = false;
    ++s.sequence;
  }

 private:
  std::vector<DbSlot> slots_;
  unsigned count_;
};

}  // namespace aspen::txn
