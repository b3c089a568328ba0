#include "http2/session.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "http2/error_text.hpp"

namespace httptrace::http2 {
namespace {

std::string_view view(const uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// RFC 9113 §6.5.2: a field's size is its name and value plus 32 octets of overhead.
constexpr std::size_t kFieldOverhead = 32;
// Go: max1xxResponses.
constexpr int kMaxInformational = 5;
constexpr std::size_t kPingAcksKept = 16;

std::optional<uint64_t> parse_content_length(const Header& header) {
  auto value = header.get("Content-Length");
  if (!value || value->empty()) return std::nullopt;
  uint64_t length = 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), length);
  if (ec != std::errc() || end != value->data() + value->size()) return std::nullopt;
  return length;
}

void encode_ping(uint64_t payload, uint8_t out[8]) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(payload & 0xff);
    payload >>= 8;
  }
}

uint64_t decode_ping(const uint8_t data[8]) {
  uint64_t payload = 0;
  for (int i = 0; i < 8; ++i) payload = (payload << 8) | data[i];
  return payload;
}

Error with_op(Error error, const StreamState& stream) {
  error.with_op(stream.final_seen ? "read body" : "read headers");
  return error;
}

}  // namespace

// nghttp2's C callbacks, forwarding to the Session in user_data.
class Session::Callbacks {
 public:
  static Session& self(void* user_data) { return *static_cast<Session*>(user_data); }

