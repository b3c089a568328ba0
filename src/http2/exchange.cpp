// ClientConnection::round_trip: one request on its own stream — a slot, the HEADERS, the body
// (100-continue included), the informational heads and the final head — with the hooks of that
// span fired on the calling thread in the order things happened (trace-semantics §2, §5 i2).

#include <algorithm>
#include <stdexcept>

#include "http1/request_writer.hpp"
#include "http2/body_stream.hpp"
#include "http2/client_connection.hpp"
#include "http2/error_text.hpp"
#include "http2/request_fields.hpp"
#include "http2/status_text.hpp"
#include "transport/content_coding.hpp"

namespace httptrace::http2 {
namespace {

// A reader body is read ahead by up to this much; below the low water the owner reads more.
constexpr std::size_t kBodyChunk = 16 * 1024;
constexpr std::size_t kBodyLowWater = 64 * 1024;

Error body_length_error(uint64_t declared, uint64_t actual, bool or_more) {
  Error error(ErrorCode::invalid_request, "http: ContentLength=" + std::to_string(declared) +
                                              " with Body length " + std::to_string(actual) +
                                              (or_more ? " or more" : ""));
  error.with_op("write body").with_maybe_sent(true);
  return error;
}

}  // namespace

class Exchange {
 public:
  Exchange(ClientConnection& conn, const ClientConnection::RequestParams& params)
      : conn_(conn), params_(params), request_(*params.request), trace_(params.trace) {}

  Result<Response> run();

 private:
  using Clock = ClientConnection::Clock;
  using TimePoint = ClientConnection::TimePoint;

  Result<void> reserve_slot();
  void release_slot();
  Result<void> open_body();
  Result<void> submit();
  Result<Response> follow();
  Result<void> on_event(StreamEvent& event);
  Result<void> on_informational(StreamEvent& event);
  void on_final_head(StreamEvent& event);
  Result<void> feed_body();
  void open_gate();
  void abandon_upload();
  // The exchange is over for round_trip: the final head came and the upload is done, was
  // abandoned, or cannot go on (`ended`: the stream closed or failed).
  bool complete(bool ended) const {
    return final_ && (request_complete_ || upload_abandoned_ || ended);
  }
  std::optional<TimePoint> deadline() const;
  // Gives up on the stream: resets it, fires wrote_request if it has not fired, returns `error`.
  std::unexpected<Error> abort(Error error, uint32_t reset_code);
  void fire_wrote_request(const Error* error);
  // Errors: take_transparent_gzip's (the stream is reset).
  Result<Response> build_response();

  ClientConnection& conn_;
  const ClientConnection::RequestParams& params_;
  const Request& request_;
  const ClientTrace* trace_;
  std::shared_ptr<StreamState> stream_ = std::make_shared<StreamState>();
  std::optional<uint64_t> declared_;
  bool has_body_ = false;
  bool expect_continue_ = false;
  uint64_t body_read_ = 0;
  std::vector<std::byte> scratch_;

