#pragma once
// StreamState: everything one HTTP/2 stream of a ClientConnection carries between the thread
// that drives the connection's I/O (nghttp2's callbacks fill it) and the thread that owns the
// request (round_trip, then the body's reader), which fires the hooks and reads the body.
//
// Every field is guarded by the owning connection's mutex. Shared ownership: the Session holds
// it while nghttp2 knows the stream, the round trip and the response body while they use it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "http2/nghttp2_adapter.hpp"
#include "httptrace/body.hpp"
#include "httptrace/error.hpp"
#include "httptrace/header.hpp"

namespace httptrace::http2 {

struct Waiter;

// What happened on a stream, in order, for the owner's hooks (trace-semantics "Our decisions":
// hooks fire on the calling thread, in the order things happened).
struct StreamEvent {
  enum class Kind : uint8_t {
    headers_sent,   // the HEADERS frame went out: wrote_headers
    first_byte,     // the first response HEADERS block was decoded: got_first_response_byte
    informational,  // a 1xx head: got_1xx_response (and got_100_continue)
    final_head,     // the final head
    request_sent,   // END_STREAM went out: wrote_request
  };
  Kind kind;
  int status = 0;
  bool end_stream = false;  // final_head: no body follows
  Header header;
};

// Received body bytes the reader has not taken yet: bounded by the stream's flow-control
// window, since the window reopens only as the reader consumes.
class ByteQueue {
 public:
  bool empty() const noexcept { return begin_ == bytes_.size(); }
  std::size_t size() const noexcept { return bytes_.size() - begin_; }
  void append(std::span<const std::byte> data);
  std::size_t take(std::span<std::byte> out) noexcept;
  void clear() noexcept;

 private:
  std::vector<std::byte> bytes_;
  std::size_t begin_ = 0;
};

class StreamState final : public DataSource {
 public:
  // nghttp2 pulls the request body (inside Session::take_output).
  DataChunk read(int32_t stream_id, std::span<std::byte> buf) override;

  // Bytes of the request body queued for nghttp2 but not yet taken.
  std::size_t queued_body() const noexcept {
    return memory.size() + (pending.size() - pending_begin);
  }
  // The owner should read more from `source` now.
  bool wants_body_bytes(std::size_t low_water) const noexcept {
    return source && !source_done && gate_open && !abandoned && !closed && !error &&
           queued_body() < low_water;
  }

  int32_t id = 0;
  bool head_request = false;  // a HEAD: nothing follows the final head whatever it says

  // The request body.
  std::unique_ptr<detail::BodySource> source;  // the owner reads a non-memory body from it
  std::span<const std::byte> memory;  // in-memory body not yet handed to nghttp2 (owned by source)
  std::vector<std::byte> pending;     // bytes the owner read, not yet handed to nghttp2
  std::size_t pending_begin = 0;
  bool source_done = true;  // every byte of the body is in memory/pending
  bool gate_open = true;    // false while the body waits for 100-continue
  bool deferred = false;    // nghttp2 was told to wait: resume_data when bytes come
  bool abandoned = false;   // the upload stops (a final answer >= 300 came first)
  bool headers_sent = false;
  bool end_sent = false;     // END_STREAM went out
  uint64_t body_handed = 0;  // request body bytes given to nghttp2

  // The response, in the order it arrived.
  std::vector<StreamEvent> events;
  Header block;  // the header block being decoded
  int block_status = 0;
  bool first_headers_seen = false;
  bool final_seen = false;
  int informational = 0;
  std::size_t header_bytes = 0;             // HPACK-accounted size of every block so far
  std::optional<uint64_t> declared_length;  // the final head's Content-Length
  uint64_t received = 0;                    // DATA payload delivered
  uint64_t announced = 0;                   // DATA frame lengths seen (padding included)
  bool end_stream_seen = false;  // a frame carried END_STREAM (even one nghttp2 rejected)
  bool remote_ended = false;     // the response is complete
  ByteQueue data;
  Header trailer;
  bool reading_abandoned = false;  // the body was closed: incoming data is dropped

  // The end.
  bool closed = false;  // nghttp2 forgot the stream (or it never started)
  uint32_t close_code = 0;
  bool reset_by_peer = false;
  uint32_t peer_reset_code = 0;
  std::string invalid_reason;  // why nghttp2 rejected a frame of this stream
  std::optional<Error> error;  // the stream failed: the first reason

  // The connection's bookkeeping.
  bool counted = false;      // holds one of the connection's stream slots
  Waiter* waiter = nullptr;  // the thread waiting for news of this stream
};

}  // namespace httptrace::http2
