/* The runnable part of the ABI suite: checks, at run time, what a compile-time assertion cannot see in C
 * (the text of the version string) and repeats the layout facts through a second route (offsetof at run
 * time). It includes Aspen's include/lmdb.h and links no library: this is a header test. Exit 0 = pass. */
#include <lmdb.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "abi_expected.h"

static int failures;

static void expect(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "abi_runtime: FAILED: %s\n", what);
    failures++;
  }
}

int main(void) {
  const char *version = MDB_VERSION_STRING;
  expect(strncmp(version, ABI_VERSION_PREFIX, strlen(ABI_VERSION_PREFIX)) == 0, "version prefix LMDB 0.9.");
  expect(strstr(version, "Aspen") != NULL, "version string names Aspen");
  expect(strstr(version, MDB_VERSION_DATE) != NULL, "version string holds the date");
#define ABI_RUN_CONSTANT(name, value) expect((long long)(name) == (long long)(value), #name);
  ABI_CONSTANTS(ABI_RUN_CONSTANT)
#define ABI_RUN_LAYOUT(type, member_type, member, offset, size)                                   \
  expect(offsetof(type, member) == (offset), #type "." #member " offset");                         \
  expect(sizeof(((type *)0)->member) == (size), #type "." #member " size");
  ABI_LAYOUT(ABI_RUN_LAYOUT)
#define ABI_RUN_SIZE(type, size, align) expect(sizeof(type) == (size), "sizeof " #type);
  ABI_SIZES(ABI_RUN_SIZE)
  if (failures == 0)
    printf("abi_runtime: %s: all checks passed\n", version);
  return failures == 0 ? 0 : 1;
}