  bool wrote_request_fired_ = false;
  bool request_complete_ = false;  // END_STREAM went out
  bool upload_abandoned_ = false;
  std::optional<TimePoint> continue_deadline_;
  std::optional<TimePoint> header_deadline_;
  bool final_ = false;
  int status_ = 0;
  bool end_stream_ = false;
  Header header_;
};

Result<Response> ClientConnection::round_trip(const RequestParams& params) {
  if (params.request == nullptr)
    throw std::invalid_argument("http2::ClientConnection::round_trip: null request");
  const std::shared_ptr<ClientConnection> self = shared_from_this();
  Exchange exchange(*this, params);
  return exchange.run();
}

Result<Response> Exchange::run() {
  if (const Error* err = params_.ctx.err()) return fail(*err);
  stream_->head_request = request_.method() == "HEAD";
  if (auto slot = reserve_slot(); !slot) return fail(std::move(slot.error()));
  if (auto body = open_body(); !body) {
    release_slot();
    fire_wrote_request(&body.error());
    return fail(std::move(body.error()));
  }
  if (auto submitted = submit(); !submitted) {
    fire_wrote_request(&submitted.error());
    return fail(std::move(submitted.error()));
  }
  return follow();
}

// Go's awaitOpenSlotForRequest: wait while the peer's SETTINGS_MAX_CONCURRENT_STREAMS is
// reached, before any header field is traced.
Result<void> Exchange::reserve_slot() {
  std::unique_lock lock(conn_.mu_);
  auto slot_free = [&] { return conn_.has_capacity_locked() || !conn_.usable_locked(); };
  auto waited = conn_.await(lock, params_.ctx, std::nullopt, nullptr, slot_free);
  if (!waited) return fail(std::move(waited.error()));
  if (!conn_.usable_locked()) return fail(conn_.unusable_error());
  ++conn_.active_;
  stream_->counted = true;
  conn_.last_active_ = Clock::now();
  return {};
}

void Exchange::release_slot() {
  std::lock_guard lock(conn_.mu_);
  if (!stream_->counted) return;
  stream_->counted = false;
  --conn_.active_;
  conn_.connection_news();
}

Result<void> Exchange::open_body() {
  const RequestBody& body = request_.body();
  declared_ = body.length();
  has_body_ = !body.is_empty() && declared_.value_or(1) > 0;
  if (!has_body_) return {};
  auto source = body.open();
  if (!source) return fail(std::move(source.error().with_op("write body")));
  if (auto memory = (*source)->in_memory(); memory && declared_ && memory->size() == *declared_) {
    stream_->memory = *memory;
    stream_->source_done = true;
  } else {
    stream_->source_done = false;
  }
  stream_->source = std::move(*source);
  // trace-semantics §2 Wait100Continue: HTTP/2 waits only with a non-zero timeout.
  expect_continue_ = conn_.options_.expect_continue_timeout.count() > 0 &&
                     http1::expects_continue(request_.header(), true);
  stream_->gate_open = !expect_continue_;
  return {};
}

Result<void> Exchange::submit() {
  const Url& url = request_.url();
  const std::string path = url.request_uri();
  RequestHead head;
  head.method = request_.method();
  head.scheme = url.scheme();
  head.authority = params_.authority;
  head.path = path;
  head.header = &request_.header();
  if (http1::request_body_framing(request_.method(), !request_.body().is_empty(), declared_) ==
      http1::BodyFraming::content_length) {
    head.content_length = declared_.value_or(0);
  }
  head.accept_encoding_gzip = params_.requested_gzip;
  head.default_user_agent = conn_.options_.default_user_agent;
  const FieldObserver* observer =
      trace_ != nullptr && trace_->wrote_header_field ? &trace_->wrote_header_field : nullptr;
  RequestFields fields = RequestFields::build(head, observer);

  std::unique_lock lock(conn_.mu_);
  if (!conn_.usable_locked()) {
    lock.unlock();
    release_slot();
    return fail(conn_.unusable_error());
  }
  auto id = conn_.session_->submit_request(fields.nva(), stream_, has_body_);
  if (!id) {
    lock.unlock();
    release_slot();
    return fail(std::move(id.error().with_addr(conn_.stream_->remote_addr())));
  }
  conn_.output_queued_locked();
  return {};
}

std::optional<Exchange::TimePoint> Exchange::deadline() const {
  std::optional<TimePoint> deadline;
  if (continue_deadline_ && !stream_->gate_open) deadline = continue_deadline_;
  if (header_deadline_ && !final_) deadline = net::earliest(deadline, header_deadline_);
  return deadline;
}

Result<Response> Exchange::follow() {
  for (;;) {
    std::vector<StreamEvent> events;
    bool feed = false;
    std::optional<Error> failure;
    std::optional<Error> wait_error;
    bool ended = false;
    bool answered = false;
    {
      std::unique_lock lock(conn_.mu_);
      auto has_work = [&] {
        return !stream_->events.empty() || stream_->error || stream_->closed ||
               stream_->wants_body_bytes(kBodyLowWater);
      };
      auto waited = conn_.await(lock, params_.ctx, deadline(), stream_.get(), has_work);
      if (!waited) wait_error = std::move(waited.error());
      events.swap(stream_->events);
      feed = stream_->wants_body_bytes(kBodyLowWater);
      ended = stream_->closed || stream_->error.has_value();
      answered = stream_->remote_ended;
      if (stream_->error) {
        failure = stream_->error;
      } else if (stream_->closed && !stream_->remote_ended) {
        failure = conn_.fatal_ ? conn_.stream_failure(*stream_, *conn_.fatal_)
                               : Error(ErrorCode::protocol,
                                       stream_error_text(stream_->id, stream_->close_code,
                                                         "the stream closed early"));
      }
    }
    for (StreamEvent& event : events) {
      auto handled = on_event(event);
      if (!handled) return abort(std::move(handled.error()), NGHTTP2_PROTOCOL_ERROR);
    }
    if (complete(ended)) {
      if (!wrote_request_fired_) {
        // The upload stopped because the stream ended: answered, or failed.
        fire_wrote_request(failure && !answered ? &*failure : nullptr);
      }
      return build_response();
    }
    if (failure) {
      fire_wrote_request(&*failure);
      return fail(std::move(*failure));
    }
    if (wait_error) {
      if (wait_error->code() == ErrorCode::timeout) {
        if (continue_deadline_ && !stream_->gate_open && Clock::now() >= *continue_deadline_) {
          open_gate();  // no 100 in time: send the body anyway (trace-semantics §5 e2)
          continue;
        }
        Error error(ErrorCode::timeout, "net/http: timeout awaiting response headers");
        error.with_op("read headers").with_addr(conn_.stream_->remote_addr()).with_maybe_sent(true);
        return abort(std::move(error), NGHTTP2_CANCEL);
      }
      return abort(std::move(*wait_error), NGHTTP2_CANCEL);
    }
    if (feed) {
      if (auto fed = feed_body(); !fed) return abort(std::move(fed.error()), NGHTTP2_CANCEL);
    }
  }
}

Result<void> Exchange::on_event(StreamEvent& event) {
  switch (event.kind) {
    case StreamEvent::Kind::headers_sent:
      call_hook(trace_, &ClientTrace::wrote_headers);
      if (expect_continue_) {
        call_hook(trace_, &ClientTrace::wait_100_continue);
        continue_deadline_ = Clock::now() + conn_.options_.expect_continue_timeout;
      }
      return {};
    case StreamEvent::Kind::first_byte:
      call_hook(trace_, &ClientTrace::got_first_response_byte);
      return {};
    case StreamEvent::Kind::informational:
      return on_informational(event);
    case StreamEvent::Kind::request_sent:
      request_complete_ = true;
      fire_wrote_request(nullptr);
      if (conn_.options_.response_header_timeout.count() > 0) {
        header_deadline_ = Clock::now() + conn_.options_.response_header_timeout;
      }
      return {};
    case StreamEvent::Kind::final_head:
      on_final_head(event);
      return {};
  }
  return {};
}

Result<void> Exchange::on_informational(StreamEvent& event) {
  if (trace_ != nullptr && trace_->got_1xx_response) {
    if (std::optional<Error> abort = trace_->got_1xx_response(event.status, event.header)) {
      // trace-semantics §5 f3: the stream is reset, the connection stays usable.
      Error error(ErrorCode::aborted_by_hook,
                  stream_error_text(stream_->id, NGHTTP2_PROTOCOL_ERROR, abort->message()));
      error.with_op("read headers").with_maybe_sent(true);
      return fail(std::move(error));
    }
  }
  // HTTP/2 (Go, observed): got_100_continue for every 100, after got_1xx_response.
  if (event.status == 100) {
    call_hook(trace_, &ClientTrace::got_100_continue);
    if (!stream_->gate_open) open_gate();
  }
  return {};
}

void Exchange::on_final_head(StreamEvent& event) {
  final_ = true;
  status_ = event.status;
  end_stream_ = event.end_stream;
  header_ = std::move(event.header);
  if (!has_body_ || request_complete_) return;
  // Go's heuristic (h2 handleResponse): an answer >= 300 means the server does not want the
  // rest of the body; a 1xx/2xx one may still read it (full duplex), so it goes on.
  if (status_ >= 300) {
    abandon_upload();
  } else if (!stream_->gate_open) {
    open_gate();
  }
}

void Exchange::open_gate() {
  continue_deadline_.reset();
  std::lock_guard lock(conn_.mu_);
  if (stream_->gate_open) return;
  stream_->gate_open = true;
  if (conn_.fatal_) return;
  conn_.session_->resume(*stream_);
  conn_.output_queued_locked();
}

void Exchange::abandon_upload() {
  upload_abandoned_ = true;
  {
    std::lock_guard lock(conn_.mu_);
    stream_->abandoned = true;
    // RFC 9113 §8.1: once the response is complete, end our half with NO_ERROR; until then
    // the response is still wanted, so the stream stays (the body's close or end resets it).
    if (stream_->remote_ended && !conn_.fatal_) {
      conn_.session_->reset(*stream_, NGHTTP2_NO_ERROR);
      conn_.output_queued_locked();
    }
  }
  // As HTTP/1 (trace-semantics "Our decisions"): a body deliberately not sent is no error.
  fire_wrote_request(nullptr);
}

Result<void> Exchange::feed_body() {
  if (scratch_.empty()) scratch_.resize(kBodyChunk);
  std::size_t want = scratch_.size();
  // With a declared length, read one byte past it to catch a longer body (bad-inputs J59).
  if (declared_)
    want = static_cast<std::size_t>(std::min<uint64_t>(want, *declared_ - body_read_ + 1));
  auto n = stream_->source->read(std::span<std::byte>(scratch_.data(), want));
  if (!n) return fail(std::move(n.error().with_op("write body").with_maybe_sent(true)));
  if (declared_ && body_read_ + *n > *declared_)
    return fail(body_length_error(*declared_, body_read_ + *n, true));
  if (*n == 0 && declared_ && body_read_ != *declared_)
    return fail(body_length_error(*declared_, body_read_, false));
  body_read_ += *n;

  std::lock_guard lock(conn_.mu_);
  if (*n == 0) {
    stream_->source_done = true;
  } else {
    stream_->pending.insert(stream_->pending.end(), scratch_.begin(),
                            scratch_.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  if (conn_.fatal_) return {};
  conn_.session_->resume(*stream_);
  conn_.output_queued_locked();
  return {};
}

std::unexpected<Error> Exchange::abort(Error error, uint32_t reset_code) {
  {
    std::lock_guard lock(conn_.mu_);
    conn_.cancel_stream_locked(*stream_, error, reset_code);
  }
  fire_wrote_request(&error);
  return fail(std::move(error));
}

void Exchange::fire_wrote_request(const Error* error) {
  if (wrote_request_fired_) return;
  wrote_request_fired_ = true;
  call_hook(trace_, &ClientTrace::wrote_request, WroteRequestInfo{error});
}

Result<Response> Exchange::build_response() {
  Response response;
  response.set_status(status_, status_text(status_));
  response.set_proto(2, 0);
  response.header() = std::move(header_);
  const bool bodyless = end_stream_ || stream_->head_request;
  {
    std::lock_guard lock(conn_.mu_);
    if (stream_->declared_length) {
      response.set_content_length(stream_->declared_length);
    } else if (end_stream_ && !stream_->head_request) {
      response.set_content_length(0);
    }
    if (bodyless) stream_->reading_abandoned = true;
  }
  auto gunzip = take_transparent_gzip(response, params_.requested_gzip, !bodyless);
  if (!gunzip)
    return abort(std::move(gunzip.error().with_addr(conn_.stream_->remote_addr())), NGHTTP2_CANCEL);
  response.set_request(request_);
  response.set_tls(conn_.stream_->shared_tls());
  if (!bodyless) {
    response.set_body(ResponseBody(std::make_shared<Http2BodyStream>(
        conn_.shared_from_this(), stream_, params_.ctx, *gunzip)));
  }
  return response;
}

}  // namespace httptrace::http2
