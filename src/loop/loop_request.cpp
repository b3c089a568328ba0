// A loop request from start to completion: the checks and decisions Transport::round_trip makes
// before its first attempt, the attempts with their retry rules, the end of the context in any
// phase, and the completion callback.

#include "loop/loop_impl.hpp"
#include "transport/content_coding.hpp"
#include "transport/request_checks.hpp"
#include "transport/retry.hpp"

namespace httptrace {

using loop::Phase;
using loop::Task;

void EventLoop::Impl::start(Task& task) {
  const Request& request = *task.request;
  const Context& ctx = request.context();
  task.trace = context_client_trace(ctx);
  task.observer = detail::context_round_trip_observer(ctx);
  task.observer_finished = false;
  task.cancel_fd = -1;
  task.timeout_is_submit = false;
  task.sink = loop::BodySink{};
  if (task.observer != nullptr && task.observer->started) task.observer->started(request);

  // Everything that can be refused is refused before any hook fires (bad-inputs J).
  task.request_target = request.url().request_uri();
  if (auto checked = check_request(request, task.request_target); !checked)
    return complete(task, fail(std::move(checked.error())));
  if (const Error* err = ctx.err()) return complete(task, fail(*err));
  const Url& url = request.url();
  if (options.proxy) {
    auto proxy = options.proxy(request);
    if (!proxy) return complete(task, fail(std::move(proxy.error())));
    if (*proxy) {
      return complete(
          task, fail(ErrorCode::proxy, "proxy " + (*proxy)->redacted() + " for " + url.redacted() +
                                           ": not supported by EventLoop yet; use Client"));
    }
  }
  task.https = url.scheme() == "https";
  // A recycled task keeps its strings' capacity: appending reuses it.
  task.target.clear();
  url.append_host_port(task.target);
  task.key = url.scheme();
  task.key += '|';
  task.key += task.target;
  if (task.https) {
    auto config = tls.get();
    if (!config) return complete(task, fail(std::move(config.error())));
    task.key += '|';
    task.key += (*config)->identity();
  }
  const std::string_view host = request.host().empty() ? url.host() : request.host();
  task.host_header = host_without_zone(host);
  task.requested_gzip = requests_transparent_gzip(request, options);

  task.deadline = ctx.deadline();
  if (task.submit.timeout.count() > 0) {
    const loop::TimePoint by = loop::Clock::now() + task.submit.timeout;
    if (!task.deadline || by < *task.deadline) {
      task.deadline = by;
      task.timeout_is_submit = true;
    }
  }
  watch_cancel(task);
  arm(task);
  begin_attempt(task);
}

void EventLoop::Impl::begin_attempt(Task& task) {
  task.state = AttemptState{};
  task.info = GotConnInfo{};
  task.phase_deadline.reset();
  call_hook(task.trace, &ClientTrace::get_conn, std::string_view(task.target));
  std::chrono::nanoseconds idle_time{0};
  switch (acquire(task, idle_time)) {
    case Acquired::idle_conn: {
      auto conn = std::move(task.conn);
      use_conn(task, std::move(conn), true, idle_time);
      return;
    }
    case Acquired::slot:
      dial(task);
      return;
    case Acquired::waiting:
      task.phase = Phase::waiting_conn;
      return;
  }
}

void EventLoop::Impl::use_conn(Task& task, std::unique_ptr<loop::LoopConn> conn, bool was_idle,
                               std::chrono::nanoseconds idle_time) {
  task.info.conn = &conn->conn;
  task.info.reused = conn->conn.reused;
  task.info.was_idle = was_idle;
  task.info.idle_time = idle_time;
  conn->user = &task;
  task.conn = std::move(conn);
  call_hook(task.trace, &ClientTrace::got_conn, task.info);
  begin_exchange(task);
}

void EventLoop::Impl::fail_attempt(Task& task, Error error) {
  if (task.conn) close_conn(std::move(task.conn));  // never reused after an error
  task.phase_deadline.reset();
  if (should_retry(error, task.info.reused, task.state, *task.request)) {
    begin_attempt(task);
    return;
  }
  complete(task, fail(std::move(error)));
}

void EventLoop::Impl::end_context(Task& task, Error error) {
  switch (task.phase) {
    case Phase::free:
    case Phase::queued:
      return;
    case Phase::waiting_conn:
      remove_waiter(task);
      if (task.conn) {
        // Handed a connection just as the context ended: pass it on so nothing is lost.
        task.conn->user = nullptr;
        (void)put(std::move(task.conn));
      }
      if (task.slot_granted) {
        task.slot_granted = false;
        release_slot(task.key);
      }
      break;
    case Phase::connecting:
    case Phase::handshaking:
      abandon_dial(task, error);
      break;
    case Phase::writing:
    case Phase::awaiting_continue:
      // A failed write may have sent part of the request (http1_exchange's write_all).
      error.with_maybe_sent(true);
      if (task.conn) close_conn(std::move(task.conn));
      fire_wrote_request(task, &error);
      break;
    case Phase::reading_head:
      error.with_maybe_sent(task.state.bytes_written > 0);
      if (task.conn) close_conn(std::move(task.conn));
      break;
    case Phase::reading_body:
      if (task.conn) close_conn(std::move(task.conn));
      break;
  }
  complete(task, fail(std::move(error)));
}

Error EventLoop::Impl::timeout_error(const Task& task) const {
  const char* when = task.phase == Phase::reading_body ? "reading body" : "awaiting headers";
  return Error(
      ErrorCode::deadline_exceeded,
      std::string("context deadline exceeded (EventLoop timeout exceeded while ") + when + ")");
}

void EventLoop::Impl::complete(Task& task, Result<Response> outcome) {
  unwatch_cancel(task);
  if (task.conn) close_conn(std::move(task.conn));
  if (!task.observer_finished && task.observer != nullptr && task.observer->finished) {
    task.observer_finished = true;
    task.observer->finished(*task.request, outcome ? &*outcome : nullptr,
                            outcome ? nullptr : &outcome.error());
  }
  // Events and timers still queued for this task find it free and skip it; the slot is reused
  // only after this turn.
  task.phase = Phase::free;
  finished.push_back(&task);
  ++completed;
  Completion completion{std::move(outcome), task.sink.bytes, std::move(task.kept_body)};
  Callback done = std::move(task.done);
  task.done = nullptr;
  if (done) done(completion);
  in_flight.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace httptrace
