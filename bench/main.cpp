// aspen_bench: the standalone side-by-side benchmark program (bench). See bench_main.hpp.
#include "bench_main.hpp"

int main(int argc, char** argv) { return aspen::bench::run_bench(argc, argv); }
