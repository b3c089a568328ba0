// One HTTP/1 exchange on a loop connection — the non-blocking twin of http1_exchange.cpp and
// body_stream.cpp: the same head serialisation and hooks, 100-continue with a loop timer, an
// early final answer withholding the body, informational heads, the final head's framing and
// transparent gunzip, and the end of the exchange that pools the connection (put_idle_conn).

#include <algorithm>
#include <string>

#include "http1/request_writer.hpp"
#include "loop/loop_impl.hpp"
#include "message/ascii.hpp"
#include "transport/content_coding.hpp"

namespace httptrace {
namespace {

using loop::AfterWrite;
using loop::Phase;
using loop::Task;

constexpr std::size_t kBodyChunk = 16 * 1024;

bool wants_close(const Request& request) {
  if (request.close()) return true;
  for (std::string_view value : request.header().values("Connection")) {
    if (ascii::list_has_token(value, "close")) return true;
  }
  return false;
}

net::ConstBuffer bytes_of(std::string_view text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

}  // namespace

void EventLoop::Impl::fire_wrote_request(Task& task, const Error* error) {
  if (task.state.wrote_request_fired) return;
  task.state.wrote_request_fired = true;
  call_hook(task.trace, &ClientTrace::wrote_request, WroteRequestInfo{error});
}

void EventLoop::Impl::begin_exchange(Task& task) {
  PersistConn& conn = task.conn->conn;
  const Request& request = *task.request;
  const RequestBody& body = request.body();
  conn.buffer().clear();
  task.parser.reset();
  task.response = Response();
  task.early_final.reset();
  task.got_100 = false;
  task.source.reset();
  task.source_done = false;
  task.body_streamed = 0;
  task.write_blocked = false;
  ++task.exchange_serial;
  task.phase = Phase::writing;

  http1::RequestHead head;
  head.method = request.method();
  head.target = task.request_target;
  head.host = task.host_header;
  head.header = &request.header();
  head.has_body = !body.is_empty();
  head.content_length = body.length();
  head.close = request.close();
  head.default_user_agent = options.user_agent;
  head.accept_encoding_gzip = task.requested_gzip;
  head.connection_close_extra = options.disable_keep_alives && !wants_close(request);
  head.omit_caller_proxy_authorization = true;
  std::string& buffer = conn.head_buffer;
  buffer.clear();
  const http1::FieldObserver* observer = task.trace != nullptr && task.trace->wrote_header_field
                                             ? &task.trace->wrote_header_field
                                             : nullptr;
  task.chunked = http1::write_request_head(head, buffer, observer);
  call_hook(task.trace, &ClientTrace::wrote_headers);

  task.has_body = head.has_body && (task.chunked || body.length().value_or(0) > 0);
  task.expect_continue = task.has_body && http1::expects_continue(request.header(), task.has_body);
  task.pending[0] = bytes_of(buffer);
  task.pending_first = 0;
  task.pending_count = 1;
  if (task.expect_continue) {
    task.after_write = AfterWrite::await_continue;
  } else if (!task.has_body) {
    task.after_write = AfterWrite::request_written;
  } else {
    auto source = body.open();
    if (!source) return write_failed(task, std::move(source.error()));
    task.source = std::move(*source);
    // Head and an in-memory, Content-Length-framed body go out in one gather write.
    if (auto memory = task.source->in_memory();
        memory && !task.chunked && memory->size() == *body.length()) {
      task.pending[1] = *memory;
      task.pending_count = 2;
      task.after_write = AfterWrite::request_written;
    } else {
      task.after_write = AfterWrite::next_body_chunk;
    }
  }
  flush(task);
}

bool EventLoop::Impl::write_pending(Task& task) {
  loop::LoopConn& conn = *task.conn;
  while (task.pending_first < task.pending_count) {
    auto parts = std::span<const net::ConstBuffer>(task.pending + task.pending_first,
                                                   task.pending_count - task.pending_first);
    auto n = conn.conn.stream().try_write(parts);
    if (!n) {
      Error error = std::move(n.error());
      // A failed write may have sent part of the bytes; say so conservatively.
      if (task.state.bytes_written > 0 || error.code() != ErrorCode::connection_reset)
        error.with_maybe_sent(true);
      write_failed(task, std::move(error));
      return false;
    }
    if (*n == net::kWouldBlock) {
      if (!task.write_blocked) {
        task.write_blocked = true;
        // While the body goes out, an early answer must wake us too (keep_uploading).
        const bool uploading =
            task.after_write == AfterWrite::next_body_chunk && !task.early_final;
        set_interest(conn, uploading ? EPOLLOUT | EPOLLIN : EPOLLOUT);
      }
      return false;
    }
    task.state.bytes_written += *n;
    std::size_t written = *n;
    while (written > 0 && task.pending_first < task.pending_count) {
      net::ConstBuffer& part = task.pending[task.pending_first];
      const std::size_t take = std::min(written, part.size());
      part = part.subspan(take);
      written -= take;
      if (part.empty()) ++task.pending_first;
    }
    while (task.pending_first < task.pending_count && task.pending[task.pending_first].empty())
      ++task.pending_first;
  }
  if (task.write_blocked) {
    task.write_blocked = false;
    set_interest(conn, EPOLLIN);
  }
  return true;
}

void EventLoop::Impl::flush(Task& task) {
  for (;;) {
    if (!write_pending(task)) return;
    if (task.after_write != AfterWrite::next_body_chunk) return written(task);
    const bool sent_some = task.body_streamed > 0;
    if (!produce_chunk(task)) return;
    // Only while more body is to go: an answer to the whole body is read in order, after
    // wrote_request (as the blocking Transport does).
    if (sent_some && !task.source_done && !keep_uploading(task)) return;
  }
}

void EventLoop::Impl::stop_upload(Task& task) {
  task.source.reset();
  task.pending_first = task.pending_count = 0;
  if (task.write_blocked) {
    task.write_blocked = false;
    set_interest(*task.conn, EPOLLIN);
  }
}

bool EventLoop::Impl::keep_uploading(Task& task) {
  if (task.early_final) return true;  // a 2xx came: its head views the buffer, so read no more
  ReadBuffer& buffer = task.conn->conn.buffer();
  auto n = task.conn->conn.stream().try_read(buffer.space(1024));
  // A failed read or the peer's close: the next write or the head read reports it.
  if (!n || *n == 0 || *n == net::kWouldBlock) return true;
  buffer.commit(*n);
  const uint32_t serial = task.exchange_serial;
  read_heads(task, false);  // in Phase::writing a final head ends the upload
  return task.phase == Phase::writing && task.exchange_serial == serial;
}

bool EventLoop::Impl::produce_chunk(Task& task) {
  if (task.source_done) {
    request_written(task);
    return false;
  }
  const std::optional<uint64_t> declared = task.request->body().length();
  if (!task.chunk) task.chunk = std::make_unique_for_overwrite<std::byte[]>(kBodyChunk);
  std::size_t want = kBodyChunk;
  // With a declared length, read one byte past it to catch a longer body (bad-inputs J59).
  if (!task.chunked && declared) {
    want = static_cast<std::size_t>(
        std::min<uint64_t>(kBodyChunk, *declared - task.body_streamed + 1));
  }
  auto n = task.source->read(std::span<std::byte>(task.chunk.get(), want));
  if (!n) {
    Error error = std::move(n.error());
    error.with_op("write body").with_maybe_sent(task.state.bytes_written > 0);
    write_failed(task, std::move(error));
    return false;
  }
  const uint64_t sent = task.body_streamed + *n;
  if (!task.chunked && declared && (sent > *declared || (*n == 0 && sent != *declared))) {
    std::string message = "http: ContentLength=" + std::to_string(*declared) +
                          " with Body length " + std::to_string(sent) +
                          (sent > *declared ? " or more" : "");
    write_failed(task, Error(ErrorCode::invalid_request, std::move(message))
                           .with_op("write body")
                           .with_maybe_sent(true));
    return false;
  }
  task.pending_first = 0;
  if (*n == 0) {
    task.source_done = true;
    if (!task.chunked) {
      request_written(task);
      return false;
    }
    task.pending[0] = bytes_of(http1::kLastChunk);
    task.pending_count = 1;
    return true;
  }
  task.body_streamed = sent;
  const net::ConstBuffer payload(task.chunk.get(), *n);
  if (task.chunked) {
    task.framing.clear();
    http1::append_chunk_header(task.framing, *n);
    task.pending[0] = bytes_of(task.framing);
    task.pending[1] = payload;
    task.pending[2] = bytes_of(http1::kChunkEnd);
    task.pending_count = 3;
  } else {
    task.pending[0] = payload;
    task.pending_count = 1;
  }
  return true;
}

void EventLoop::Impl::written(Task& task) {
  switch (task.after_write) {
    case AfterWrite::request_written:
      return request_written(task);
    case AfterWrite::await_continue:
      call_hook(task.trace, &ClientTrace::wait_100_continue);
      if (options.expect_continue_timeout.count() <= 0) return send_body(task);
      task.phase = Phase::awaiting_continue;
      task.phase_deadline = loop::Clock::now() + options.expect_continue_timeout;
      arm(task);
      return read_heads(task, false);
    case AfterWrite::next_body_chunk:
      return;  // flush() goes on
  }
}

void EventLoop::Impl::send_body(Task& task) {
  task.phase = Phase::writing;
  task.phase_deadline.reset();
  auto source = task.request->body().open();
  if (!source) return write_failed(task, std::move(source.error()));
  task.source = std::move(*source);
  task.after_write = AfterWrite::next_body_chunk;
  task.pending_first = task.pending_count = 0;
  flush(task);
}

void EventLoop::Impl::request_written(Task& task) {
  task.state.body_sent = true;
  fire_wrote_request(task, nullptr);
  task.source.reset();
  task.phase = Phase::reading_head;
  if (options.response_header_timeout.count() > 0) {
    task.phase_deadline = loop::Clock::now() + options.response_header_timeout;
    arm(task);
  }
  read_heads(task, false);
}

void EventLoop::Impl::write_failed(Task& task, Error error) {
  if (error.op().empty()) error.with_op("write");
  fire_wrote_request(task, &error);
  fail_attempt(task, std::move(error));
}

void EventLoop::Impl::on_conn_event(loop::LoopConn& conn, uint32_t events) {
  if (conn.closed) return;
  if (conn.user == nullptr) return on_idle_event(conn);
  Task& task = *conn.user;
  const bool trouble = (events & (EPOLLERR | EPOLLHUP)) != 0;
  switch (task.phase) {
    case Phase::writing:
      if ((events & EPOLLIN) != 0 && task.after_write == AfterWrite::next_body_chunk &&
          !keep_uploading(task)) {
        return;
      }
      if (task.write_blocked && ((events & EPOLLOUT) != 0 || trouble)) flush(task);
      return;
    case Phase::awaiting_continue:
    case Phase::reading_head:
      return read_heads(task, (events & EPOLLIN) != 0 || trouble);
    case Phase::reading_body:
      return read_body(task, (events & EPOLLIN) != 0 || trouble);
    default:
      return;
  }
}

// http1_exchange.cpp's read_head, one readable socket at a time: heads already buffered are
// parsed first; then reads until a head completes or the socket has nothing more.
void EventLoop::Impl::read_heads(Task& task, bool readable) {
  if (task.early_final && task.phase == Phase::reading_head) {
    const http1::StatusLine status = *task.early_final;
    task.early_final.reset();
    return on_final_head(task, status, task.early_head_length);
  }
  PersistConn& conn = task.conn->conn;
  ReadBuffer& buffer = conn.buffer();
  for (;;) {
    if (!buffer.empty()) {
      if (!task.state.first_byte_fired) {
        task.state.first_byte_fired = true;
        call_hook(task.trace, &ClientTrace::got_first_response_byte);
      }
      auto used = task.parser.feed(buffer.unread(), task.response.header());
      if (!used) {
        Error error = std::move(used.error());
        error.with_op("read headers").with_addr(conn.remote_addr()).with_maybe_sent(true);
        return fail_attempt(task, std::move(error));
      }
      if (*used > 0) {
        const http1::StatusLine status = task.parser.status();
        if (status.code >= 100 && status.code < 200 && status.code != 101) {
          buffer.consume(*used);
          if (!on_informational(task, status.code)) return;
          if (task.phase == Phase::awaiting_continue && status.code == 100) return send_body(task);
          continue;
        }
        if (task.phase == Phase::writing && status.code < 300) {
          // An early 2xx: the upload goes on (servers such as nginx answer before reading the
          // body, then discard it); the head is taken up once the request is written.
          task.early_final = status;
          task.early_head_length = *used;
          if (task.write_blocked) set_interest(*task.conn, EPOLLOUT);
          return;
        }
        if (task.phase == Phase::awaiting_continue || task.phase == Phase::writing) {
          // trace-semantics "Our decisions": a final answer before 100-continue, or while the
          // body goes out (RFC 9112 §9.5); the rest of the body is withheld and the connection
          // will not be reused.
          task.state.body_withheld = true;
          task.phase_deadline.reset();
          stop_upload(task);
          fire_wrote_request(task, nullptr);
        }
        return on_final_head(task, status, *used);
      }
    }
    if (!readable && !conn.stream().has_buffered_input()) return;
    auto n = conn.stream().try_read(buffer.space(1024));
    // A TLS peer closing without close_notify reports truncation; awaiting a head, that is the
    // connection closing (and on a reused one, a reason to retry).
    if (!n && n.error().code() == ErrorCode::body_truncated) n = std::size_t{0};
    if (!n) {
      Error error = std::move(n.error());
      error.with_op("read headers")
          .with_addr(conn.remote_addr())
          .with_maybe_sent(task.state.bytes_written > 0);
      return fail_attempt(task, std::move(error));
    }
    if (*n == net::kWouldBlock) return;
    if (*n == 0) {
      const bool nothing = buffer.empty() && !task.state.first_byte_fired;
      Error error = nothing ? Error(ErrorCode::connection_reset,
                                    "server closed the connection without sending a response (EOF)")
                            : Error(ErrorCode::protocol, "unexpected EOF in the response head");
      error.with_op("read headers")
          .with_addr(conn.remote_addr())
          .with_maybe_sent(task.state.bytes_written > 0);
      return fail_attempt(task, std::move(error));
    }
    buffer.commit(*n);
  }
}

bool EventLoop::Impl::on_informational(Task& task, int code) {
  // Count first: the 6th informational head is an error and fires no hook (Go).
  auto next = task.parser.next_head();
  if (!next) {
    fail_attempt(task, std::move(next.error().with_op("read headers").with_maybe_sent(true)));
    return false;
  }
  if (code == 100 && task.expect_continue && !task.got_100) {
    task.got_100 = true;
    call_hook(task.trace, &ClientTrace::got_100_continue);
  }
  if (task.trace != nullptr && task.trace->got_1xx_response) {
    if (std::optional<Error> abort = task.trace->got_1xx_response(code, task.response.header())) {
      Error error(ErrorCode::aborted_by_hook,
                  "net/http: HTTP/1.x transport connection broken: " + abort->message());
      error.with_op("read headers").with_maybe_sent(true);
      fail_attempt(task, std::move(error));
      return false;
    }
  }
  return true;
}

void EventLoop::Impl::on_final_head(Task& task, const http1::StatusLine& status,
                                    std::size_t head_length) {
  PersistConn& conn = task.conn->conn;
  Response& response = task.response;
  response.set_status(status.code, status.reason);  // copies the reason before the buffer moves
  response.set_proto(status.major, status.minor);
  conn.buffer().consume(head_length);
  task.phase_deadline.reset();
  const Request& request = *task.request;
  auto plan = http1::plan_body(status, response.header(), request.method() == "HEAD");
  if (!plan) {
    Error error = std::move(plan.error());
    error.with_op("read headers").with_addr(conn.remote_addr()).with_maybe_sent(true);
    return fail_attempt(task, std::move(error));
  }
  response.set_content_length(plan->kind == http1::BodyPlan::Kind::content_length
                                  ? std::optional(plan->length)
                                  : plan->declared_length);
  task.reusable = plan->reusable && task.state.body_sent && !task.state.body_withheld &&
                  !wants_close(request) && !options.disable_keep_alives;
  response.set_request(request);
  response.set_tls(conn.shared_tls());
  auto gunzip =
      take_transparent_gzip(response, task.requested_gzip, plan->kind != http1::BodyPlan::Kind::none);
  if (!gunzip) return fail_attempt(task, std::move(gunzip.error()));
  if (task.observer != nullptr && task.observer->finished) {
    task.observer_finished = true;
    task.observer->finished(request, &response, nullptr);
  }
  task.sink = loop::BodySink{task.submit.keep_body ? &task.kept_body : nullptr, 0};
  const bool bodyless = plan->kind == http1::BodyPlan::Kind::none ||
                        (plan->kind == http1::BodyPlan::Kind::content_length && plan->length == 0);
  if (bodyless) return finish_exchange(task);
  task.phase = Phase::reading_body;
  task.body.start(*plan, limits, task.parser.bytes_used(), task.parser.fields_used(), *gunzip);
  read_body(task, false);
}

void EventLoop::Impl::read_body(Task& task, bool readable) {
  PersistConn& conn = task.conn->conn;
  ReadBuffer& buffer = conn.buffer();
  for (;;) {
    auto complete_now = task.body.consume(buffer, task.sink);
    if (!complete_now) return body_failed(task, std::move(complete_now.error()));
    if (*complete_now) return finish_exchange(task);
    if (!readable && !conn.stream().has_buffered_input()) return;
    // A body read straight past the connection's buffer when the framing allows: no copy.
    const bool raw = task.body.takes_raw() && buffer.empty();
    std::span<std::byte> into =
        raw ? std::span<std::byte>(scratch.get(), static_cast<std::size_t>(std::min<uint64_t>(
                                                      task.body.raw_limit(), 64 * 1024)))
            : buffer.space(1);
    auto n = conn.stream().try_read(into);
    if (!n) {
      Error error = std::move(n.error());
      if (error.op().empty()) error.with_op("read body");
      return body_failed(task, std::move(error));
    }
    if (*n == net::kWouldBlock) return;
    if (*n == 0) {
      auto ended = task.body.end_of_stream(task.sink);
      if (!ended) return body_failed(task, std::move(ended.error()));
      return finish_exchange(task);
    }
    if (!raw) {
      buffer.commit(*n);
      continue;
    }
    auto done_now = task.body.consume_raw(std::span<const std::byte>(scratch.get(), *n), task.sink);
    if (!done_now) return body_failed(task, std::move(done_now.error()));
    if (*done_now) return finish_exchange(task);
  }
}

void EventLoop::Impl::body_failed(Task& task, Error error) {
  if (task.conn && error.addr().empty()) error.with_addr(task.conn->conn.remote_addr());
  complete(task, fail(std::move(error)));  // the connection closes: bytes are left on the wire
}

// body_stream.cpp's finish_exchange: pooled only when reusable and nothing unread follows the
// response (bad-inputs B12), with put_idle_conn reporting the pool's verdict (§6).
void EventLoop::Impl::finish_exchange(Task& task) {
  std::unique_ptr<loop::LoopConn> conn = std::move(task.conn);
  if (!task.reusable || !conn->conn.buffer().empty()) {
    close_conn(std::move(conn));
  } else {
    PutResult result = put(std::move(conn));
    switch (result.outcome) {
      case PutOutcome::pooled:
      case PutOutcome::handed_over:
        call_hook(task.trace, &ClientTrace::put_idle_conn, nullptr);
        break;
      case PutOutcome::refused:
        call_hook(task.trace, &ClientTrace::put_idle_conn, &*result.error);
        break;
      case PutOutcome::not_pooled:
        break;
    }
  }
  complete(task, std::move(task.response));
}

}  // namespace httptrace
