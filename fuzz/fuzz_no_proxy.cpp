// The proxy rules (NO_PROXY matching, proxy URL parsing, the CGI refusal). Properties: no
// crash on any settings or target; "*" proxies nothing; loopback targets are never proxied
// when never_proxy_loopback; proxy_for agrees with use_proxy; a CGI environment never proxies
// an http URL; the zone of an IPv6 literal never makes it match a domain rule
// (CVE-2025-22870).
#include <fuzzer/FuzzedDataProvider.h>

#include <string>

#include "fuzz_check.hpp"
#include "httptrace/ip_address.hpp"
#include "transport/proxy_rules.hpp"

namespace {

using namespace httptrace;
using httptrace::fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  ProxySettings settings;
  const uint8_t flags = fdp.ConsumeIntegral<uint8_t>();
  settings.http_proxy = (flags & 1) ? fdp.ConsumeRandomLengthString(48) : "http://127.0.0.1:3128";
  settings.https_proxy = (flags & 2) ? fdp.ConsumeRandomLengthString(48) : "http://127.0.0.1:3128";
  settings.no_proxy = fdp.ConsumeRandomLengthString(128);
  settings.cgi = flags & 4;
  settings.never_proxy_loopback = !(flags & 8);
  const std::string target_text = fdp.ConsumeRemainingBytesAsString();

  ProxyRules rules(settings);
  auto target = Url::parse(target_text);
  if (!target) return 0;
  const std::string host_port = target->host_port();
  const bool usable = rules.use_proxy(host_port);
  auto proxy = rules.proxy_for(*target);
  if (proxy && proxy->has_value()) {
    check(usable, "proxied although use_proxy says no", host_port);
    check(!(settings.cgi && target->scheme() == "http"),
          "an http URL proxied in a CGI environment");
  }
  if (settings.no_proxy == "*")
    check(!(proxy && proxy->has_value()), "\"*\" did not exempt everything");
  if (settings.never_proxy_loopback) {
    for (std::string_view loopback : {"localhost", "127.0.0.1", "::1"}) {
      if (target->hostname() == loopback)
        check(!usable, "a loopback target may use a proxy", host_port);
    }
  }
  // The zone of an IPv6 literal never decides the verdict: "[::1%25.example.com]" is judged
  // as "[::1%25x]" is.
  const std::string_view hostname = target->hostname();
  const auto percent = hostname.find('%');
  if (percent != std::string_view::npos && IpAddress::parse(hostname.substr(0, percent)) &&
      hostname.find(']') == std::string_view::npos) {
    // The port as use_proxy saw it (empty for a scheme without a default port).
    const auto colon = host_port.rfind(':');
    const std::string port = colon == std::string::npos ? "" : host_port.substr(colon);
    const std::string neutral = "[" + std::string(hostname.substr(0, percent)) + "%x]" + port;
    check(rules.use_proxy(neutral) == usable, "an IPv6 zone changed the NO_PROXY verdict",
          host_port);
  }
  return 0;
}
