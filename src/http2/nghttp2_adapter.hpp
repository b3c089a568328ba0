#pragma once
// The one file that touches nghttp2's ssize_t-era API (cpp-landscape §4.3). nghttp2 1.52 has
// nghttp2_session_mem_recv / mem_send and an nghttp2_data_provider whose read callback returns
// ssize_t; 1.60+ deprecates them for the nghttp2_ssize "*2" variants. Everything else in
// src/http2/ (and the tests' server session) goes through these wrappers, so moving to the new
// API changes this file only.

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace httptrace::http2 {

struct SessionDeleter {
  void operator()(nghttp2_session* session) const noexcept { nghttp2_session_del(session); }
};
using SessionPtr = std::unique_ptr<nghttp2_session, SessionDeleter>;

struct OptionDeleter {
  void operator()(nghttp2_option* option) const noexcept { nghttp2_option_del(option); }
};
using OptionPtr = std::unique_ptr<nghttp2_option, OptionDeleter>;

struct CallbacksDeleter {
  void operator()(nghttp2_session_callbacks* callbacks) const noexcept {
    nghttp2_session_callbacks_del(callbacks);
  }
};
using CallbacksPtr = std::unique_ptr<nghttp2_session_callbacks, CallbacksDeleter>;

// Feeds received bytes to `session`; its callbacks run inside. Returns 0, or a negative
// nghttp2_error (the session is then unusable when nghttp2_is_fatal says so).
int receive(nghttp2_session* session, std::span<const std::byte> bytes);

// The next bytes `session` wants written (its callbacks run inside): empty when there are none.
// Valid until the next call on the session. `error` is a negative nghttp2_error on failure.
struct Outgoing {
  std::span<const std::byte> bytes;
  int error = 0;
};
Outgoing next_outgoing(nghttp2_session* session);

// What a DataSource produced for one DATA frame.
struct DataChunk {
  std::size_t size = 0;       // bytes written into the buffer
  bool end = false;           // the body ends after these bytes
  bool keep_open = false;     // with `end`: trailers follow, so no END_STREAM on this frame
  bool deferred = false;      // nothing now; nghttp2_session_resume_data when there is
  bool reset_stream = false;  // give up on the stream (nghttp2 resets it, INTERNAL_ERROR)
};

// A request or response body that nghttp2 pulls from while it builds DATA frames (inside
// next_outgoing). Must live until the stream closes.
class DataSource {
 public:
  virtual ~DataSource() = default;
  virtual DataChunk read(int32_t stream_id, std::span<std::byte> buf) = 0;
};

// nghttp2_submit_request with `body` as the data provider (null: END_STREAM on HEADERS).
// Returns the stream id, or a negative nghttp2_error.
int32_t submit_request(nghttp2_session* session, std::span<const nghttp2_nv> fields,
                       DataSource* body, void* stream_user_data);

// nghttp2_submit_response likewise (the tests' server).
int submit_response(nghttp2_session* session, int32_t stream_id, std::span<const nghttp2_nv> fields,
                    DataSource* body);

}  // namespace httptrace::http2
