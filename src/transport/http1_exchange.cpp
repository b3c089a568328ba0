#include "transport/http1_exchange.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include "http1/request_writer.hpp"
#include "message/ascii.hpp"

namespace httptrace {
namespace {

using Clock = std::chrono::steady_clock;

[[gnu::hot]] bool wants_close(const Request& request) {
  if (request.close()) return true;
  if (request.header().empty()) return false;
  for (std::string_view value : request.header().values("Connection")) {
    if (ascii::list_has_token(value, "close")) return true;
  }
  return false;
}

// Reads until the parser completes one head (a 1xx or the final one), firing
// got_first_response_byte at the attempt's first byte. The status's reason views the
// connection's buffer and stays valid until the next read on it.
// Feeds what the connection's buffer holds to the parser: a head when one is complete,
// nullopt when more bytes are needed.
Result<std::optional<http1::StatusLine>> parse_buffered_head(PersistConn& conn, http1::ResponseHeadParser& parser,
                                                             Header& header, const ExchangeInput& in,
                                                             AttemptState& state) {
  ReadBuffer& buffer = conn.buffer();
  if (buffer.empty()) return std::nullopt;
  if (!state.first_byte_fired) {
    state.first_byte_fired = true;
    call_hook(in.trace, &ClientTrace::got_first_response_byte);
  }
  auto used = parser.feed(buffer.unread(), header);
  if (!used) {
    Error error = std::move(used.error());
    error.with_op("read headers").with_addr(conn.stream().remote_addr()).with_maybe_sent(true);
    return fail(std::move(error));
  }
  if (*used == 0) return std::nullopt;
  http1::StatusLine status = parser.status();
  buffer.consume(*used);
  return status;
}

[[gnu::hot]] Result<http1::StatusLine> read_head(PersistConn& conn, http1::ResponseHeadParser& parser, Header& header,
                                                 const ExchangeInput& in, std::optional<net::TimePoint> op_deadline,
                                                 AttemptState& state) {
  ReadBuffer& buffer = conn.buffer();
  for (;;) {
    auto parsed = parse_buffered_head(conn, parser, header, in, state);
    if (!parsed) return fail(std::move(parsed.error()));
    if (*parsed) return **parsed;
    auto space = buffer.space(1024);
    auto n = conn.stream().read(space, in.ctx, op_deadline);
    // A TLS peer closing without close_notify reports truncation; awaiting a head, that is
    // the connection closing (and on a reused one, a reason to retry).
    if (!n && n.error().code() == ErrorCode::body_truncated) n = std::size_t{0};
    if (!n) {
      Error error = std::move(n.error());
      if (error.code() != ErrorCode::canceled && error.code() != ErrorCode::deadline_exceeded) {
        error.with_op("read headers").with_addr(conn.stream().remote_addr());
      }
      return fail(std::move(error.with_maybe_sent(state.bytes_written > 0)));
    }
    if (*n == 0) {
      bool nothing = buffer.empty() && !state.first_byte_fired;
      Error error = nothing ? Error(ErrorCode::connection_reset,
                                    "server closed the connection without sending a response (EOF)")
                            : Error(ErrorCode::protocol, "unexpected EOF in the response head");
      error.with_op("read headers").with_addr(conn.stream().remote_addr()).with_maybe_sent(state.bytes_written > 0);
      return fail(std::move(error));
    }
    buffer.commit(*n);
  }
}

Error header_timeout_error(const PersistConn& conn) {
  Error error(ErrorCode::timeout, "net/http: timeout awaiting response headers");
  error.with_op("read headers").with_addr(conn.stream().remote_addr()).with_maybe_sent(true);
  return error;
}

class Exchange {
 public:
  Exchange(PersistConn& conn, const ExchangeInput& in, AttemptState& state, Response& response)
      : conn_(conn), in_(in), state_(state), response_(response), parser_(in.limits) {}

  Result<ExchangeOutput> run();

