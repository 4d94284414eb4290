// The subcommands of the `aspen` executable (layer: tools), one file each.
//
// Each takes the argv of its own command line: argv[0] is the name to print in messages ("mdb_stat" when
// invoked through that link, "aspen stat" otherwise). Each returns the process exit status: 0 on success,
// EXIT_FAILURE (1) on a failure or bad arguments, after printing the LMDB tool's message for it.
#pragma once

namespace aspen::tools {

int run_stat(int argc, char** argv);   // stat.cpp  (mdb_stat)
int run_dump(int argc, char** argv);   // dump.cpp  (mdb_dump)
int run_load(int argc, char** argv);   // load.cpp  (mdb_load)
int run_copy(int argc, char** argv);   // copy.cpp  (mdb_copy)
int run_drop(int argc, char** argv);   // drop.cpp  (mdb_drop)
int run_check(int argc, char** argv);  // check.cpp (the integrity checker)
int run_demo(int argc, char** argv);   // demo.cpp  (load, read back and check a million keys)
int run_bench(int argc, char** argv);  // bench.cpp (runs the aspen_bench program)
int run_shrink(int argc, char** argv); // shrink.cpp (compacts the data file in place)

}  // namespace aspen::tools
