#pragma once
// The Errors a lookup ends with, worded as Go's net.DNSError ("lookup nx.test on
// 127.0.0.1:53: no such host") and classified by Error::dns_kind().

#include <string_view>

#include "httptrace/error.hpp"

namespace httptrace::net {

// A c-ares status (ARES_ENOTFOUND, ARES_ESERVFAIL, ...) for `host` asked of `servers` ("" when
// the servers are unknown). ErrorCode::dns with dns_kind not_found / no_answer /
// server_failure / refused, or ErrorCode::timeout with dns_kind "timeout"; op "dns", addr host.
Error lookup_error(int ares_status, std::string_view host, std::string_view servers);

// The lookup of `host` was cut short by the context (or its wait failed): the same code as
// `why`, worded as Go's "lookup H: operation was canceled" / "lookup H: i/o timeout".
Error lookup_interrupted(const Error& why, std::string_view host);

}  // namespace httptrace::net
