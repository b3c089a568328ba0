#pragma once
// Open file descriptors of this process, for "no descriptor leaked" invariants
// (bad-inputs.md I3): take a baseline, run the scenario, and wait for the count to return.
//
// The count is process-wide: threads of other fixtures that are still alive (a ScriptServer's
// connections, an NginxServer's pidfd) are counted too, so take the baseline after every
// fixture the scenario uses is up, or after they are all destroyed.

#include <chrono>

namespace httptrace::testing {

// The number of open descriptors, from /proc/self/fd (the directory handle used to list it
// is not counted).
int open_fd_count();

// Waits until open_fd_count() <= expected or `timeout` passes, and returns the last count seen:
// EXPECT_EQ(wait_for_fd_count(baseline, 1s), baseline). Closing is often asynchronous (a pool
// closes on another thread), so this polls — there is no event for "some fd was closed".
int wait_for_fd_count(int expected, std::chrono::milliseconds timeout);

}  // namespace httptrace::testing
