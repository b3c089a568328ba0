#pragma once
// ConnectAttempt: one non-blocking TCP connect to one address — what Go's dialSingle does for
// one entry of the address list, with its error wording ("dial tcp 127.0.0.1:80: connect:
// connection refused").

#include <cstdint>
#include <optional>
#include <string>

#include "httptrace/error.hpp"
#include "httptrace/ip_address.hpp"
#include "net/unique_fd.hpp"
#include "net/wait_io.hpp"

namespace httptrace::net {

class ConnectAttempt {
 public:
  enum class State { connected, pending };

  // `deadline`: this attempt's share of the dial's time (Go's partialDeadline), if any.
  ConnectAttempt(const IpAddress& ip, uint16_t port, std::optional<TimePoint> deadline);

  // Creates the socket and starts connecting: connected (rare on loopback), pending (poll the
  // fd for POLLOUT, then call finish), or the connect error.
  [[nodiscard]] Result<State> begin();
  // After poll reported the fd: connected, pending again (a self-connect was detected and the
  // connect restarted, as Go does), or the connect error.
  [[nodiscard]] Result<State> finish();

  int fd() const noexcept { return fd_.get(); }
  // Hands the connected socket over (still non-blocking).
  UniqueFd release() noexcept { return std::move(fd_); }
  // Closes the socket (a losing racer, an interrupted dial).
  void abandon() noexcept { fd_.reset(); }

  // "127.0.0.1:80" / "[::1]:80": the hooks' addr.
  const std::string& addr() const noexcept { return addr_; }
  const std::optional<TimePoint>& deadline() const noexcept { return deadline_; }

  // "dial tcp ADDR: i/o timeout" (ErrorCode::timeout): the attempt's share of time ran out.
  Error timed_out() const;
  // The attempt was cut short — by the context, by a failed poll, or by losing the race — with
  // `why`'s code, worded as Go's mapErr does ("operation was canceled", "i/o timeout").
  Error interrupted(const Error& why) const;

 private:
  Error failure(const char* call, int err) const;
  bool connected_to_itself() const;

  IpAddress ip_;
  uint16_t port_;
  std::string addr_;
  std::optional<TimePoint> deadline_;
  UniqueFd fd_;
  int restarts_ = 0;
};

}  // namespace httptrace::net
