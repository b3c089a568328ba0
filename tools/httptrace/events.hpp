#pragma once
// `httptrace events`: every hook call as one JSON line, the moment it happens
// (spec/events-format.md).

#include "request_flags.hpp"

namespace httptrace::cli {

struct EventsFlags {
  RequestFlags request;
  int repeat = 1;
};

// Returns the exit status: 0 all requests succeeded, 1 one failed, 2 usage error.
int run_events(const EventsFlags& flags);

// The trace that prints the events of request number `index`, whose send started at `start`.
ClientTrace event_printing_trace(int index, std::chrono::steady_clock::time_point start, std::FILE* out);

}  // namespace httptrace::cli
