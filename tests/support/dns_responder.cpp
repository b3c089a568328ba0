#include "support/dns_responder.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <stdexcept>

#include "support/dns_message.hpp"

namespace httptrace::testing {
namespace {

using Clock = std::chrono::steady_clock;

Rcode rcode_of(DnsScript::Reply reply) {
  switch (reply) {
    case DnsScript::Reply::not_found:
      return Rcode::name_error;
    case DnsScript::Reply::server_failure:
      return Rcode::server_failure;
    case DnsScript::Reply::refused:
      return Rcode::refused;
    default:
      return Rcode::no_error;
  }
}

}  // namespace

DnsResponder::DnsResponder() {
  socket_.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  wake_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!socket_ || !wake_) throw std::runtime_error("DnsResponder: " + errno_text(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(socket_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("DnsResponder: bind: " + errno_text(errno));
  }
  port_ = local_port(socket_.get());
  thread_ = std::thread([this] { serve(); });
}

DnsResponder::~DnsResponder() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  signal();
  thread_.join();
}

std::string DnsResponder::server() const {
  return loopback_authority(Loopback::ipv4, port_);
}

void DnsResponder::script(std::string name, DnsScript script) {
  std::lock_guard lock(mu_);
  scripts_[std::move(name)] = std::move(script);
}

void DnsResponder::release(std::string_view name) {
  {
    std::lock_guard lock(mu_);
    if (auto it = scripts_.find(name); it != scripts_.end()) it->second.hold = false;
    for (Reply& reply : replies_) {
      if (reply.name == name) reply.held = false;
    }
  }
  signal();
}

int DnsResponder::queries(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = counts_.find(name);
  return it == counts_.end() ? 0 : it->second;
}

int DnsResponder::queries(std::string_view name, std::uint16_t type) const {
  std::lock_guard lock(mu_);
  auto it = typed_counts_.find({std::string(name), type});
  return it == typed_counts_.end() ? 0 : it->second;
}

int DnsResponder::total_queries() const {
  std::lock_guard lock(mu_);
  return total_;
}

bool DnsResponder::wait_for_queries(std::string_view name, int count,
                                    std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return arrived_.wait_for(lock, timeout, [&] {
    auto it = counts_.find(name);
    return it != counts_.end() && it->second >= count;
  });
}

void DnsResponder::signal() const noexcept {
  const uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(wake_.get(), &one, sizeof one);
}

void DnsResponder::serve() {
  for (;;) {
    int timeout_ms = -1;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      const auto now = Clock::now();
      for (const Reply& reply : replies_) {
        if (reply.held) continue;
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(reply.due - now).count();
        const int wait = static_cast<int>(std::max<long long>(0, left));
        timeout_ms = timeout_ms < 0 ? wait : std::min(timeout_ms, wait);
      }
    }
    pollfd fds[2] = {{socket_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    if (::poll(fds, 2, timeout_ms) < 0 && errno != EINTR) return;
    if (fds[1].revents != 0) {
      uint64_t count = 0;
      [[maybe_unused]] auto got = ::read(wake_.get(), &count, sizeof count);
    }
    if (fds[0].revents != 0) receive();
    send_due();
  }
}

void DnsResponder::receive() {
  for (;;) {
    char buffer[1500];
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof peer;
    const ssize_t n = ::recvfrom(socket_.get(), buffer, sizeof buffer, 0,
                                 reinterpret_cast<sockaddr*>(&peer), &peer_length);
    if (n < 0) return;
    auto question = parse_query(std::string_view(buffer, static_cast<std::size_t>(n)));
    if (!question) continue;

    std::lock_guard lock(mu_);
    ++counts_[question->name];
    ++typed_counts_[{question->name, question->type}];
    ++total_;
    arrived_.notify_all();
    DnsScript script;
    script.reply = DnsScript::Reply::not_found;
    if (auto it = scripts_.find(question->name); it != scripts_.end()) script = it->second;
    if (script.reply == DnsScript::Reply::silence) continue;
    const auto* bytes = reinterpret_cast<const unsigned char*>(&peer);
    replies_.push_back(Reply{Clock::now() + script.delay, question->name,
                             encode_response(*question, rcode_of(script.reply), script.addresses),
                             std::vector<unsigned char>(bytes, bytes + peer_length), script.hold});
  }
}

void DnsResponder::send_due() {
  std::vector<Reply> due;
  {
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    auto ready = [now](const Reply& reply) { return !reply.held && reply.due <= now; };
    std::copy_if(replies_.begin(), replies_.end(), std::back_inserter(due), ready);
    std::erase_if(replies_, ready);
  }
  for (const Reply& reply : due) {
    ::sendto(socket_.get(), reply.packet.data(), reply.packet.size(), 0,
             reinterpret_cast<const sockaddr*>(reply.peer.data()),
             static_cast<socklen_t>(reply.peer.size()));
  }
}

}  // namespace httptrace::testing
