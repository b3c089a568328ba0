#pragma once
// Counts heap allocations while switched on (spec/performance.md P7). The counting operator
// new/delete replacements live in alloc_counter.cpp, which each benchmark client compiles into
// its own binary (a replacement must be part of the program, not of a library it may skip).

#include <cstdint>

namespace bench {

// Counting starts from zero and covers every thread of the process.
void start_counting_allocations() noexcept;
// The allocations since start_counting_allocations(); counting stops.
std::uint64_t stop_counting_allocations() noexcept;
// For allocators that bypass operator new but let us see them (libcurl's
// curl_global_init_mem callbacks): counted only while counting is on.
void note_allocation() noexcept;

}  // namespace bench
