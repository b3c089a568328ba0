#include "net/dns_server.hpp"

#include <charconv>
#include <optional>
#include <stdexcept>

namespace httptrace::net {
namespace {

[[noreturn]] void malformed(std::string_view text, std::string_view why) {
  throw std::invalid_argument("DNS server \"" + std::string(text) + "\": " + std::string(why) +
                              " (want \"ip\", \"ip:port\" or \"[ipv6]:port\")");
}

uint16_t parse_port(std::string_view whole, std::string_view digits) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
      digits.front() == '+') {
    malformed(whole, "the port is not a number");
  }
  if (value == 0 || value > 65535) malformed(whole, "the port is out of range 1-65535");
  return static_cast<uint16_t>(value);
}

IpAddress parse_ip(std::string_view whole, std::string_view text, bool want_v6) {
  std::optional<IpAddress> ip = IpAddress::parse(text);
  if (!ip) malformed(whole, "not an IP address");
  if (want_v6 && !ip->is_v6()) malformed(whole, "brackets hold an IPv6 address only");
  if (ip->is_v6() && ip->scope_id() != 0)
    malformed(whole, "scoped IPv6 addresses are not supported");
  return *ip;
}

}  // namespace

DnsServer parse_dns_server(std::string_view text) {
  if (text.empty()) malformed(text, "empty");
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) malformed(text, "missing ']'");
    DnsServer server{parse_ip(text, text.substr(1, close - 1), true), 53};
    std::string_view rest = text.substr(close + 1);
    if (rest.empty()) return server;
    if (rest.front() != ':') malformed(text, "unexpected text after ']'");
    server.port = parse_port(text, rest.substr(1));
    return server;
  }
  // One colon: v4 with a port. Several: a bare IPv6 address (Go's SplitHostPort would demand
  // brackets to add a port).
  const auto colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    return DnsServer{parse_ip(text, text.substr(0, colon), false),
                     parse_port(text, text.substr(colon + 1))};
  }
  return DnsServer{parse_ip(text, text, false), 53};
}

std::vector<DnsServer> parse_dns_servers(std::span<const std::string> texts) {
  std::vector<DnsServer> servers;
  servers.reserve(texts.size());
  for (const std::string& text : texts) servers.push_back(parse_dns_server(text));
  return servers;
}

std::string describe(std::span<const DnsServer> servers) {
  std::string text;
  for (const DnsServer& server : servers) {
    if (!text.empty()) text += ',';
    text += server.to_string();
  }
  return text;
}

}  // namespace httptrace::net
