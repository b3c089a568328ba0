#pragma once
// Resolver: name resolution, injectable. The default (make_default_resolver) asks c-ares:
// it honours /etc/hosts, obeys the request's deadline and cancellation, can be pointed at
// given name servers, and shares concurrent lookups of one name (single-flight).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "httptrace/ip_address.hpp"

namespace httptrace {

// What one lookup produced: the addresses in the order the dialer should try them, and
// whether the answer was shared with a concurrent lookup of the same name (dns_done's
// `coalesced`).
struct LookupResult {
  std::vector<IpAddress> addrs;
  bool coalesced = false;
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  // Every address `host` resolves to, or an ErrorCode::dns error (dns_kind(): not_found,
  // server_failure, refused, no_answer, timeout) naming the host and the server asked; the
  // context's end cuts the wait short (canceled / deadline_exceeded). Thread-safe.
  virtual Result<std::vector<IpAddress>> lookup(const Context& ctx, std::string_view host) = 0;
  // As lookup(), also saying whether the answer was shared. The default calls lookup().
  virtual Result<LookupResult> lookup_shared(const Context& ctx, std::string_view host);
};

struct ResolverOptions {
  // "ip" or "ip:port" ("[::1]:53" for IPv6); empty = the system's (/etc/resolv.conf).
  std::vector<std::string> servers;
  // Read /etc/hosts first (as Go and getaddrinfo do).
  bool use_hosts_file = true;
};

// The c-ares resolver with single-flight lookups. Throws std::invalid_argument for a malformed
// server address.
std::shared_ptr<Resolver> make_default_resolver(ResolverOptions options = {});

}  // namespace httptrace
