#include "transport/proxy_rules.hpp"

#include <cstdlib>

#include "message/ascii.hpp"

namespace httptrace {
namespace {

std::string getenv_either(const char* upper, const char* lower) {
  if (const char* v = std::getenv(upper); v != nullptr && *v != '\0') return v;
  if (const char* v = std::getenv(lower); v != nullptr) return v;
  return {};
}

std::string trim_lower(std::string_view s) {
  std::string out(ascii::trim_ows(s));
  for (char& c : out) c = ascii::to_lower(c);
  return out;
}

// Go's parseProxy: a value that is not a URL with an http, https or socks5 scheme gets
// "http://" prepended.
std::optional<Result<Url>> parse_proxy(const std::string& value) {
  if (value.empty()) return std::nullopt;
  auto url = Url::parse(value);
  if (url && (url->scheme() == "http" || url->scheme() == "https" || url->scheme() == "socks5")) return url;
  auto prefixed = Url::parse("http://" + value);
  if (prefixed) return prefixed;
  return Result<Url>(std::unexpected(Error(ErrorCode::proxy, "invalid proxy address \"" + ascii::printable(value) +
                                                                 "\": " + prefixed.error().message())));
}

// net.SplitHostPort: "host:port" or "[v6]:port".
bool split_host_port(std::string_view s, std::string& host, std::string& port) {
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return false;
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
    return true;
  }
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos || s.find(':') != colon) return false;
  host = s.substr(0, colon);
  port = s.substr(colon + 1);
  return true;
}

// An IP written without a zone (Go's net.ParseIP accepts none: "::1%eth0" is not an IP there).
std::optional<IpAddress> parse_plain_ip(std::string_view s) {
  if (s.find('%') != std::string_view::npos) return std::nullopt;
  return IpAddress::parse(s);
}

bool prefix_matches(const IpAddress& network, int bits, const IpAddress& ip) {
  if (network.family() != ip.family()) return false;
  auto a = network.bytes();
  auto b = ip.bytes();
  for (int i = 0; i < bits; ++i) {
    int byte = i / 8, bit = 7 - i % 8;
    if (((a[byte] >> bit) & 1) != ((b[byte] >> bit) & 1)) return false;
  }
  return true;
}

}  // namespace

ProxySettings ProxySettings::from_environment() {
  ProxySettings settings;
  settings.http_proxy = getenv_either("HTTP_PROXY", "http_proxy");
  settings.https_proxy = getenv_either("HTTPS_PROXY", "https_proxy");
  settings.no_proxy = getenv_either("NO_PROXY", "no_proxy");
  settings.cgi = std::getenv("REQUEST_METHOD") != nullptr;
  return settings;
}

ProxyRules::ProxyRules(const ProxySettings& settings)
    : http_proxy_(parse_proxy(settings.http_proxy)),
      https_proxy_(parse_proxy(settings.https_proxy)),
      cgi_(settings.cgi),
      never_proxy_loopback_(settings.never_proxy_loopback) {
  std::string_view list = settings.no_proxy;
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string entry = trim_lower(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (entry.empty()) continue;
    if (entry == "*") {
      match_all_ = true;
      return;
    }
    // CIDR
    if (auto slash = entry.find('/'); slash != std::string::npos) {
      auto ip = parse_plain_ip(entry.substr(0, slash));
      const std::string bits_text = entry.substr(slash + 1);
      if (ip && !bits_text.empty() && bits_text.find_first_not_of("0123456789") == std::string::npos) {
        int bits = std::atoi(bits_text.c_str());
        if (bits <= static_cast<int>(ip->bytes().size() * 8)) {
          ip_rules_.push_back({*ip, bits, {}});
          continue;
        }
      }
    }
    std::string host, port;
    if (!split_host_port(entry, host, port)) {
      host = entry;
      port.clear();
    } else if (host.empty()) {
      continue;  // ":80": no host part; Go ignores the entry
    }
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (auto ip = parse_plain_ip(host)) {
      ip_rules_.push_back({*ip, -1, port});
      continue;
    }
    if (host.empty()) continue;
    if (host.rfind("*.", 0) == 0) host = host.substr(1);
    bool match_host = host.front() != '.';
    if (match_host) host = "." + host;
    domain_rules_.push_back({host, port, match_host});
  }
}

bool ProxyRules::use_proxy(std::string_view host_port) const {
  if (host_port.empty()) return true;
  std::string host, port;
  if (!split_host_port(host_port, host, port)) return false;
  if (never_proxy_loopback_ && host == "localhost") return false;
  auto ip = parse_plain_ip(host);
  if (never_proxy_loopback_ && ip && ip->is_loopback()) return false;
  if (match_all_) return false;
  std::string lower = trim_lower(host);
  if (ip) {
    for (const IpRule& rule : ip_rules_) {
      bool hit = rule.prefix_bits < 0 ? rule.ip == *ip : prefix_matches(rule.ip, rule.prefix_bits, *ip);
      if (hit && (rule.port.empty() || rule.port == port)) return false;
    }
  }
  // CVE-2025-22870: an IPv6 zone is not part of a domain name ("[::1%25.example.com]" must not
  // match ".example.com").
  if (auto percent = lower.find('%'); percent != std::string::npos) lower.resize(percent);
  for (const DomainRule& rule : domain_rules_) {
    bool suffix = lower.size() >= rule.suffix.size() &&
                  lower.compare(lower.size() - rule.suffix.size(), rule.suffix.size(), rule.suffix) == 0;
    bool exact = rule.match_host && lower == std::string_view(rule.suffix).substr(1);
    if ((suffix || exact) && (rule.port.empty() || rule.port == port)) return false;
  }
  return true;
}

Result<std::optional<Url>> ProxyRules::proxy_for(const Url& target) const {
  const std::optional<Result<Url>>* chosen = nullptr;
  if (target.scheme() == "https") {
    chosen = &https_proxy_;
  } else if (target.scheme() == "http") {
    chosen = &http_proxy_;
    if (*chosen && cgi_) {
      return fail(ErrorCode::proxy,
                  "refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy");
    }
  }
  if (chosen == nullptr || !*chosen) return std::optional<Url>();
  if (!use_proxy(target.host_port())) return std::optional<Url>();
  if (!**chosen) return fail((**chosen).error());
  return std::optional<Url>(***chosen);
}

}  // namespace httptrace
