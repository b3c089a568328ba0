#include "support/full_backlog.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>

namespace httptrace::testing {

namespace {

// A loopback handshake completes in microseconds; 200 ms without one means the SYN was dropped.
constexpr int kHandshakeWaitMs = 200;
constexpr int kMaxFillers = 16;

enum class Probe { connected, pending, failed };

Probe start_connect(std::uint16_t port, UniqueFd& out) {
  out.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!out) return Probe::failed;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(out.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
    return Probe::connected;
  }
  if (errno != EINPROGRESS) return Probe::failed;
  pollfd pfd{out.get(), POLLOUT, 0};
  if (::poll(&pfd, 1, kHandshakeWaitMs) == 0) return Probe::pending;
  int err = 0;
  socklen_t length = sizeof err;
  ::getsockopt(out.get(), SOL_SOCKET, SO_ERROR, &err, &length);
  return err == 0 ? Probe::connected : Probe::failed;
}

}  // namespace

FullBacklogListener listen_with_full_backlog() {
  auto listener = bind_loopback(Loopback::ipv4, 0, 0);
  if (!listener)
    throw std::runtime_error("listen_with_full_backlog: " + errno_text(listener.error()));
  const std::uint16_t port = local_port(listener->get());
  std::vector<UniqueFd> fillers;
  for (int i = 0; i < kMaxFillers; ++i) {
    UniqueFd probe;
    switch (start_connect(port, probe)) {
      case Probe::connected:
        fillers.push_back(std::move(probe));
        break;
      case Probe::pending:
        // Closing the probe drops its SYN_SENT state; the queue stays full of fillers.
        return FullBacklogListener(std::move(*listener), std::move(fillers), port);
      case Probe::failed:
        throw std::runtime_error("listen_with_full_backlog: a filler connect failed: " +
                                 errno_text(errno));
    }
  }
  throw std::runtime_error("listen_with_full_backlog: the kernel completed " +
                           std::to_string(kMaxFillers) + " handshakes on a listen(0) socket");
}

}  // namespace httptrace::testing
