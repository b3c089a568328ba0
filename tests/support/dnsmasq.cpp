#include "support/dnsmasq.hpp"

#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <vector>

#include "support/dns_message.hpp"
#include "support/loopback.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;

// A UDP port on 127.0.0.1 free right now. dnsmasq binds it a moment later; a race lost to
// another process shows as dnsmasq exiting, and the caller tries another port.
std::uint16_t free_udp_port() {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (!fd || ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("Dnsmasq: cannot find a free port: " + errno_text(errno));
  }
  return local_port(fd.get());
}

// Asks `port` for `name` until any answer comes back or `deadline` passes.
bool answers(std::uint16_t port, std::string_view name, ChildProcess& process,
             std::chrono::steady_clock::time_point deadline) {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (!fd ||
      ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return false;
  }
  const std::string query = encode_query(0x5eed, name, kTypeA);
  while (std::chrono::steady_clock::now() < deadline && process.running()) {
    [[maybe_unused]] auto sent = ::send(fd.get(), query.data(), query.size(), 0);
    pollfd ready{fd.get(), POLLIN, 0};
    if (::poll(&ready, 1, 50) > 0) {
      char buffer[512];
      const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
      if (n > 0 && parse_response(std::string_view(buffer, static_cast<std::size_t>(n))))
        return true;
    }
  }
  return false;
}

}  // namespace

bool Dnsmasq::available() {
  return find_program("dnsmasq").has_value();
}

Dnsmasq::Dnsmasq(std::string_view hosts, std::string_view local_domain) : dir_("dnsmasq") {
  write_file(dir_ / "hosts", hosts);
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (start_at(free_udp_port(), local_domain)) return;
  }
  throw std::runtime_error("dnsmasq did not come up; its log:\n" + log());
}

Dnsmasq::~Dnsmasq() {
  if (process_) process_->stop();
}

std::string Dnsmasq::server() const {
  return loopback_authority(Loopback::ipv4, port_);
}

std::string Dnsmasq::log() const {
  return read_file(dir_ / "dnsmasq.log");
}

bool Dnsmasq::start_at(std::uint16_t port, std::string_view local_domain) {
  const auto program = find_program("dnsmasq");
  if (!program) throw std::runtime_error("dnsmasq is not installed");
  std::vector<std::string> argv = {
      program->string(),
      "--keep-in-foreground",
      "--conf-file=/dev/null",  // not /etc/dnsmasq.conf
      "--no-resolv",            // no upstream servers from /etc/resolv.conf
      "--no-poll",
      "--no-hosts",  // not /etc/hosts
      "--addn-hosts=" + (dir_ / "hosts").string(),
      "--local=/" + std::string(local_domain) + "/",
      "--port=" + std::to_string(port),
      "--listen-address=127.0.0.1",
      "--bind-interfaces",
      "--cache-size=0",
      "--pid-file=",
      "--log-facility=-",
      "--log-queries",
  };
  // As root dnsmasq drops to "nobody", who could not read our private directory.
  if (::geteuid() == 0) {
    if (const passwd* user = ::getpwuid(::geteuid()))
      argv.push_back(std::string("--user=") + user->pw_name);
    if (const group* group = ::getgrgid(::getegid()))
      argv.push_back(std::string("--group=") + group->gr_name);
  }
  process_.emplace(ChildProcess::spawn(argv, dir_ / "dnsmasq.log"));
  const auto deadline = std::chrono::steady_clock::now() + scaled(10s);
  if (answers(port, "probe." + std::string(local_domain), *process_, deadline)) {
    port_ = port;
    return true;
  }
  process_->stop();
  process_.reset();
  return false;
}

}  // namespace httptrace::testing
