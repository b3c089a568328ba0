#pragma once
// TestSocket: a connected loopback TCP socket with a read buffer and HTTP/1 readers — the I/O
// under a ScriptServer connection and a raw test client (dial_test_socket).
//
// Every wait is a poll() bounded by the read timeout (none by default: a wait ends with data,
// the peer's FIN/RST, or shutdown() of the socket by another thread, which is how a
// ScriptServer unblocks its handlers). Failures are values. One thread uses a TestSocket at a
// time.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "support/http_wire.hpp"
#include "support/loopback.hpp"

namespace httptrace::testing {

enum class IoFailure {
  eof,        // the peer closed (FIN) before the wanted bytes arrived
  reset,      // ECONNRESET / EPIPE
  timeout,    // the read timeout passed
  malformed,  // the bytes do not frame an HTTP/1 message (http_wire.hpp's rules)
  stopped,    // the owning server is shutting down
  closed,     // this side already closed the socket
  error,      // any other errno
};

struct IoError {
  IoFailure kind = IoFailure::error;
  std::string message;  // one line: what failed and what had arrived
};

template <class T>
using IoResult = std::expected<T, IoError>;

// "eof", "reset", ...
std::string_view to_string(IoFailure failure);

class TestSocket {
 public:
  // Takes a connected socket; makes it non-blocking. `stopping`, if given, turns the EOF that a
  // local shutdown() causes into IoFailure::stopped.
  explicit TestSocket(UniqueFd fd, const std::atomic<bool>* stopping = nullptr);

  int fd() const noexcept { return fd_.get(); }
  // Bounds each read and each wait for send space; nullopt: wait as long as it takes (the
  // default).
  void set_read_timeout(std::optional<std::chrono::milliseconds> timeout) { timeout_ = timeout; }
  // Bytes received but not consumed yet (the start of a pipelined request, say).
  const std::string& buffered() const noexcept { return buffer_; }
  // Total bytes received / sent on this socket so far.
  std::uint64_t bytes_received() const noexcept { return received_; }
  std::uint64_t bytes_sent() const noexcept { return sent_; }

  // Up to `max` bytes: what is buffered, else whatever one recv() returns.
  IoResult<std::string> read_some(std::size_t max = 64 * 1024);
  // Exactly `n` bytes (or an error; what arrived stays in buffered()).
  IoResult<std::string> read_exactly(std::size_t n);
  // Bytes up to and including the first `delimiter`.
  IoResult<std::string> read_until(std::string_view delimiter);

  // One request: head, then the body by Content-Length or chunked.
  IoResult<ScriptRequest> read_request();
  // Only the head; then read_body() (or read_exactly) for the body — for Expect: 100-continue
  // and for answering before an upload ends.
  IoResult<ScriptRequest> read_request_head();
  IoResult<void> read_body(ScriptRequest& request);
  // One response to a request with `request_method` (HEAD has no body). A 1xx is returned as
  // a response of its own; call again for the final one.
  IoResult<RawResponse> read_response(std::string_view request_method = "GET");

  // Writes all of `bytes`.
  IoResult<void> write(std::string_view bytes);

  // Waits until the peer closes (FIN or RST), buffering whatever it sends meanwhile. False on
  // timeout, when stopping, or if this side closed.
  bool wait_for_peer_close(std::chrono::milliseconds timeout);
  // Whether the peer has closed, without waiting.
  bool peer_closed();

  void shutdown_write() noexcept;
  // RST instead of FIN: SO_LINGER {on, 0}, then close.
  void reset() noexcept;
  void close() noexcept;
  bool is_open() const noexcept { return static_cast<bool>(fd_); }
  // shutdown(SHUT_RDWR) without closing: wakes a thread blocked on this socket. The only
  // member another thread may call, and only while the socket is open.
  void abort_io() noexcept;

 private:
  // Reads once into buffer_, waiting at most until `deadline`.
  IoResult<std::size_t> fill(std::optional<std::chrono::steady_clock::time_point> deadline);
  std::optional<std::chrono::steady_clock::time_point> read_deadline() const;
  IoError failure(IoFailure kind, std::string what) const;
  std::string consume(std::size_t n);

  UniqueFd fd_;
  const std::atomic<bool>* stopping_ = nullptr;
  std::optional<std::chrono::milliseconds> timeout_;
  std::string buffer_;
  bool peer_eof_ = false;
  std::uint64_t received_ = 0;
  std::uint64_t sent_ = 0;
};

// A raw client: connects to the loopback port within `timeout`. Throws std::runtime_error if the
// connect fails (a test client is fixture plumbing; a test of refusal uses connect_loopback).
TestSocket dial_test_socket(std::uint16_t port, Loopback family = Loopback::ipv4,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace httptrace::testing
