#pragma once
// The dialer: resolve a host and connect to it, racing address families (Happy Eyeballs, RFC
// 8305 as Go's net.Dialer does it), firing the DNS and connect hooks on the caller's thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "httptrace/resolver.hpp"
#include "httptrace/trace.hpp"
#include "httptrace/transport.hpp"
#include "net/tcp_stream.hpp"

namespace httptrace::net {

struct DialOptions {
  std::chrono::nanoseconds timeout{30'000'000'000};        // whole dial; <= 0 = none
  std::chrono::nanoseconds keep_alive{30'000'000'000};     // TCP keep-alive period; < 0 off
  std::chrono::nanoseconds fallback_delay{300'000'000};    // < 0 disables the family race
  IpFamily family = IpFamily::any;
  // Addresses to use instead of a lookup (curl's --resolve): no DNS hooks fire.
  const std::vector<IpAddress>* override_addrs = nullptr;
};

// Resolves `host` (dns_start / dns_done fire unless it is an IP literal or overridden) and
// connects to `port`, firing connect_start / connect_done for every attempt (the losing racer's
// connect_done carries its cancel error, before dial returns). The socket has TCP_NODELAY and
// keep-alive set. Errors: ErrorCode::dns (wrapped as "dial tcp: lookup ..."),
// connection_refused, timeout ("dial tcp ADDR: i/o timeout", op "dial"), network, or the
// context's canceled / deadline_exceeded.
[[nodiscard]] Result<std::unique_ptr<TcpStream>> dial(const Context& ctx, std::string_view host,
                                                      uint16_t port, Resolver& resolver,
                                                      const DialOptions& options,
                                                      const ClientTrace* trace);

}  // namespace httptrace::net