  static int on_begin_frame(nghttp2_session*, const nghttp2_frame_hd* hd, void* user_data) {
    StreamState* stream = self(user_data).find(hd->stream_id);
    if (stream == nullptr) return 0;
    if (hd->type == NGHTTP2_DATA) stream->announced += hd->length;
    if ((hd->type == NGHTTP2_DATA || hd->type == NGHTTP2_HEADERS) &&
        (hd->flags & NGHTTP2_FLAG_END_STREAM)) {
      stream->end_stream_seen = true;
    }
    return 0;
  }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    StreamState* stream = self(user_data).find(frame->hd.stream_id);
    if (stream == nullptr) return 0;
    stream->block.clear();
    stream->block_status = 0;
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t /*flags*/,
                       void* user_data) {
    Session& session = self(user_data);
    StreamState* stream = session.find(frame->hd.stream_id);
    if (stream == nullptr || stream->error) return 0;
    stream->header_bytes += namelen + valuelen + kFieldOverhead;
    if (stream->header_bytes > session.limits_.max_header_list_bytes) {
      Error error(ErrorCode::headers_too_large,
                  "http2: server response headers exceeded " +
                      std::to_string(session.limits_.max_header_list_bytes) + " bytes; aborted");
      stream->error = with_op(std::move(error.with_maybe_sent(true)), *stream);
      session.listener_.stream_news(*stream);
      // nghttp2 resets the stream (INTERNAL_ERROR) and carries on with the connection.
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    const std::string_view key = view(name, namelen);
    if (key == ":status") {
      int status = 0;
      std::from_chars(reinterpret_cast<const char*>(value),
                      reinterpret_cast<const char*>(value) + valuelen, status);
      stream->block_status = status;
      return 0;
    }
    if (!key.empty() && key.front() == ':') return 0;
    // Go canonicalises HTTP/2 response keys as HTTP/1 ones ("content-type" → "Content-Type").
    stream->block.add(key, view(value, valuelen));
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    Session& session = self(user_data);
    switch (frame->hd.type) {
      case NGHTTP2_HEADERS:
        on_headers(session, frame);
        break;
      case NGHTTP2_DATA:
        if (StreamState* stream = session.find(frame->hd.stream_id);
            stream != nullptr && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
          stream->remote_ended = true;
          session.listener_.stream_news(*stream);
        }
        break;
      case NGHTTP2_RST_STREAM:
        if (StreamState* stream = session.find(frame->hd.stream_id); stream != nullptr) {
          stream->reset_by_peer = true;
          stream->peer_reset_code = frame->rst_stream.error_code;
        }
        break;
      case NGHTTP2_GOAWAY: {
        Goaway goaway;
        goaway.last_stream_id = frame->goaway.last_stream_id;
        goaway.error_code = frame->goaway.error_code;
        goaway.debug.assign(reinterpret_cast<const char*>(frame->goaway.opaque_data),
                            frame->goaway.opaque_data_len);
        session.goaway_ = std::move(goaway);
        session.listener_.connection_news();
        break;
      }
      case NGHTTP2_PING:
        if (frame->hd.flags & NGHTTP2_FLAG_ACK) {
          if (session.acked_pings_.size() >= kPingAcksKept)
            session.acked_pings_.erase(session.acked_pings_.begin());
          session.acked_pings_.push_back(decode_ping(frame->ping.opaque_data));
          session.listener_.connection_news();
        }
        break;
      case NGHTTP2_SETTINGS:
        session.listener_.connection_news();
        break;
      default:
        break;
    }
    return 0;
  }

  static void on_headers(Session& session, const nghttp2_frame* frame) {
    StreamState* stream = session.find(frame->hd.stream_id);
    if (stream == nullptr || stream->error) return;
    const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    // trace-semantics §2: for HTTP/2, the first byte is the first decoded HEADERS block.
    if (!stream->first_headers_seen) {
      stream->first_headers_seen = true;
      stream->events.push_back(StreamEvent{StreamEvent::Kind::first_byte, 0, false, {}});
    }
    if (stream->final_seen) {
      stream->trailer = std::move(stream->block);
    } else if (stream->block_status >= 100 && stream->block_status < 200) {
      if (++stream->informational > kMaxInformational) {
        session.fail_stream(
            *stream,
            with_op(Error(ErrorCode::protocol, "http2: too many 1xx informational responses"),
                    *stream)
                .with_maybe_sent(true),
            NGHTTP2_CANCEL);
        return;
      }
      stream->events.push_back(StreamEvent{StreamEvent::Kind::informational, stream->block_status,
                                           false, std::move(stream->block)});
    } else {
      stream->final_seen = true;
      stream->declared_length = parse_content_length(stream->block);
      stream->events.push_back(StreamEvent{StreamEvent::Kind::final_head, stream->block_status,
                                           end_stream, std::move(stream->block)});
    }
    stream->block.clear();
    if (end_stream) stream->remote_ended = true;
    session.listener_.stream_news(*stream);
  }

  static int on_data_chunk(nghttp2_session*, uint8_t /*flags*/, int32_t stream_id,
                           const uint8_t* data, size_t len, void* user_data) {
    Session& session = self(user_data);
    // The connection window reopens at once: only stream windows exert back-pressure.
    session.connection_unconsumed_ += len;
    StreamState* stream = session.find(stream_id);
    if (stream == nullptr) return 0;
    stream->received += len;
    if (stream->reading_abandoned) {
      nghttp2_session_consume_stream(session.session_.get(), stream_id, len);
      return 0;
    }
    stream->data.append(std::span(reinterpret_cast<const std::byte*>(data), len));
    session.listener_.stream_news(*stream);
    return 0;
  }

  static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    Session& session = self(user_data);
    if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR &&
        !session.connection_error_) {
      // nghttp2 ends the connection itself on a violation (RFC 9113 §5.4.1); its debug data
      // names it ("DATA: stream_id == 0").
      std::string text = "http2: connection error: " + error_code_name(frame->goaway.error_code);
      if (frame->goaway.opaque_data_len > 0) {
        text += ": ";
        text.append(reinterpret_cast<const char*>(frame->goaway.opaque_data),
                    frame->goaway.opaque_data_len);
      }
      Error error(ErrorCode::protocol, std::move(text));
      session.connection_error_ = std::move(error.with_op("read"));
      return 0;
    }
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    StreamState* stream = session.find(frame->hd.stream_id);
    if (stream == nullptr) return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && !stream->headers_sent) {
      stream->headers_sent = true;
      stream->events.push_back(StreamEvent{StreamEvent::Kind::headers_sent, 0, false, {}});
    }
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
      stream->end_sent = true;
      stream->events.push_back(StreamEvent{StreamEvent::Kind::request_sent, 0, false, {}});
    }
    session.listener_.stream_news(*stream);
    return 0;
  }

  static int on_frame_not_send(nghttp2_session*, const nghttp2_frame* frame, int lib_error_code,
                               void* user_data) {
    Session& session = self(user_data);
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    StreamState* stream = session.find(frame->hd.stream_id);
    if (stream == nullptr) return 0;
    if (!stream->error) {
      // The request never left: safe to send again elsewhere (GOAWAY, ids exhausted, closing).
      Error error(ErrorCode::connection_reset, std::string("http2: the request was not sent: ") +
                                                   nghttp2_strerror(lib_error_code));
      stream->error = std::move(error.with_op("write").with_maybe_sent(false));
    }
    session.forget(*stream);
    return 0;
  }

  static int on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                             void* user_data) {
    Session& session = self(user_data);
    StreamState* stream = session.find(stream_id);
    if (stream == nullptr) return 0;
    stream->close_code = error_code;
    if (!stream->remote_ended && !stream->error)
      stream->error = session.close_error(*stream, error_code);
    session.forget(*stream);
    return 0;
  }

  static int on_invalid_frame_recv(nghttp2_session*, const nghttp2_frame* frame, int lib_error_code,
                                   void* user_data) {
    StreamState* stream = self(user_data).find(frame->hd.stream_id);
    if (stream != nullptr && stream->invalid_reason.empty())
      stream->invalid_reason = nghttp2_strerror(lib_error_code);
    return 0;
  }
};

