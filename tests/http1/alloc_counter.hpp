#pragma once
// Counts global operator new calls made by the current thread, so a test can check that a hot
// path does not allocate (performance.md P7). The replacement operators live in
// alloc_counter.cpp and count for the whole binary.

#include <cstddef>

namespace httptrace::testing {

// Allocations made by this thread so far.
std::size_t allocations_on_this_thread() noexcept;

}  // namespace httptrace::testing
