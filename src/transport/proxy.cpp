#include "httptrace/transport.hpp"

namespace httptrace {

// The environment rules (trace-semantics §8.2) arrive with proxy support; until then no
// request is proxied, which is also what those rules say for every loopback target.
ProxyFunc proxy_from_environment() {
  return [](const Request&) -> Result<std::optional<Url>> { return std::optional<Url>(); };
}

ProxyFunc proxy_url(Url proxy) {
  return [proxy = std::move(proxy)](const Request&) -> Result<std::optional<Url>> { return std::optional<Url>(proxy); };
}

}  // namespace httptrace