Result<std::unique_ptr<Session>> Session::make(const SessionLimits& limits,
                                               SessionListener& listener) {
  std::unique_ptr<Session> session(new Session(limits, listener));

  nghttp2_session_callbacks* raw_callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&raw_callbacks) != 0)
    return fail(ErrorCode::network, "http2: out of memory");
  CallbacksPtr callbacks(raw_callbacks);
  nghttp2_session_callbacks_set_on_begin_frame_callback(raw_callbacks, &Callbacks::on_begin_frame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(raw_callbacks,
                                                          &Callbacks::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(raw_callbacks, &Callbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(raw_callbacks, &Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(raw_callbacks,
                                                            &Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_send_callback(raw_callbacks, &Callbacks::on_frame_send);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(raw_callbacks,
                                                           &Callbacks::on_frame_not_send);
  nghttp2_session_callbacks_set_on_stream_close_callback(raw_callbacks,
                                                         &Callbacks::on_stream_close);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(raw_callbacks,
                                                               &Callbacks::on_invalid_frame_recv);

  nghttp2_option* raw_option = nullptr;
  if (nghttp2_option_new(&raw_option) != 0) return fail(ErrorCode::network, "http2: out of memory");
  OptionPtr option(raw_option);
  nghttp2_option_set_no_auto_window_update(raw_option, 1);
  nghttp2_option_set_max_send_header_block_length(raw_option, 1 << 20);

  nghttp2_session* raw_session = nullptr;
  if (nghttp2_session_client_new2(&raw_session, raw_callbacks, session.get(), raw_option) != 0) {
    return fail(ErrorCode::network, "http2: out of memory");
  }
  session->session_.reset(raw_session);

  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, limits.stream_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
       static_cast<uint32_t>(std::min<std::size_t>(limits.max_header_list_bytes, UINT32_MAX))},
  };
  if (nghttp2_submit_settings(raw_session, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0 ||
      nghttp2_session_set_local_window_size(raw_session, NGHTTP2_FLAG_NONE, 0,
                                            limits.connection_window) != 0) {
    return fail(ErrorCode::network, "http2: out of memory");
  }
  return session;
}

Session::~Session() = default;

StreamState* Session::find(int32_t stream_id) const noexcept {
  if (stream_id <= 0) return nullptr;
  auto it = open_.find(stream_id);
  return it == open_.end() ? nullptr : it->second.get();
}

void Session::forget(StreamState& stream) {
  auto it = open_.find(stream.id);
  if (it == open_.end()) return;
  std::shared_ptr<StreamState> keep = std::move(it->second);
  open_.erase(it);
  stream.closed = true;
  listener_.stream_closed(stream);
  listener_.stream_news(stream);
}

Error Session::close_error(const StreamState& stream, uint32_t code) const {
  if (stream.reset_by_peer) {
    const uint32_t peer_code = stream.peer_reset_code;
    Error error(peer_code == NGHTTP2_CANCEL ? ErrorCode::canceled : ErrorCode::protocol,
                stream_error_text(stream.id, peer_code, "received from peer"));
    // RFC 9113 §8.7: REFUSED_STREAM means the server processed nothing of it.
    error.with_maybe_sent(peer_code != NGHTTP2_REFUSED_STREAM);
    return with_op(std::move(error), stream);
  }
  if (goaway_ && stream.id > goaway_->last_stream_id) {
    Error error(
        ErrorCode::connection_reset,
        "http2: server sent GOAWAY (last stream " + std::to_string(goaway_->last_stream_id) + ", " +
            error_code_name(goaway_->error_code) + ") before stream " + std::to_string(stream.id) +
            " was processed; it can be retried on another connection");
    return with_op(std::move(error.with_maybe_sent(false)), stream);
  }
  if (code == NGHTTP2_PROTOCOL_ERROR && stream.declared_length && !stream.head_request) {
    const uint64_t declared = *stream.declared_length;
    if (stream.announced > declared) {
      Error error(ErrorCode::protocol,
                  "http2: server sent more than the declared Content-Length of " +
                      std::to_string(declared) + " bytes on stream " + std::to_string(stream.id));
      return with_op(std::move(error.with_maybe_sent(true)), stream);
    }
    if (stream.end_stream_seen && stream.received < declared) {
      Error error(ErrorCode::body_truncated,
                  "unexpected EOF: the body of stream " + std::to_string(stream.id) +
                      " ended after " + std::to_string(stream.received) + " of " +
                      std::to_string(declared) + " bytes (Content-Length)");
      return with_op(std::move(error.with_maybe_sent(true)), stream);
    }
  }
  std::string cause =
      stream.invalid_reason.empty() ? "the stream was reset" : stream.invalid_reason;
  Error error(ErrorCode::protocol, stream_error_text(stream.id, code, cause));
  return with_op(std::move(error.with_maybe_sent(true)), stream);
}

void Session::fail_stream(StreamState& stream, Error error, uint32_t reset_code) {
  if (!stream.error) stream.error = std::move(error);
  pending_resets_.emplace_back(stream.id, reset_code);
  listener_.stream_news(stream);
}

void Session::abandon(StreamState& stream, Error error) {
  if (!stream.error && !stream.remote_ended) stream.error = std::move(error);
  forget(stream);
}

void Session::settle() {
  for (const auto& [id, code] : pending_resets_) {
    if (find(id) != nullptr) nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, id, code);
  }
  pending_resets_.clear();
  if (connection_unconsumed_ > 0) {
    nghttp2_session_consume_connection(session_.get(), connection_unconsumed_);
    connection_unconsumed_ = 0;
  }
}

Result<void> Session::receive(std::span<const std::byte> bytes) {
  const int rv = http2::receive(session_.get(), bytes);
  settle();
  if (rv != 0) {
    Error error(ErrorCode::protocol,
                std::string("http2: connection error: ") + nghttp2_strerror(rv));
    return fail(std::move(error.with_op("read")));
  }
  return {};
}

Result<void> Session::take_output(std::vector<std::byte>& out, std::size_t limit) {
  while (out.size() < limit) {
    const Outgoing next = next_outgoing(session_.get());
    if (next.error != 0) {
      Error error(ErrorCode::protocol,
                  std::string("http2: connection error: ") + nghttp2_strerror(next.error));
      return fail(std::move(error.with_op("write")));
    }
    if (next.bytes.empty()) break;
    out.insert(out.end(), next.bytes.begin(), next.bytes.end());
  }
  settle();
  return {};
}

bool Session::finished() const noexcept {
  return nghttp2_session_want_read(session_.get()) == 0 &&
         nghttp2_session_want_write(session_.get()) == 0;
}

Result<int32_t> Session::submit_request(std::span<const nghttp2_nv> fields,
                                        std::shared_ptr<StreamState> stream, bool with_body) {
  const int32_t id = http2::submit_request(session_.get(), fields,
                                           with_body ? stream.get() : nullptr, stream.get());
  if (id < 0) {
    Error error(ErrorCode::connection_reset,
                std::string("http2: cannot start a new stream: ") + nghttp2_strerror(id));
    return fail(std::move(error.with_op("write").with_maybe_sent(false)));
  }
  stream->id = id;
  open_.emplace(id, std::move(stream));
  return id;
}

void Session::resume(StreamState& stream) {
  if (!stream.deferred || find(stream.id) == nullptr) return;
  stream.deferred = false;
  nghttp2_session_resume_data(session_.get(), stream.id);
}

void Session::reset(StreamState& stream, uint32_t code) {
  if (find(stream.id) == nullptr) return;
  nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, stream.id, code);
}

void Session::consume(StreamState& stream, std::size_t n) {
  if (n == 0 || find(stream.id) == nullptr) return;
  nghttp2_session_consume_stream(session_.get(), stream.id, n);
}

void Session::ping(uint64_t payload) {
  uint8_t opaque[8];
  encode_ping(payload, opaque);
  nghttp2_submit_ping(session_.get(), NGHTTP2_FLAG_NONE, opaque);
}

bool Session::ping_acked(uint64_t payload) {
  for (auto it = acked_pings_.begin(); it != acked_pings_.end(); ++it) {
    if (*it == payload) {
      acked_pings_.erase(it);
      return true;
    }
  }
  return false;
}

void Session::goaway() {
  nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_.get()), NGHTTP2_NO_ERROR,
                        nullptr, 0);
}

uint32_t Session::peer_max_concurrent_streams() const noexcept {
  return nghttp2_session_get_remote_settings(session_.get(),
                                             NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

bool Session::request_allowed() const noexcept {
  return !goaway_ && nghttp2_session_check_request_allowed(session_.get()) != 0;
}

}  // namespace httptrace::http2
