#include "transport/transport_setup.hpp"

#include <stdexcept>

namespace httptrace {
namespace {

// The ALPN list: the caller's, or "h2" first when HTTP/2 is wanted (Go's ForceAttemptHTTP2);
// without HTTP/2 support "h2" is never offered, whatever the caller listed.
std::vector<std::string> offered_protocols(const TransportOptions& options, bool offer_h2) {
  std::vector<std::string> alpn = options.tls.alpn;
  if (!offer_h2) std::erase(alpn, "h2");
  if (!alpn.empty()) return alpn;
  if (offer_h2) return {"h2", "http/1.1"};
  return {"http/1.1"};
}

bool customised(const TlsOptions& tls) {
  return !tls.ca_file.empty() || !tls.ca_dir.empty() || !tls.cert_file.empty() || !tls.key_file.empty() ||
         !tls.server_name.empty() || tls.insecure_skip_verify || tls.min_version != 0x0303 || tls.max_version != 0 ||
         !tls.alpn.empty();
}

}  // namespace

void check_transport_options(const TransportOptions& options) {
  if (options.max_response_header_bytes == 0) {
    throw std::invalid_argument("TransportOptions::max_response_header_bytes must be positive");
  }
  if (options.max_idle_conns < 0) throw std::invalid_argument("TransportOptions::max_idle_conns must be >= 0");
  if (options.max_conns_per_host < 0) {
    throw std::invalid_argument("TransportOptions::max_conns_per_host must be >= 0");
  }
}

std::shared_ptr<Resolver> resolver_for(const TransportOptions& options) {
  if (options.resolver) return options.resolver;
  ResolverOptions resolver_options;
  resolver_options.servers = options.dns_servers;
  return make_default_resolver(std::move(resolver_options));
}

TlsConfigSlot::TlsConfigSlot(const TransportOptions& options, bool offer_h2)
    : options_(options.tls), alpn_(offered_protocols(options, offer_h2)) {
  if (customised(options_)) (void)get();
}

Result<std::shared_ptr<tls::ClientConfig>> TlsConfigSlot::get() {
  std::lock_guard lock(mu_);
  if (config_) return config_;
  if (error_) return fail(*error_);
  auto made = tls::ClientConfig::make(options_, alpn_);
  if (!made) {
    error_ = made.error();
    return fail(std::move(made.error()));
  }
  config_ = *made;
  return config_;
}

}  // namespace httptrace
