#pragma once
// Which proxy a request goes through: Go's golang.org/x/net/http/httpproxy rules
// (trace-semantics §8.2), with the IPv6-zone fix of CVE-2025-22870 (bad-inputs H53). Pure: no
// environment access here, so the rules are table-testable; proxy_from_environment() reads the
// variables once per process and compiles them into one ProxyRules.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "httptrace/error.hpp"
#include "httptrace/ip_address.hpp"
#include "httptrace/url.hpp"

namespace httptrace {

struct ProxySettings {
  std::string http_proxy;   // HTTP_PROXY / http_proxy: for http URLs
  std::string https_proxy;  // HTTPS_PROXY / https_proxy: for https URLs
  std::string no_proxy;     // NO_PROXY / no_proxy: comma list of exceptions
  bool cgi = false;         // REQUEST_METHOD is set: HTTP_PROXY may be attacker-supplied (httpoxy)
  // The environment's rule: localhost and loopback addresses never go through a proxy. An
  // explicitly chosen proxy (--proxy) is used for them too.
  bool never_proxy_loopback = true;

  // The process environment (upper case wins over lower case, as Go).
  static ProxySettings from_environment();
};

class ProxyRules {
 public:
  // Parses the settings. A value without a valid scheme gets "http://" prepended (Go).
  explicit ProxyRules(const ProxySettings& settings);

  // The proxy for `target`, nullopt for a direct connection. Errors: the CGI refusal (Go's
  // text, for http URLs), or an unparsable proxy value (ErrorCode::proxy).
  [[nodiscard]] Result<std::optional<Url>> proxy_for(const Url& target) const;
  // Whether `host_port` ("host:port", IPv6 bracketed) may use a proxy: false for NO_PROXY
  // matches (and for loopback when never_proxy_loopback).
  bool use_proxy(std::string_view host_port) const;

 private:
  struct IpRule {
    IpAddress ip;
    int prefix_bits = -1;  // -1: the exact address; else a CIDR
    std::string port;
  };
  struct DomainRule {
    std::string suffix;  // ".example.com"
    std::string port;
    bool match_host;     // also "example.com" itself
  };

  std::optional<Result<Url>> http_proxy_;
  std::optional<Result<Url>> https_proxy_;
  bool cgi_;
  bool never_proxy_loopback_;
  bool match_all_ = false;
  std::vector<IpRule> ip_rules_;
  std::vector<DomainRule> domain_rules_;
};

}  // namespace httptrace
