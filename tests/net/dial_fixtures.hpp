#pragma once
// Listeners for the dialer tests: one port on both loopback families, each side listening or
// merely bound (a bound socket that does not listen refuses connections, and holds the port so
// nothing else can answer there).

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "httptrace/resolver.hpp"
#include "net/dialer.hpp"
#include "net/hook_log.hpp"
#include "support/dns_responder.hpp"
#include "support/loopback.hpp"

namespace httptrace::testing {

struct DualPort {
  UniqueFd v4;
  UniqueFd v6;
  std::uint16_t port = 0;
};

// 127.0.0.1:P and [::1]:P, listening or refusing as asked. Throws if no port can be had on
// both families (no IPv6 loopback: check ipv6_loopback_available() first).
inline DualPort dual_port(bool v4_listens, bool v6_listens) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto v4 = bind_loopback(Loopback::ipv4, 0, v4_listens ? 16 : -1);
    if (!v4) continue;
    const std::uint16_t port = local_port(v4->get());
    auto v6 = bind_loopback(Loopback::ipv6, port, v6_listens ? 16 : -1);
    if (!v6) continue;
    return DualPort{std::move(*v4), std::move(*v6), port};
  }
  throw std::runtime_error("no port free on both 127.0.0.1 and [::1]");
}

// A port on 127.0.0.1 that refuses connections (bound, not listening).
inline DualPort refusing_v4_port() {
  auto v4 = bind_loopback(Loopback::ipv4, 0, -1);
  if (!v4) throw std::runtime_error("bind 127.0.0.1: " + errno_text(v4.error()));
  const std::uint16_t port = local_port(v4->get());
  return DualPort{std::move(*v4), UniqueFd(), port};
}

// "127.0.0.1:P" / "[::1]:P" with `port` substituted for "P" in every line.
inline std::vector<std::string> with_port(std::vector<std::string> lines, std::uint16_t port) {
  for (std::string& line : lines) {
    for (auto at = line.find(":P"); at != std::string::npos; at = line.find(":P", at)) {
      line.replace(at + 1, 1, std::to_string(port));
    }
  }
  return lines;
}

// Resolver options that only ever ask the test's own server.
inline ResolverOptions asking(const std::string& server) {
  ResolverOptions options;
  options.servers = {server};
  options.use_hosts_file = false;
  return options;
}

// A DnsResponder script answering with `addrs`.
inline DnsScript answer(std::vector<IpAddress> addrs) {
  DnsScript script;
  script.addresses = std::move(addrs);
  return script;
}

// Dials with the hooks recorded in `log`.
class Dialer : public ::testing::Test {
 protected:
  Result<std::unique_ptr<net::TcpStream>> dial_traced(const Context& ctx, std::string_view host,
                                                      uint16_t port, Resolver& resolver,
                                                      const net::DialOptions& options = {}) {
    const ClientTrace trace = log.trace();
    return net::dial(ctx, host, port, resolver, options, &trace);
  }

  HookLog log;
};

// The same, skipped where there is no IPv6 loopback.
class DualStackDialer : public Dialer {
 protected:
  void SetUp() override {
    if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback";
  }
};

}  // namespace httptrace::testing
