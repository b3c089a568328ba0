#include "net/dialer.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "net/dial_steps.hpp"
#include "net/happy_eyeballs.hpp"
#include "net/unique_fd.hpp"
#include "net/wait_io.hpp"

namespace httptrace::net {
namespace {

using namespace std::chrono_literals;

// Go's fallbackDelay for a zero Dialer field (net/dial.go).
constexpr std::chrono::nanoseconds kDefaultFallbackDelay = 300ms;

}  // namespace

Result<std::unique_ptr<TcpStream>> dial(const Context& ctx, std::string_view host, uint16_t port,
                                        Resolver& resolver, const DialOptions& options,
                                        const ClientTrace* trace) {
  // A context that has ended fires no hook (trace-semantics §2 ConnectStart, §7.1).
  if (const Error* err = ctx.err()) return fail(*err);
  const std::optional<TimePoint> deadline = dial_deadline(ctx, options.timeout);
  host = without_brackets(host);

  std::vector<IpAddress> addrs;
  if (std::optional<IpAddress> literal = IpAddress::parse(host)) {
    addrs.push_back(*literal);
  } else if (options.override_addrs != nullptr) {
    addrs = *options.override_addrs;
  } else {
    auto resolved = resolve_addresses(ctx, host, deadline, resolver, options.family, trace);
    if (!resolved) return fail(std::move(resolved.error()));
    addrs = std::move(*resolved);
  }
  addrs = filter_family(std::move(addrs), options.family);
  if (addrs.empty()) return fail(no_suitable_address(host, options.family, ErrorCode::network));

  // Go's addrList.partition: the first address's family leads; a negative delay disables the
  // race and tries everything in order.
  std::vector<IpAddress> primaries;
  std::vector<IpAddress> fallbacks;
  for (const IpAddress& ip : addrs) {
    const bool primary = options.fallback_delay < options.fallback_delay.zero() ||
                         ip.family() == addrs.front().family();
    (primary ? primaries : fallbacks).push_back(ip);
  }
  RacePlan plan;
  plan.primaries = primaries;
  plan.fallbacks = fallbacks;
  plan.port = port;
  plan.fallback_delay = options.fallback_delay > options.fallback_delay.zero()
                            ? options.fallback_delay
                            : kDefaultFallbackDelay;
  plan.deadline = deadline;

  auto connected = race(ctx, plan, trace);
  if (!connected) return fail(std::move(connected.error()));
  UniqueFd fd = std::move(*connected);
  if (auto configured = configure_socket(fd.get(), options.keep_alive, true); !configured) {
    return fail(std::move(configured.error()));
  }
  return std::make_unique<TcpStream>(fd.release());
}

}  // namespace httptrace::net
