#pragma once
// DnsServer: one name server the resolver asks, parsed from the forms ResolverOptions::servers
// accepts.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "httptrace/ip_address.hpp"

namespace httptrace::net {

struct DnsServer {
  IpAddress ip;
  uint16_t port = 53;

  // "127.0.0.1:53", "[::1]:5353": how Go names the server in "lookup H on S: ...".
  std::string to_string() const { return ip.to_string(port); }
  friend bool operator==(const DnsServer&, const DnsServer&) noexcept = default;
};

// Parses "ip", "ip:port", "[ipv6]" or "[ipv6]:port" (a bare IPv6 address has no port). Throws
// std::invalid_argument naming the entry when it is malformed, has port 0, or carries an IPv6
// zone (c-ares 1.18 cannot address a scoped server).
DnsServer parse_dns_server(std::string_view text);

// Parses every entry (see parse_dns_server).
std::vector<DnsServer> parse_dns_servers(std::span<const std::string> texts);

// "127.0.0.1:53" or "127.0.0.1:53,[::1]:53": the servers named in error messages.
std::string describe(std::span<const DnsServer> servers);

}  // namespace httptrace::net
