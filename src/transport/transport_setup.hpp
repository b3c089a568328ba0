#pragma once
// What a Transport and an EventLoop both make from TransportOptions: option checks, the
// resolver, and the TLS client configuration (made once, on first use).

#include <memory>
#include <mutex>
#include <optional>

#include "httptrace/resolver.hpp"
#include "httptrace/transport.hpp"
#include "tls/client_config.hpp"

namespace httptrace {

// Throws std::invalid_argument for an option value no caller should pass.
void check_transport_options(const TransportOptions& options);

// options.resolver, or the c-ares resolver asking options.dns_servers.
std::shared_ptr<Resolver> resolver_for(const TransportOptions& options);

// The one TLS ClientConfig (SSL_CTX) of a Transport or EventLoop. Options that contradict each
// other throw std::invalid_argument at construction; with default options nothing is loaded
// until the first https request (loading the system trust store takes tens of ms). A CA or key
// file that cannot be read fails the https requests, not the construction. ALPN offers "h2"
// only with `offer_h2` (the Transport's HTTP/2; the EventLoop speaks HTTP/1.1 only). Thread-safe.
class TlsConfigSlot {
 public:
  explicit TlsConfigSlot(const TransportOptions& options, bool offer_h2 = false);
  [[nodiscard]] Result<std::shared_ptr<tls::ClientConfig>> get();

 private:
  const TlsOptions options_;
  const std::vector<std::string> alpn_;
  std::mutex mu_;
  std::shared_ptr<tls::ClientConfig> config_;
  std::optional<Error> error_;
};

}  // namespace httptrace
