#pragma once
// What a `load` run was asked to do, as the progress line and the reports describe it.

#include <chrono>
#include <cstdint>
#include <string>

namespace httptrace::cli {

struct LoadPlan {
  std::string method;
  std::string url;                       // redacted
  uint64_t requests = 0;                 // 0 = until the duration ends
  std::chrono::nanoseconds duration{0};  // 0 = until the requests are sent
  int concurrency = 1;
  double rate = 0;                    // 0 = as fast as possible (closed model)
  std::string protocol = "HTTP/1.1";  // "HTTP/2.0" when the run multiplexes over HTTP/2
};

}  // namespace httptrace::cli
