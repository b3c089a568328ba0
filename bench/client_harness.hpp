#pragma once
// The measuring loop the three end-to-end clients share, so they differ only in how they make
// one request (spec/performance.md "how we measure").

#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <string_view>

#include "client_args.hpp"

namespace bench {

// Makes one request and reads its whole body: the body bytes, or why it failed.
using OneRequest = std::function<std::expected<std::uint64_t, std::string>()>;

// Runs args.warmup requests, then args.requests timed ones — wall clock and the process's
// user+sys CPU (getrusage RUSAGE_SELF, every thread) — and prints one JSON line on stdout:
// client, mode, url, requests, wall_s, cpu_s, user_s, sys_s, requests_per_s,
// cpu_us_per_request, body_bytes_per_request, and allocs_per_request with --count-allocs. On a
// failed request it prints {"client":..., "error":...} instead. Returns the exit status.
int run_client(std::string_view client, const ClientArgs& args, const OneRequest& one_request);

// As run_client, with `threads` threads calling the thread-safe `one_request` at once (warm-up
// and timed requests shared out between them): concurrent streams over a shared connection.
int run_client_threads(std::string_view client, const ClientArgs& args, int threads,
                       const OneRequest& one_request);

}  // namespace bench
