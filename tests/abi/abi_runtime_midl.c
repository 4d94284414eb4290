/* abi_runtime_midl: Aspen's mdb_midl_* / mdb_mid2l_* (exported because Debian's liblmdb exports them, declared
 * in LMDB's private midl.h) must behave exactly as Debian's. Loads both libraries into one process by path
 * (dlopen, RTLD_LOCAL) and runs the same seeded sequence of calls on each, comparing every result and list.
 *
 * usage: abi_runtime_midl ASPEN_LIB DEBIAN_LIB        exit 0 = identical behaviour */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef size_t Id;
typedef struct Id2 {
  Id mid;
  void *mptr;
} Id2;

typedef struct Midl {
  Id *(*alloc)(int);
  void (*free_)(Id *);
  void (*shrink)(Id **);
  int (*need)(Id **, unsigned);
  int (*append)(Id **, Id);
  int (*append_list)(Id **, Id *);
  int (*append_range)(Id **, Id, unsigned);
  void (*xmerge)(Id *, Id *);
  void (*sort)(Id *);
  unsigned (*search)(Id *, Id);
  unsigned (*search2)(Id2 *, Id);
  int (*insert2)(Id2 *, Id2 *);
  int (*append2)(Id2 *, Id2 *);
} Midl;

static int failures;

static void *must_sym(void *lib, const char *name) {
  void *p = dlsym(lib, name);
  if (!p) {
    fprintf(stderr, "abi_runtime_midl: %s missing: %s\n", name, dlerror());
    exit(1);
  }
  return p;
}

static Midl load(const char *path) {
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "abi_runtime_midl: cannot load %s: %s\n", path, dlerror());
    exit(1);
  }
  Midl m;
  *(void **)&m.alloc = must_sym(lib, "mdb_midl_alloc");
  *(void **)&m.free_ = must_sym(lib, "mdb_midl_free");
  *(void **)&m.shrink = must_sym(lib, "mdb_midl_shrink");
  *(void **)&m.need = must_sym(lib, "mdb_midl_need");
  *(void **)&m.append = must_sym(lib, "mdb_midl_append");
  *(void **)&m.append_list = must_sym(lib, "mdb_midl_append_list");
  *(void **)&m.append_range = must_sym(lib, "mdb_midl_append_range");
  *(void **)&m.xmerge = must_sym(lib, "mdb_midl_xmerge");
  *(void **)&m.sort = must_sym(lib, "mdb_midl_sort");
  *(void **)&m.search = must_sym(lib, "mdb_midl_search");
  *(void **)&m.search2 = must_sym(lib, "mdb_mid2l_search");
  *(void **)&m.insert2 = must_sym(lib, "mdb_mid2l_insert");
  *(void **)&m.append2 = must_sym(lib, "mdb_mid2l_append");
  /* Make sure these really are two different libraries. */
  void *ours_version = dlsym(lib, "mdb_version");
  if (!ours_version) exit(1);
  return m;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static void expect_same_list(const Id *a, const Id *b, const char *what) {
  if (a[0] != b[0] || memcmp(a, b, (a[0] + 1) * sizeof(Id)) != 0 || a[-1] != b[-1]) {
    fprintf(stderr, "abi_runtime_midl: FAILED: %s: lists differ (len %zu/%zu, capacity %zu/%zu)\n", what, a[0], b[0],
            a[-1], b[-1]);
    failures++;
  }
}

static void expect_same(long a, long b, const char *what) {
  if (a != b) {
    fprintf(stderr, "abi_runtime_midl: FAILED: %s: %ld vs %ld\n", what, a, b);
    failures++;
  }
}

static void test_idl(const Midl *x, const Midl *y) {
  Id *a = x->alloc(16), *b = y->alloc(16);
  expect_same_list(a, b, "alloc");
  for (int round = 0; round < 200; round++) {
    unsigned op = (unsigned)(rnd() % 5);
    if (op == 0) {
      Id id = rnd() % 100000;
      expect_same(x->append(&a, id), y->append(&b, id), "append");
    } else if (op == 1) {
      Id id = rnd() % 100000;
      unsigned n = (unsigned)(rnd() % 40);
      expect_same(x->append_range(&a, id, n), y->append_range(&b, id, n), "append_range");
    } else if (op == 2) {
      unsigned n = (unsigned)(rnd() % 300);
      expect_same(x->need(&a, n), y->need(&b, n), "need");
    } else if (op == 3) {
      Id app[8] = {5, rnd() % 1000, rnd() % 1000, rnd() % 1000, rnd() % 1000, rnd() % 1000, 0, 0};
      expect_same(x->append_list(&a, app), y->append_list(&b, app), "append_list");
    } else {
      x->sort(a);
      y->sort(b);
      for (int i = 0; i < 20; i++) {
        Id id = rnd() % 100000;
        expect_same(x->search(a, id), y->search(b, id), "search");
      }
    }
    expect_same_list(a, b, "after an operation");
    if (failures) break;
  }
  /* xmerge of two sorted lists, into room made with need(). */
  x->sort(a);
  y->sort(b);
  Id *m1 = x->alloc(64), *m2 = y->alloc(64);
  for (int i = 0; i < 50; i++) {
    Id id = rnd() % 200000;
    x->append(&m1, id);
    y->append(&m2, id);
  }
  x->sort(m1);
  y->sort(m2);
  expect_same(x->need(&a, (unsigned)m1[0]), y->need(&b, (unsigned)m2[0]), "need before xmerge");
  x->xmerge(a, m1);
  y->xmerge(b, m2);
  expect_same_list(a, b, "xmerge");
  /* A list grown past the default limit shrinks back. */
  for (int i = 0; i < 140000; i++) {
    x->append(&a, (Id)i);
    y->append(&b, (Id)i);
  }
  x->shrink(&a);
  y->shrink(&b);
  expect_same(a[-1], b[-1], "shrink capacity");
  x->free_(m1);
  y->free_(m2);
  x->free_(a);
  y->free_(b);
  x->free_(NULL);
}

static void test_id2l(const Midl *x, const Midl *y) {
  enum { kRoom = 4096 };
  Id2 *a = calloc(kRoom + 1, sizeof(Id2)), *b = calloc(kRoom + 1, sizeof(Id2));
  for (int i = 0; i < 3000; i++) {
    Id2 item = {rnd() % 5000, (void *)(uintptr_t)i};
    expect_same(x->insert2(a, &item), y->insert2(b, &item), "mid2l_insert");
    Id probe = rnd() % 5000;
    expect_same(x->search2(a, probe), y->search2(b, probe), "mid2l_search");
  }
  expect_same((long)a[0].mid, (long)b[0].mid, "mid2l count");
  if (memcmp(a, b, (a[0].mid + 1) * sizeof(Id2)) != 0) {
    fprintf(stderr, "abi_runtime_midl: FAILED: mid2l lists differ\n");
    failures++;
  }
  Id2 item = {999999, NULL};
  expect_same(x->append2(a, &item), y->append2(b, &item), "mid2l_append");
  free(a);
  free(b);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: abi_runtime_midl ASPEN_LIB DEBIAN_LIB\n");
    return 2;
  }
  Midl aspen = load(argv[1]), debian = load(argv[2]);
  if ((void *)aspen.alloc == (void *)debian.alloc) {
    fprintf(stderr, "abi_runtime_midl: both paths loaded the same library\n");
    return 1;
  }
  test_idl(&aspen, &debian);
  test_id2l(&aspen, &debian);
  printf("abi_runtime_midl: %s\n", failures ? "FAILED" : "mdb_midl_* and mdb_mid2l_* behave as Debian's");
  return failures ? 1 : 0;
}
