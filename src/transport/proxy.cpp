#include "httptrace/transport.hpp"

#include <memory>

#include "transport/proxy_rules.hpp"

namespace httptrace {

ProxyFunc proxy_from_environment() {
  // Read once per process (Go's envProxyFunc); every Transport shares the compiled rules.
  static const auto rules = std::make_shared<const ProxyRules>(ProxySettings::from_environment());
  return [rules = rules](const Request& request) { return rules->proxy_for(request.url()); };
}

ProxyFunc proxy_url(Url proxy) {
  return [proxy = std::move(proxy)](const Request&) -> Result<std::optional<Url>> { return std::optional<Url>(proxy); };
}

ProxyFunc proxy_url(Url proxy, std::string_view no_proxy) {
  ProxySettings settings;
  settings.http_proxy = settings.https_proxy = proxy.to_string();
  settings.no_proxy = no_proxy;
  settings.never_proxy_loopback = false;
  auto rules = std::make_shared<const ProxyRules>(settings);
  return [rules](const Request& request) { return rules->proxy_for(request.url()); };
}

}  // namespace httptrace
