#pragma once
// All 16 ClientTrace hooks set to empty lambdas: what P2 measures is the cost of having hooks
// set, as in Go's figure for "all 16 hooks set" (spec/performance.md). The release build's
// training run (tools/pgo_train) sets the same.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "httptrace/trace.hpp"

namespace bench {

inline httptrace::ClientTrace trivial_hooks() {
  using namespace httptrace;
  ClientTrace trace;
  trace.get_conn = [](std::string_view) {};
  trace.got_conn = [](const GotConnInfo&) {};
  trace.put_idle_conn = [](const Error*) {};
  trace.got_first_response_byte = [] {};
  trace.got_100_continue = [] {};
  trace.got_1xx_response = [](int, const Header&) -> std::optional<Error> { return std::nullopt; };
  trace.dns_start = [](const DNSStartInfo&) {};
  trace.dns_done = [](const DNSDoneInfo&) {};
  trace.connect_start = [](std::string_view, std::string_view) {};
  trace.connect_done = [](std::string_view, std::string_view, const Error*) {};
  trace.tls_handshake_start = [] {};
  trace.tls_handshake_done = [](const TLSConnectionState&, const Error*) {};
  trace.wrote_header_field = [](std::string_view, const std::vector<std::string>&) {};
  trace.wrote_headers = [] {};
  trace.wait_100_continue = [] {};
  trace.wrote_request = [](const WroteRequestInfo&) {};
  return trace;
}

}  // namespace bench