 private:
  Result<void> write_request();
  Result<void> write_all(std::span<const net::ConstBuffer> parts);
  Result<void> send_body();
  Result<void> stream_body(detail::BodySource& source);
  // Waits for "100 Continue" up to expect_continue_timeout; true when a final head arrived
  // instead (the body is then withheld).
  Result<bool> await_continue();
  // Handles an informational head just parsed; errors for a hook's abort or too many.
  Result<void> on_informational(int code);
  Result<http1::StatusLine> read_final_head();
  // Between body chunks: reads, without waiting, whatever the server already sent. True once
  // an error answer (3xx and up) is complete: the server does not want the rest of the body
  // (RFC 9112 §9.5). An early 2xx is kept for after the upload, which goes on — as curl does,
  // since servers such as nginx answer before they have read (and discarded) the body.
  Result<bool> answered_early();
  void fire_wrote_request(const Error* error);

  PersistConn& conn_;
  const ExchangeInput& in_;
  AttemptState& state_;
  Response& response_;
  http1::ResponseHeadParser parser_;
  ExchangeOutput out_;
  bool has_body_ = false;
  bool chunked_ = false;
  bool expect_continue_ = false;
  bool got_100_ = false;
  std::optional<http1::StatusLine> early_final_;  // a final head read before the body went out
};

void Exchange::fire_wrote_request(const Error* error) {
  if (state_.wrote_request_fired) return;
  state_.wrote_request_fired = true;
  call_hook(in_.trace, &ClientTrace::wrote_request, WroteRequestInfo{error});
}

[[gnu::hot]] Result<void> Exchange::write_all(std::span<const net::ConstBuffer> parts) {
  // Count what reached the socket even if the write fails midway: the retry rules need to
  // know whether *anything* went out.
  uint64_t total = 0;
  for (const auto& part : parts) total += part.size();
  auto written = conn_.stream().write(parts, in_.ctx);
  if (!written) {
    Error error = std::move(written.error());
    // A failed write may have sent part of the bytes; say so conservatively.
    if (state_.bytes_written > 0 || error.code() != ErrorCode::connection_reset) error.with_maybe_sent(true);
    return fail(std::move(error));
  }
  state_.bytes_written += total;
  return {};
}

Result<void> Exchange::on_informational(int code) {
  // Count first: the 6th informational head is an error and fires no hook (Go).
  auto next = parser_.next_head();
  if (!next) return fail(std::move(next.error().with_op("read headers").with_maybe_sent(true)));
  if (code == 100 && expect_continue_ && !got_100_) {
    got_100_ = true;
    call_hook(in_.trace, &ClientTrace::got_100_continue);
  }
  if (in_.trace != nullptr && in_.trace->got_1xx_response) {
    if (std::optional<Error> abort = in_.trace->got_1xx_response(code, response_.header())) {
      Error error(ErrorCode::aborted_by_hook,
                  "net/http: HTTP/1.x transport connection broken: " + abort->message());
      error.with_op("read headers").with_maybe_sent(true);
      return fail(std::move(error));
    }
  }
  return {};
}

Result<bool> Exchange::await_continue() {
  const auto timeout = in_.options.expect_continue_timeout;
  if (timeout.count() <= 0) return false;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto status = read_head(conn_, parser_, response_.header(), in_, deadline, state_);
    if (!status) {
      if (status.error().code() == ErrorCode::timeout) return false;  // send the body anyway
      return fail(std::move(status.error()));
    }
    if (status->code >= 100 && status->code < 200 && status->code != 101) {
      auto handled = on_informational(status->code);
      if (!handled) return fail(std::move(handled.error()));
      if (status->code == 100) return false;
      continue;
    }
    early_final_ = *status;
    return true;
  }
}

[[gnu::hot]] Result<void> Exchange::write_request() {
  const Request& request = in_.request;
  const RequestBody& body = request.body();
  http1::RequestHead head;
  head.method = request.method();
  head.target = in_.target;
  head.host = in_.host;
  head.header = &request.header();
  head.has_body = !body.is_empty();
  head.content_length = body.length();
  head.close = request.close();
  head.default_user_agent = in_.options.user_agent;
  head.accept_encoding_gzip = in_.requested_gzip;
  head.connection_close_extra = in_.options.disable_keep_alives && !wants_close(request);
  head.proxy_authorization = in_.proxy_authorization;
  head.omit_caller_proxy_authorization = !in_.plain_proxy;
  head.observed_values = &conn_.observed_values;

  std::string& buffer = conn_.head_buffer;
  buffer.clear();
  const http1::FieldObserver* observer =
      in_.trace != nullptr && in_.trace->wrote_header_field ? &in_.trace->wrote_header_field : nullptr;
  chunked_ = http1::write_request_head(head, buffer, observer);
  call_hook(in_.trace, &ClientTrace::wrote_headers);

  has_body_ = head.has_body && (chunked_ || body.length().value_or(0) > 0);
  expect_continue_ = has_body_ && http1::expects_continue(request.header(), has_body_);

  const auto head_bytes = std::as_bytes(std::span<const char>(buffer.data(), buffer.size()));
  if (expect_continue_) {
    auto written = write_all(std::span<const net::ConstBuffer>(&head_bytes, 1));
    if (!written) return written;
    call_hook(in_.trace, &ClientTrace::wait_100_continue);
    auto final_first = await_continue();
    if (!final_first) return fail(std::move(final_first.error()));
    if (*final_first) {
      state_.body_withheld = true;
      fire_wrote_request(nullptr);
      return {};
    }
    return send_body();
  }

  if (!has_body_) {
    auto written = write_all(std::span<const net::ConstBuffer>(&head_bytes, 1));
    if (!written) return written;
    state_.body_sent = true;
    fire_wrote_request(nullptr);
    return {};
  }

  // Head and an in-memory, Content-Length-framed body go out in one gather write.
  auto source = body.open();
  if (!source) return fail(std::move(source.error()));
  if (auto memory = (*source)->in_memory(); memory && !chunked_ && memory->size() == *body.length()) {
    net::ConstBuffer parts[2] = {head_bytes, *memory};
    auto written = write_all(parts);
    if (!written) return written;
    state_.body_sent = true;
    fire_wrote_request(nullptr);
    return {};
  }
  auto written = write_all(std::span<const net::ConstBuffer>(&head_bytes, 1));
  if (!written) return written;
  auto streamed = stream_body(**source);
  if (!streamed) return streamed;
  fire_wrote_request(nullptr);
  return {};
}

Result<void> Exchange::send_body() {
  auto source = in_.request.body().open();
  if (!source) return fail(std::move(source.error()));
  auto streamed = stream_body(**source);
  if (!streamed) return streamed;
  fire_wrote_request(nullptr);
  return {};
}

Result<void> Exchange::stream_body(detail::BodySource& source) {
  const std::optional<uint64_t> declared = in_.request.body().length();
  constexpr std::size_t kChunk = 16 * 1024;
  std::string framing;
  auto data = std::make_unique_for_overwrite<std::byte[]>(kChunk);
  uint64_t sent = 0;
  for (;;) {
    std::size_t want = kChunk;
    // With a declared length, read one byte past it to catch a longer body (bad-inputs J59).
    if (!chunked_ && declared) want = static_cast<std::size_t>(std::min<uint64_t>(kChunk, *declared - sent + 1));
    auto n = source.read(std::span<std::byte>(data.get(), want));
    if (!n) {
      Error error = std::move(n.error());
      error.with_op("write body").with_maybe_sent(state_.bytes_written > 0);
      return fail(std::move(error));
    }
    if (!chunked_ && declared && sent + *n > *declared) {
      return fail(Error(ErrorCode::invalid_request,
                        "http: ContentLength=" + std::to_string(*declared) + " with Body length " +
                            std::to_string(sent + *n) + " or more")
                      .with_op("write body")
                      .with_maybe_sent(true));
    }
    if (*n == 0) break;
    if (sent > 0) {
      auto answered = answered_early();
      if (!answered) return fail(std::move(answered.error()));
      if (*answered) {
        // Stop uploading; the connection closes after this response (never reused).
        state_.body_withheld = true;
        return {};
      }
    }
    sent += *n;
    net::ConstBuffer payload(data.get(), *n);
    if (chunked_) {
      framing.clear();
      http1::append_chunk_header(framing, *n);
      net::ConstBuffer parts[3] = {std::as_bytes(std::span<const char>(framing.data(), framing.size())), payload,
                                   std::as_bytes(std::span<const char>(http1::kChunkEnd.data(), http1::kChunkEnd.size()))};
      auto written = write_all(parts);
      if (!written) return written;
    } else {
      auto written = write_all(std::span<const net::ConstBuffer>(&payload, 1));
      if (!written) return written;
    }
  }
  if (!chunked_ && declared && sent != *declared) {
    return fail(Error(ErrorCode::invalid_request, "http: ContentLength=" + std::to_string(*declared) +
                                                      " with Body length " + std::to_string(sent))
                    .with_op("write body")
                    .with_maybe_sent(true));
  }
  if (chunked_) {
    auto end = std::as_bytes(std::span<const char>(http1::kLastChunk.data(), http1::kLastChunk.size()));
    auto written = write_all(std::span<const net::ConstBuffer>(&end, 1));
    if (!written) return written;
  }
  state_.body_sent = true;
  return {};
}

Result<bool> Exchange::answered_early() {
  if (early_final_) return false;  // a 2xx came: its head views the buffer, so read no more
  ReadBuffer& buffer = conn_.buffer();
  auto n = conn_.stream().try_read(buffer.space(1024));
  // A failed read or the peer's close: the next write or the head read reports it.
  if (!n || *n == 0 || *n == net::kWouldBlock) return false;
  buffer.commit(*n);
  for (;;) {
    auto parsed = parse_buffered_head(conn_, parser_, response_.header(), in_, state_);
    if (!parsed) return fail(std::move(parsed.error()));
    if (!*parsed) return false;
    const http1::StatusLine& status = **parsed;
    if (status.code >= 100 && status.code < 200 && status.code != 101) {
      auto handled = on_informational(status.code);
      if (!handled) return fail(std::move(handled.error()));
      continue;
    }
    early_final_ = status;
    return status.code >= 300;
  }
}

Result<http1::StatusLine> Exchange::read_final_head() {
  std::optional<net::TimePoint> deadline;
  if (in_.options.response_header_timeout.count() > 0) {
    deadline = Clock::now() + in_.options.response_header_timeout;
  }
  for (;;) {
    auto status = read_head(conn_, parser_, response_.header(), in_, deadline, state_);
    if (!status) {
      if (status.error().code() == ErrorCode::timeout && deadline) return fail(header_timeout_error(conn_));
      return status;
    }
    if (status->code >= 100 && status->code < 200 && status->code != 101) {
      auto handled = on_informational(status->code);
      if (!handled) return fail(std::move(handled.error()));
      continue;
    }
    return status;
  }
}

Result<ExchangeOutput> Exchange::run() {
  conn_.buffer().clear();
  auto written = write_request();
  if (!written) {
    Error error = std::move(written.error());
    if (error.op().empty()) error.with_op("write");
    fire_wrote_request(&error);
    return fail(std::move(error));
  }

  http1::StatusLine status;
  if (early_final_) {
    status = *early_final_;
  } else {
    auto final_head = read_final_head();
    if (!final_head) return fail(std::move(final_head.error()));
    status = *final_head;
  }

  Response& response = response_;
  response.set_status(status.code, status.reason);  // copies the reason before any further read
  response.set_proto(status.major, status.minor);

  auto plan = http1::plan_body(status, response.header(), in_.request.method() == "HEAD");
  if (!plan) {
    Error error = std::move(plan.error());
    error.with_op("read headers").with_addr(conn_.stream().remote_addr()).with_maybe_sent(true);
    return fail(std::move(error));
  }
  out_.plan = *plan;
  response.set_content_length(plan->kind == http1::BodyPlan::Kind::content_length ? std::optional(plan->length)
                                                                                   : plan->declared_length);
  // trace-semantics "Our decisions": a final answer before 100-continue closes the
  // connection; the server may still expect the body's bytes.
  out_.reusable = plan->reusable && state_.body_sent && !state_.body_withheld && !wants_close(in_.request) &&
                  !in_.options.disable_keep_alives;
  out_.head_bytes_used = parser_.bytes_used();
  out_.head_fields_used = parser_.fields_used();
  return std::move(out_);
}

}  // namespace

[[gnu::hot]] Result<ExchangeOutput> run_http1_exchange(PersistConn& conn, const ExchangeInput& in,
                                                       AttemptState& state, Response& response) {
  Exchange exchange(conn, in, state, response);
  return exchange.run();
}

}  // namespace httptrace
