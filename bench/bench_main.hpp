// The benchmark's entry point, callable from the standalone aspen_bench program and from the `aspen bench`
// subcommand (bench).
//
//   int aspen::bench::run_bench(int argc, char** argv)
//
// argv[0] is the program name used in messages ("aspen_bench", "aspen bench"); the rest are the options
// described by `--help`. Returns 0 on success, 1 when a benchmark run failed or could not start (unwritable
// directory, engine error), 2 on a usage error (unknown option, engine or workload). Prints the table to
// stdout (stderr when JSON goes to stdout) and progress to stderr. Creates every database under one scratch
// directory that is removed on any exit, including signals (see scratch_dir.hpp). Installs handlers for
// SIGINT, SIGTERM, SIGHUP and SIGQUIT that end the process.
//
// Link target: aspen_bench_lib (bench/CMakeLists.txt).
#pragma once

namespace aspen::bench {

int run_bench(int argc, char** argv);

}  // namespace aspen::bench
