#include "net/dialer.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "net/happy_eyeballs.hpp"
#include "net/unique_fd.hpp"
#include "net/wait_io.hpp"

namespace httptrace::net {
namespace {

using namespace std::chrono_literals;

// Go's defaults for a zero Dialer field (net/dial.go): fallbackDelay and defaultTCPKeepAlive.
constexpr std::chrono::nanoseconds kDefaultFallbackDelay = 300ms;
constexpr std::chrono::nanoseconds kDefaultKeepAlive = 15s;

bool family_allowed(const IpAddress& ip, IpFamily family) {
  switch (family) {
    case IpFamily::v4:
      return ip.is_v4();
    case IpFamily::v6:
      return ip.is_v6();
    case IpFamily::any:
      break;
  }
  return true;
}

std::vector<IpAddress> filter_family(std::vector<IpAddress> addrs, IpFamily family) {
  std::erase_if(addrs, [family](const IpAddress& ip) { return !family_allowed(ip, family); });
  return addrs;
}

// Go's "address H: no suitable address found" (errNoSuitableAddress), saying which family
// was required.
Error no_suitable_address(std::string_view host, IpFamily family, ErrorCode code) {
  std::string message = "dial tcp: address ";
  message += host;
  message += ": no suitable address found";
  if (family == IpFamily::v4) message += " (IPv4 required)";
  if (family == IpFamily::v6) message += " (IPv6 required)";
  Error error(code, std::move(message));
  error.with_op("dial").with_addr(host);
  if (code == ErrorCode::dns) error.with_dns_kind("no_answer");
  return error;
}

// The lookup's error as dial returns it: "dial tcp: lookup H on S: no such host".
Error as_dial_error(const Error& lookup) {
  Error error(lookup.code(), "dial tcp: " + lookup.message());
  error.with_op(lookup.op()).with_addr(lookup.addr()).with_dns_kind(lookup.dns_kind());
  return error;
}

// The earlier of the context's deadline and the dial timeout's (Go's Dialer.deadline).
std::optional<TimePoint> dial_deadline(const Context& ctx, std::chrono::nanoseconds timeout) {
  std::optional<TimePoint> deadline = ctx.deadline();
  if (timeout > std::chrono::nanoseconds::zero()) {
    deadline =
        earliest(deadline, Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout));
  }
  return deadline;
}

// dns_start → lookup → dns_done (exactly once, whatever happens), then the family filter. The
// dial timeout bounds the lookup too, as in Go, through a child context.
Result<std::vector<IpAddress>> resolve(const Context& ctx, std::string_view host,
                                       std::optional<TimePoint> deadline, Resolver& resolver,
                                       IpFamily family, const ClientTrace* trace) {
  call_hook(trace, &ClientTrace::dns_start, DNSStartInfo{std::string(host)});

  std::optional<std::pair<Context, CancelFunc>> bounded;
  if (deadline && (!ctx.deadline() || *deadline < *ctx.deadline())) {
    bounded = with_deadline(ctx, *deadline);
  }
  const Context& lookup_ctx = bounded ? bounded->first : ctx;
  Result<LookupResult> found = resolver.lookup_shared(lookup_ctx, host);
  if (bounded) bounded->second();

  if (!found) {
    Error error = std::move(found.error());
    // Our own dial timeout, not the caller's deadline: an operation timeout (Go: "dial tcp:
    // lookup H: i/o timeout").
    if (error.code() == ErrorCode::deadline_exceeded && !ctx.is_done()) {
      Error timeout(ErrorCode::timeout, error.message());
      timeout.with_op(error.op()).with_addr(error.addr()).with_dns_kind("timeout");
      error = std::move(timeout);
    }
    call_hook(trace, &ClientTrace::dns_done, DNSDoneInfo{{}, &error, false});
    if (const Error* err = ctx.err()) return fail(*err);
    return fail(as_dial_error(error));
  }

  std::vector<IpAddress> addrs = filter_family(std::move(found->addrs), family);
  if (addrs.empty()) {
    const Error error = no_suitable_address(host, family, ErrorCode::dns);
    call_hook(trace, &ClientTrace::dns_done, DNSDoneInfo{{}, &error, found->coalesced});
    return fail(error);
  }
  call_hook(trace, &ClientTrace::dns_done, DNSDoneInfo{addrs, nullptr, found->coalesced});
  return addrs;
}

// Blocking mode for TcpStream, TCP_NODELAY (Go's default), and keep-alive probes every
// `period` (Go sets both the idle time and the interval to it, rounded up to seconds).
Result<void> configure(int fd, std::chrono::nanoseconds keep_alive) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
    return fail(ErrorCode::network, "dial tcp: cannot make the socket blocking");
  }
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  if (keep_alive < std::chrono::nanoseconds::zero()) return {};
  const std::chrono::nanoseconds period =
      keep_alive == keep_alive.zero() ? kDefaultKeepAlive : keep_alive;
  const int seconds = static_cast<int>(std::max<std::chrono::seconds::rep>(
      1, std::chrono::ceil<std::chrono::seconds>(period).count()));
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &seconds, sizeof seconds);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &seconds, sizeof seconds);
  return {};
}

std::string_view without_brackets(std::string_view host) {
  if (host.size() < 2 || host.front() != '[' || host.back() != ']') return host;
  return host.substr(1, host.size() - 2);
}

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
    auto resolved = resolve(ctx, host, deadline, resolver, options.family, trace);
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
  if (auto configured = configure(fd.get(), options.keep_alive); !configured) {
    return fail(std::move(configured.error()));
  }
  return std::make_unique<TcpStream>(fd.release());
}

}  // namespace httptrace::net
