#include "net/cares_resolver.hpp"

#include <optional>
#include <string>
#include <utility>

#include "net/lookup_error.hpp"

namespace httptrace {

Result<LookupResult> Resolver::lookup_shared(const Context& ctx, std::string_view host) {
  auto addrs = lookup(ctx, host);
  if (!addrs) return fail(std::move(addrs.error()));
  return LookupResult{std::move(*addrs), false};
}

std::shared_ptr<Resolver> make_default_resolver(ResolverOptions options) {
  return std::make_shared<net::CaresResolver>(net::cares_config(options));
}

namespace net {

CaresConfig cares_config(const ResolverOptions& options) {
  CaresConfig config;
  config.servers = parse_dns_servers(options.servers);
  config.use_hosts_file = options.use_hosts_file;
  return config;
}

CaresResolver::CaresResolver(CaresConfig config)
    : config_(std::move(config)), flights_([this](std::string_view host) {
        return std::make_unique<CaresLookup>(config_, std::string(host));
      }) {}

Result<std::vector<IpAddress>> CaresResolver::lookup(const Context& ctx, std::string_view host) {
  auto shared = lookup_shared(ctx, host);
  if (!shared) return fail(std::move(shared.error()));
  return std::move(shared->addrs);
}

Result<LookupResult> CaresResolver::lookup_shared(const Context& ctx, std::string_view host) {
  if (std::optional<IpAddress> literal = IpAddress::parse(host)) {
    return LookupResult{{*literal}, false};
  }
  auto result = flights_.run(ctx, host);
  if (result) return result;
  const ErrorCode code = result.error().code();
  // The flight's own errors are worded already; a wait cut short is not.
  if (code == ErrorCode::canceled || code == ErrorCode::deadline_exceeded ||
      code == ErrorCode::network) {
    return fail(lookup_interrupted(result.error(), host));
  }
  return result;
}

}  // namespace net
}  // namespace httptrace
