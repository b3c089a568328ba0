#include "net/dial_steps.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <string>
#include <utility>

namespace httptrace::net {
namespace {

using namespace std::chrono_literals;

// Go's defaultTCPKeepAlive, for a zero Dialer field.
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

// The lookup's error as dial returns it: "dial tcp: lookup H on S: no such host".
Error as_dial_error(const Error& lookup) {
  Error error(lookup.code(), "dial tcp: " + lookup.message());
  error.with_op(lookup.op()).with_addr(lookup.addr()).with_dns_kind(lookup.dns_kind());
  return error;
}

}  // namespace

std::optional<TimePoint> dial_deadline(const Context& ctx, std::chrono::nanoseconds timeout) {
  std::optional<TimePoint> deadline = ctx.deadline();
  if (timeout > std::chrono::nanoseconds::zero()) {
    deadline = earliest(deadline, Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout));
  }
  return deadline;
}

std::string_view without_brackets(std::string_view host) noexcept {
  if (host.size() < 2 || host.front() != '[' || host.back() != ']') return host;
  return host.substr(1, host.size() - 2);
}

std::vector<IpAddress> filter_family(std::vector<IpAddress> addrs, IpFamily family) {
  std::erase_if(addrs, [family](const IpAddress& ip) { return !family_allowed(ip, family); });
  return addrs;
}

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

Result<std::vector<IpAddress>> resolve_addresses(const Context& ctx, std::string_view host,
                                                 std::optional<TimePoint> deadline, Resolver& resolver,
                                                 IpFamily family, const ClientTrace* trace) {
  call_hook(trace, &ClientTrace::dns_start, DNSStartInfo{std::string(host)});

  std::optional<std::pair<Context, CancelFunc>> bounded;
  if (deadline && (!ctx.deadline() || *deadline < *ctx.deadline())) bounded = with_deadline(ctx, *deadline);
  Result<LookupResult> found = resolver.lookup_shared(bounded ? bounded->first : ctx, host);
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

Result<void> configure_socket(int fd, std::chrono::nanoseconds keep_alive, bool blocking) {
  if (blocking) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
      return fail(ErrorCode::network, "dial tcp: cannot make the socket blocking");
    }
  }
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  if (keep_alive < std::chrono::nanoseconds::zero()) return {};
  const std::chrono::nanoseconds period = keep_alive == keep_alive.zero() ? kDefaultKeepAlive : keep_alive;
  const int seconds = static_cast<int>(
      std::max<std::chrono::seconds::rep>(1, std::chrono::ceil<std::chrono::seconds>(period).count()));
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &seconds, sizeof seconds);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &seconds, sizeof seconds);
  return {};
}

}  // namespace httptrace::net
