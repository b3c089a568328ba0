#pragma once
// `make bench-callgrind`: instructions per request under valgrind's callgrind, which do not
// drift with the machine's load (spec/performance.md). Each client runs twice, for two request
// counts, collecting only inside its timed loop (--toggle-collect=bench_timed_loop); the
// difference per extra request cancels whatever a run costs once. The output files stay in
// `out_dir` for callgrind_annotate or kcachegrind.

#include <filesystem>

#include "rows.hpp"

namespace bench {

// Prints the table and our client's top inclusive cost centres; returns the exit status.
int run_callgrind(const BenchSetup& setup, const std::filesystem::path& out_dir);

}  // namespace bench
