#pragma once
// The steps of a dial that the blocking dialer (net::dial) and the EventLoop's non-blocking one
// share: the deadline, the name lookup with its hooks, the family filter, socket options.

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "httptrace/resolver.hpp"
#include "httptrace/trace.hpp"
#include "httptrace/transport.hpp"
#include "net/wait_io.hpp"

namespace httptrace::net {

// The earlier of the context's deadline and the dial timeout's (Go's Dialer.deadline).
std::optional<TimePoint> dial_deadline(const Context& ctx, std::chrono::nanoseconds timeout);

// "[::1]" → "::1"; anything else unchanged.
std::string_view without_brackets(std::string_view host) noexcept;

// dns_start → lookup → dns_done (exactly once, whatever happens), then the family filter. The
// dial deadline bounds the lookup too, as in Go: passing it gives ErrorCode::timeout ("dial tcp:
// lookup H: i/o timeout"); the context's own end gives its error; other failures read "dial
// tcp: lookup H on S: no such host".
[[nodiscard]] Result<std::vector<IpAddress>> resolve_addresses(const Context& ctx, std::string_view host,
                                                               std::optional<TimePoint> deadline,
                                                               Resolver& resolver, IpFamily family,
                                                               const ClientTrace* trace);

// The addresses of the allowed family, in order.
std::vector<IpAddress> filter_family(std::vector<IpAddress> addrs, IpFamily family);

// Go's "dial tcp: address H: no suitable address found", saying which family was required.
Error no_suitable_address(std::string_view host, IpFamily family, ErrorCode code);

// TCP_NODELAY (Go's default) and keep-alive probes every `keep_alive` (0 = Go's 15 s, < 0 =
// off; Go sets the idle time and the interval both, rounded up to seconds); with `blocking`,
// clears O_NONBLOCK for TcpStream.
[[nodiscard]] Result<void> configure_socket(int fd, std::chrono::nanoseconds keep_alive, bool blocking);

}  // namespace httptrace::net
