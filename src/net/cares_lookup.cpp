#include "net/cares_lookup.hpp"

#include <ares.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <mutex>

#include "net/address_sort.hpp"
#include "net/lookup_error.hpp"
#include "net/wait_io.hpp"

namespace httptrace::net {
namespace {

void init_library_once() {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

std::optional<IpAddress> to_ip(const sockaddr* addr) {
  if (addr == nullptr) return std::nullopt;
  if (addr->sa_family == AF_INET) {
    std::array<uint8_t, 4> bytes;
    std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, 4);
    return IpAddress::v4(bytes);
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    std::array<uint8_t, 16> bytes;
    std::memcpy(bytes.data(), &in6->sin6_addr, 16);
    return IpAddress::v6(bytes, in6->sin6_scope_id);
  }
  return std::nullopt;
}

// RFC 1035 §4.1.1.
constexpr int kRcodeServerFailure = 2;
constexpr int kRcodeRefused = 5;

}  // namespace

// c-ares' socket calls, ours so that every UDP answer's RCODE can be seen (CaresLookup::
// failure_rcode_). With these set, c-ares configures no socket itself: they are made
// non-blocking and close-on-exec here, and TCP ones get TCP_NODELAY as c-ares would.
struct CaresSockets {
  static ares_socket_t open(int family, int type, int protocol, void*) {
    const int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd >= 0 && type == SOCK_STREAM) {
      const int on = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    return fd;
  }
  static int close(ares_socket_t fd, void*) { return ::close(fd); }
  static int connect(ares_socket_t fd, const sockaddr* addr, ares_socklen_t length, void*) {
    return ::connect(fd, addr, length);
  }
  static ares_ssize_t receive(ares_socket_t fd, void* buffer, std::size_t length, int flags,
                              sockaddr* from, ares_socklen_t* from_length, void* self) {
    // c-ares passes `from` for UDP only; a TCP answer arrives in pieces and is not inspected.
    if (from == nullptr) return ::recv(fd, buffer, length, flags);
    const ssize_t n = ::recvfrom(fd, buffer, length, flags, from, from_length);
    if (n > 0) {
      static_cast<CaresLookup*>(self)->note_answer(static_cast<const unsigned char*>(buffer),
                                                   static_cast<std::size_t>(n));
    }
    return n;
  }
  static ares_ssize_t send(ares_socket_t fd, const iovec* parts, int count, void*) {
    msghdr message{};
    message.msg_iov = const_cast<iovec*>(parts);
    message.msg_iovlen = static_cast<std::size_t>(count);
    return ::sendmsg(fd, &message, MSG_NOSIGNAL);
  }
  static constexpr ares_socket_functions kFunctions = {&open, &close, &connect, &receive, &send};
};

namespace {

Error stalled(const std::string& host) {
  Error error(ErrorCode::dns, "lookup " + host + ": the resolver has no query left to wait for");
  error.with_op("dns").with_addr(host).with_dns_kind("server_failure");
  return error;
}

}  // namespace

CaresLookup::CaresLookup(const CaresConfig& config, std::string host)
    : host_(std::move(host)), hosts_path_from_environment_(config.hosts_path_from_environment) {
  init_library_once();
  ares_options options{};
  int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS;
  // HOSTALIASES is a glibc-ism Go does not honour.
  options.flags = ARES_FLAG_NOALIASES;
  options.timeout = static_cast<int>(config.try_timeout.count());
  options.tries = config.tries;
  char with_hosts[] = "fb";
  char dns_only[] = "b";
  options.lookups = config.use_hosts_file ? with_hosts : dns_only;
  char no_file[] = "/dev/null";
  if (!config.servers.empty()) {
    options.resolvconf_path = no_file;
    options.domains = nullptr;
    options.ndomains = 0;
    options.ndots = 1;
    mask |= ARES_OPT_RESOLVCONF | ARES_OPT_DOMAINS | ARES_OPT_NDOTS;
  }
  ares_channel channel = nullptr;
  int status = ares_init_options(&channel, &options, mask);
  if (status != ARES_SUCCESS) {
    outcome_ = std::unexpected(lookup_error(status, host_, ""));
    return;
  }
  channel_ = channel;
  ares_set_socket_functions(channel_, &CaresSockets::kFunctions, this);
  if (config.servers.empty()) return;

  std::vector<ares_addr_port_node> nodes(config.servers.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const DnsServer& server = config.servers[i];
    ares_addr_port_node& node = nodes[i];
    node.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
    node.family = server.ip.family();
    if (server.ip.is_v4()) {
      std::memcpy(&node.addr.addr4, server.ip.bytes().data(), 4);
    } else {
      std::memcpy(&node.addr.addr6, server.ip.bytes().data(), 16);
    }
    node.udp_port = server.port;
    node.tcp_port = server.port;
  }
  status = ares_set_servers_ports(channel_, nodes.data());
  if (status != ARES_SUCCESS) outcome_ = std::unexpected(lookup_error(status, host_, ""));
}

CaresLookup::~CaresLookup() {
  // Ends the query if it is still pending (its callback sees ARES_EDESTRUCTION) and closes the
  // channel's sockets.
  if (channel_ != nullptr) ares_destroy(channel_);
}

void CaresLookup::start() {
  if (outcome_) return;
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // c-ares would sort every answer by RFC 6724; Go sorts DNS answers only (its own way, see
  // address_sort.hpp) and keeps hosts-file answers in file order.
  hints.ai_flags = ARES_AI_NOSORT | (hosts_path_from_environment_ ? ARES_AI_ENVHOSTS : 0);
  // The callback may run inside this call (hosts file): everything it needs is ready.
  starting_ = true;
  ares_getaddrinfo(channel_, host_.c_str(), nullptr, &hints, &CaresLookup::on_addrinfo, this);
  starting_ = false;
}

void CaresLookup::on_addrinfo(void* self, int status, int /*timeouts*/, ares_addrinfo* result) {
  static_cast<CaresLookup*>(self)->finish(status, result);
}

void CaresLookup::finish(int status, ares_addrinfo* result) {
  const bool from_hosts_file = starting_;
  std::vector<IpAddress> addrs;
  if (result != nullptr) {
    for (const ares_addrinfo_node* node = result->nodes; node != nullptr; node = node->ai_next) {
      if (auto ip = to_ip(node->ai_addr)) addrs.push_back(*ip);
    }
    ares_freeaddrinfo(result);
  }
  // Being destroyed: the last participant left, nobody reads the outcome.
  if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) return;
  if (status == ARES_SUCCESS && addrs.empty()) status = ARES_ENODATA;
  if (status == ARES_ECONNREFUSED && failure_rcode_ == kRcodeServerFailure) status = ARES_ESERVFAIL;
  if (status == ARES_ECONNREFUSED && failure_rcode_ == kRcodeRefused) status = ARES_EREFUSED;
  if (status != ARES_SUCCESS) {
    outcome_ = std::unexpected(lookup_error(status, host_, describe(servers())));
    return;
  }
  if (!from_hosts_file) sort_by_rfc6724(addrs);
  outcome_ = std::move(addrs);
}

