#pragma once
// Session: an nghttp2 client session, sans-I/O (STYLE §2) — bytes in (receive), bytes out
// (take_output), and StreamStates filled in by nghttp2's callbacks. It never touches a socket,
// a clock or a lock: ClientConnection drives it under its mutex.
//
// Flow control is manual (cpp-landscape §4.3): nghttp2_option_set_no_auto_window_update, the
// connection window is opened wide and handed back as DATA arrives, and a stream's window only
// as its reader takes the bytes (consume) — so a reader that stops reading stops its own
// stream and nothing else.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "http2/nghttp2_adapter.hpp"
#include "http2/stream_state.hpp"
#include "httptrace/error.hpp"

namespace httptrace::http2 {

struct SessionLimits {
  // SETTINGS_INITIAL_WINDOW_SIZE: how much of one response may wait unread (Go: 4 MiB).
  uint32_t stream_window = 4 << 20;
  // The connection's receive window (Go: 1 GiB); handed back as soon as DATA arrives.
  int32_t connection_window = 1 << 30;
  // SETTINGS_MAX_HEADER_LIST_SIZE, also enforced per stream over every head and the trailer
  // (RFC 9113 §6.5.2 size accounting: name + value + 32 per field).
  std::size_t max_header_list_bytes = 10 << 20;
};

// Told about what the callbacks did; called inside receive() / take_output().
class SessionListener {
 public:
  virtual ~SessionListener() = default;
  // `stream` has news for its owner: an event, body bytes, its end or its failure.
  virtual void stream_news(StreamState& stream) = 0;
  // `stream` no longer counts against the peer's SETTINGS_MAX_CONCURRENT_STREAMS.
  virtual void stream_closed(StreamState& stream) = 0;
  // SETTINGS, GOAWAY or a PING acknowledgement arrived.
  virtual void connection_news() = 0;
};

class Session {
 public:
  struct Goaway {
    int32_t last_stream_id = 0;
    uint32_t error_code = 0;
    std::string debug;
  };

  // Queues the connection preface, SETTINGS (push off, the windows, the header list size) and
  // the connection WINDOW_UPDATE. Fails only when nghttp2 cannot allocate.
  static Result<std::unique_ptr<Session>> make(const SessionLimits& limits,
                                               SessionListener& listener);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Bytes from the peer. An error is fatal for the connection (ErrorCode::protocol, naming
  // nghttp2's reason); a GOAWAY for the peer may still be queued in take_output().
  [[nodiscard]] Result<void> receive(std::span<const std::byte> bytes);
  // Appends what the session wants written to `out`, until `out` holds `limit` bytes or there
  // is no more.
  [[nodiscard]] Result<void> take_output(std::vector<std::byte>& out, std::size_t limit);
  // Neither side can do anything more (after GOAWAY in both directions, or a fatal error).
  bool finished() const noexcept;

  // Queues a request; `stream` receives its events. `with_body`: `stream` supplies DATA.
  // Returns the stream id, or ErrorCode::connection_reset (maybe_sent false) when no new
  // stream may start.
  [[nodiscard]] Result<int32_t> submit_request(std::span<const nghttp2_nv> fields,
                                               std::shared_ptr<StreamState> stream, bool with_body);
  // More request body bytes (or its end) are queued on `stream`.
  void resume(StreamState& stream);
  // RST_STREAM with `code` unless the stream is already gone.
  void reset(StreamState& stream, uint32_t code);
  // The reader took `n` body bytes: the stream's window reopens by that much.
  void consume(StreamState& stream, std::size_t n);
  // PING with an 8-byte payload; ping_acked() says when its ACK came (and forgets it).
  void ping(uint64_t payload);
  bool ping_acked(uint64_t payload);
  // GOAWAY(NO_ERROR) for the peer: we start nothing new.
  void goaway();

  // The peer's SETTINGS_MAX_CONCURRENT_STREAMS (nghttp2 assumes 100 until SETTINGS come).
  uint32_t peer_max_concurrent_streams() const noexcept;
  // Whether a new stream may start (no GOAWAY either way, stream ids left).
  bool request_allowed() const noexcept;
  const std::optional<Goaway>& goaway_received() const noexcept { return goaway_; }
  // Set once nghttp2 ended the connection over a protocol violation by the peer (it sent
  // GOAWAY with an error code): ErrorCode::protocol naming it.
  const std::optional<Error>& connection_error() const noexcept { return connection_error_; }
  // Streams nghttp2 still knows (to fail them when the connection dies).
  const std::unordered_map<int32_t, std::shared_ptr<StreamState>>& open_streams() const noexcept {
    return open_;
  }
  // Marks `stream` closed with `error` and forgets it (the connection died under it).
  void abandon(StreamState& stream, Error error);

 private:
  class Callbacks;
  friend class Callbacks;

  Session(const SessionLimits& limits, SessionListener& listener)
      : limits_(limits), listener_(listener) {}
  StreamState* find(int32_t stream_id) const noexcept;
  void forget(StreamState& stream);
  // The error a stream that closed before its response was complete ends with.
  Error close_error(const StreamState& stream, uint32_t code) const;
  void fail_stream(StreamState& stream, Error error, uint32_t reset_code);
  // What the callbacks decided but may not do inside nghttp2: resets and window updates.
  void settle();

  SessionLimits limits_;
  SessionListener& listener_;
  // Declared before the session, so nghttp2 is gone before the body sources it points to.
  std::unordered_map<int32_t, std::shared_ptr<StreamState>> open_;
  SessionPtr session_;
  std::optional<Goaway> goaway_;
  std::optional<Error> connection_error_;
  std::vector<uint64_t> acked_pings_;
  std::vector<std::pair<int32_t, uint32_t>> pending_resets_;
  std::size_t connection_unconsumed_ = 0;
};

}  // namespace httptrace::http2
