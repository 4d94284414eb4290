// mdb_env_*: the environment entry points of the C ABI over aspen::Env (layer: abi). See handles.hpp.
//
// LMDB answers some calls on an environment that is not open yet (flags, path, fd, readers, user context) and
// crashes on the others; Aspen answers those others with EINVAL.
#include "abi/handles.hpp"

using namespace aspen;
using namespace aspen::abi;

namespace {

bool is_open(MDB_env* env) { return env && env_of(env)->is_open(); }

}  // namespace

ASPEN_ABI int mdb_env_create(MDB_env** env) {
  if (!env) return EINVAL;
  return guarded([&] {
    Env* created = new Env();
    created->native()->abi_handle = created;
    *env = handle_of(created);
    return MDB_SUCCESS;
  });
}

ASPEN_ABI int mdb_env_open(MDB_env* env, const char* path, unsigned int flags, mdb_mode_t mode) {
  if (!env || !path) return EINVAL;
  return guarded([&] { return env_of(env)->open(path, flags, mode).code(); });
}

ASPEN_ABI void mdb_env_close(MDB_env* env) {
  if (!env) return;
  guarded_void([&] { delete env_of(env); });
}

ASPEN_ABI int mdb_env_copy2(MDB_env* env, const char* path, unsigned int flags) {
  if (!is_open(env) || !path) return EINVAL;
  return guarded([&] { return env_of(env)->copy(path, flags).code(); });
}

ASPEN_ABI int mdb_env_copy(MDB_env* env, const char* path) { return mdb_env_copy2(env, path, 0); }

ASPEN_ABI int mdb_env_copyfd2(MDB_env* env, mdb_filehandle_t fd, unsigned int flags) {
  if (!is_open(env)) return EINVAL;
  return guarded([&] { return env_of(env)->copy_fd(fd, flags).code(); });
}

ASPEN_ABI int mdb_env_copyfd(MDB_env* env, mdb_filehandle_t fd) { return mdb_env_copyfd2(env, fd, 0); }

ASPEN_ABI int mdb_env_stat(MDB_env* env, MDB_stat* stat) {
  if (!is_open(env) || !stat) return EINVAL;
  return guarded([&] {
    Result<Stat> s = env_of(env)->stat();
    if (!s.ok()) return s.code();
    *stat = MDB_stat{s->page_size, s->depth, s->branch_pages, s->leaf_pages, s->overflow_pages, s->entries};
    return MDB_SUCCESS;
  });
}

ASPEN_ABI int mdb_env_info(MDB_env* env, MDB_envinfo* info) {
  if (!is_open(env) || !info) return EINVAL;
  return guarded([&] {
    Result<EnvInfo> i = env_of(env)->info();
    if (!i.ok()) return i.code();
    *info = MDB_envinfo{i->map_address, i->map_size, i->last_page, i->last_txnid, i->max_readers, i->num_readers};
    return MDB_SUCCESS;
  });
}

ASPEN_ABI int mdb_env_sync(MDB_env* env, int force) {
  if (!is_open(env)) return EINVAL;
  return guarded([&] { return env_of(env)->sync(force != 0).code(); });
}

ASPEN_ABI int mdb_env_set_flags(MDB_env* env, unsigned int flags, int onoff) {
  if (!env) return EINVAL;
  return guarded([&] { return env_of(env)->set_flags(flags, onoff != 0).code(); });
}

ASPEN_ABI int mdb_env_get_flags(MDB_env* env, unsigned int* flags) {
  if (!env || !flags) return EINVAL;
  *flags = env_of(env)->flags();
  return MDB_SUCCESS;
}

// Like LMDB, NULL until the environment is open.
ASPEN_ABI int mdb_env_get_path(MDB_env* env, const char** path) {
  if (!env || !path) return EINVAL;
  *path = env_of(env)->is_open() ? env_of(env)->path().c_str() : nullptr;
  return MDB_SUCCESS;
}

ASPEN_ABI int mdb_env_get_fd(MDB_env* env, mdb_filehandle_t* fd) {
  if (!env || !fd) return EINVAL;
  *fd = env_of(env)->is_open() ? env_of(env)->fd() : -1;
  return MDB_SUCCESS;
}

ASPEN_ABI int mdb_env_set_mapsize(MDB_env* env, size_t size) {
  if (!env) return EINVAL;
  return guarded([&] { return env_of(env)->set_map_size(size).code(); });
}

ASPEN_ABI int mdb_env_set_maxreaders(MDB_env* env, unsigned int readers) {
  if (!env) return EINVAL;
  return guarded([&] { return env_of(env)->set_max_readers(readers).code(); });
}

ASPEN_ABI int mdb_env_get_maxreaders(MDB_env* env, unsigned int* readers) {
  if (!env || !readers) return EINVAL;
  *readers = env_of(env)->max_readers();
  return MDB_SUCCESS;
}

ASPEN_ABI int mdb_env_set_maxdbs(MDB_env* env, MDB_dbi dbs) {
  if (!env) return EINVAL;
  return guarded([&] { return env_of(env)->set_max_dbs(dbs).code(); });
}

// LMDB answers its compile-time limit for any env, even NULL.
ASPEN_ABI int mdb_env_get_maxkeysize(MDB_env*) { return Env::max_key_size(); }

ASPEN_ABI int mdb_env_set_userctx(MDB_env* env, void* ctx) {
  if (!env) return EINVAL;
  env_of(env)->set_user_context(ctx);
  return MDB_SUCCESS;
}

ASPEN_ABI void* mdb_env_get_userctx(MDB_env* env) { return env ? env_of(env)->user_context() : nullptr; }

ASPEN_ABI int mdb_env_set_assert(MDB_env* env, MDB_assert_func* func) {
  if (!env) return EINVAL;
  env_of(env)->native()->assert_callback = reinterpret_cast<void*>(func);
  return MDB_SUCCESS;
}