void CaresLookup::note_answer(const unsigned char* packet, std::size_t length) noexcept {
  // The header's QR bit (byte 2) and RCODE (low bits of byte 3).
  if (length < 4 || (packet[2] & 0x80) == 0) return;
  const int rcode = packet[3] & 0x0f;
  if (rcode == kRcodeServerFailure || rcode == kRcodeRefused) failure_rcode_ = rcode;
}

Result<void> CaresLookup::step(const Context& ctx) {
  if (outcome_) return {};
  std::array<ares_socket_t, ARES_GETSOCK_MAXNUM> sockets{};
  const int bits = ares_getsock(channel_, sockets.data(), ARES_GETSOCK_MAXNUM);
  std::array<pollfd, ARES_GETSOCK_MAXNUM> fds{};
  std::size_t count = 0;
  for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
    short events = 0;
    if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
    if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
    if (events == 0) break;
    fds[count++] = pollfd{sockets[static_cast<std::size_t>(i)], events, 0};
  }
  timeval interval{};
  std::optional<TimePoint> retry_at;
  if (ares_timeout(channel_, nullptr, &interval) != nullptr) {
    retry_at = Clock::now() + std::chrono::seconds(interval.tv_sec) +
               std::chrono::microseconds(interval.tv_usec);
  }
  if (count == 0 && !retry_at) {
    outcome_ = std::unexpected(stalled(host_));
    return {};
  }

  auto waited = wait_io(std::span<pollfd>(fds.data(), count), ctx, retry_at);
  if (!waited) {
    // c-ares' own timer: time to resend or give up (ARES_ETIMEOUT).
    if (waited.error().code() != ErrorCode::timeout) return fail(std::move(waited.error()));
    ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    return {};
  }
  for (std::size_t i = 0; i < count; ++i) {
    const short revents = fds[i].revents;
    if (revents == 0) continue;
    const bool readable = (revents & (POLLIN | POLLERR | POLLHUP)) != 0;
    const bool writable = (fds[i].events & POLLOUT) != 0 && (revents & (POLLOUT | POLLERR)) != 0;
    ares_process_fd(channel_, readable ? fds[i].fd : ARES_SOCKET_BAD,
                    writable ? fds[i].fd : ARES_SOCKET_BAD);
  }
  return {};
}

std::vector<DnsServer> CaresLookup::servers() const {
  std::vector<DnsServer> servers;
  if (channel_ == nullptr) return servers;
  ares_addr_port_node* list = nullptr;
  if (ares_get_servers_ports(channel_, &list) != ARES_SUCCESS) return servers;
  for (const ares_addr_port_node* node = list; node != nullptr; node = node->next) {
    DnsServer server;
    if (node->family == AF_INET) {
      std::array<uint8_t, 4> bytes;
      std::memcpy(bytes.data(), &node->addr.addr4, 4);
      server.ip = IpAddress::v4(bytes);
    } else if (node->family == AF_INET6) {
      std::array<uint8_t, 16> bytes;
      std::memcpy(bytes.data(), &node->addr.addr6, 16);
      server.ip = IpAddress::v6(bytes);
    } else {
      continue;
    }
    server.port = node->udp_port != 0 ? static_cast<uint16_t>(node->udp_port) : 53;
    servers.push_back(server);
  }
  ares_free_data(list);
  return servers;
}

}  // namespace httptrace::net
