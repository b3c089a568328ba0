#pragma once
// A listener that completes no more TCP handshakes: for dial-timeout tests (bad-inputs.md
// case 40, "connect to a full listen(0) backlog").
//
// How: listen(fd, 0) and never accept; connect filler sockets until one stays unanswered.
// Linux queues one completed connection for a backlog of 0 (the queue counts as full only
// when its length exceeds the backlog), then drops every further SYN without answering
// (tcp_conn_request: "listen overflow"), so a client's connect() stays in SYN_SENT and only its
// own timeout ends it — on loopback too, and deterministically while net.ipv4.tcp_syncookies
// and tcp_abort_on_overflow keep their defaults (syncookies never apply to a full *accept*
// queue). The helper proves it on creation: its last probe must stay unanswered, else it
// throws rather than hand out a listener that might accept.

#include <cstdint>
#include <string>
#include <vector>

#include "support/loopback.hpp"

namespace httptrace::testing {

class FullBacklogListener {
 public:
  FullBacklogListener(UniqueFd listener, std::vector<UniqueFd> fillers, std::uint16_t port)
      : listener_(std::move(listener)), fillers_(std::move(fillers)), port_(port) {}

  std::uint16_t port() const noexcept { return port_; }
  // "127.0.0.1:P".
  std::string authority() const { return loopback_authority(Loopback::ipv4, port_); }
  // Filler connections holding the queue (each is one open descriptor of this process).
  std::size_t filler_count() const noexcept { return fillers_.size(); }

 private:
  UniqueFd listener_;
  std::vector<UniqueFd> fillers_;
  std::uint16_t port_;
};

// A listener on 127.0.0.1 whose accept queue is full. Throws std::runtime_error if the kernel
// keeps completing handshakes (a platform where the trick does not hold).
FullBacklogListener listen_with_full_backlog();

}  // namespace httptrace::testing
