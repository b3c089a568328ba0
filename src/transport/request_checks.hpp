#pragma once
// What the transport refuses before anything is sent or any hook fires (bad-inputs J57–J58,
// trace-semantics "Our decisions": Host / URL with CR, LF, NUL or space; non-ASCII hosts
// until IDNA lands).

#include <string>
#include <string_view>

#include "httptrace/request.hpp"

namespace httptrace {

// ErrorCode::unsupported_scheme for anything but http/https; invalid_request for a missing or
// non-ASCII host, a bad Host override, invalid header fields, or a request-target with
// control characters or spaces. `request_target` is the URL's request_uri(), which the
// request line carries.
[[nodiscard]] Result<void> check_request(const Request& request, std::string_view request_target);

// The Host field's value: the IPv6 zone removed ("[fe80::1%25en0]:80" → "[fe80::1]:80").
std::string host_without_zone(std::string_view host);
// The same without a copy when there is no zone to remove (nearly always): `host` itself, or
// the value written to `storage`.
std::string_view host_without_zone(std::string_view host, std::string& storage);

}  // namespace httptrace
