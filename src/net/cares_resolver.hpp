#pragma once
// CaresResolver: the Resolver make_default_resolver returns — c-ares lookups shared between
// concurrent callers (single_flight.hpp), answers ordered as Go's dialer would try them.

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "httptrace/resolver.hpp"
#include "net/cares_lookup.hpp"
#include "net/single_flight.hpp"

namespace httptrace::net {

// ResolverOptions in the form the channel takes. Throws std::invalid_argument for a malformed
// server.
CaresConfig cares_config(const ResolverOptions& options);

class CaresResolver final : public Resolver {
 public:
  explicit CaresResolver(CaresConfig config);

  // IP literals are answered without a query. Thread-safe.
  [[nodiscard]] Result<std::vector<IpAddress>> lookup(const Context& ctx,
                                                      std::string_view host) override;
  [[nodiscard]] Result<LookupResult> lookup_shared(const Context& ctx,
                                                   std::string_view host) override;

  // Callers waiting on a lookup of `host` right now (tests).
  std::size_t waiting(std::string_view host) const { return flights_.participants(host); }
  const CaresConfig& config() const noexcept { return config_; }

 private:
  const CaresConfig config_;
  SingleFlight flights_;
};

}  // namespace httptrace::net
