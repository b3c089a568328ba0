// The loop's turn: submissions in, one epoll_wait, events and timers dispatched to their tasks,
// and the contexts' done signals watched with the sockets.

#include "httptrace/event_loop.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "context/context_node.hpp"
#include "loop/loop_impl.hpp"
#include "transport/transport_setup.hpp"

namespace httptrace {
namespace {

using loop::Phase;
using loop::Task;

// epoll data: a connection's address as is; the other kinds tagged in the top bits, which no
// user-space address uses.
constexpr uint64_t kKindShift = 62;
constexpr uint64_t kKindMask = uint64_t{3} << kKindShift;
constexpr uint64_t kTaskKind = uint64_t{1} << kKindShift;
constexpr uint64_t kWakeKind = uint64_t{2} << kKindShift;
constexpr uint64_t kCancelKind = uint64_t{3} << kKindShift;

constexpr std::size_t kMaxEvents = 256;
constexpr std::size_t kScratchBytes = 64 * 1024;
// Unused done-signal registrations kept for the next request of the same context (a load run's
// shared context) before they are dropped.
constexpr std::size_t kMaxCancelWatches = 16;

}  // namespace

EventLoop::Impl::Impl(TransportOptions opts) : options(std::move(opts)), tls(options) {
  check_transport_options(options);
  resolver = resolver_for(options);
  limits.max_header_bytes = options.max_response_header_bytes;
  epoll_fd.reset(::epoll_create1(EPOLL_CLOEXEC));
  wake_fd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!epoll_fd || !wake_fd) {
    throw std::invalid_argument(std::string("EventLoop: cannot create epoll / eventfd: ") +
                                std::strerror(errno));
  }
  watch(wake_fd.get(), EPOLLIN, kWakeKind);
  events.resize(kMaxEvents);
  scratch = std::make_unique_for_overwrite<std::byte[]>(kScratchBytes);
}

EventLoop::Impl::~Impl() {
  const Error gone(ErrorCode::canceled, "event loop destroyed");
  {
    std::lock_guard lock(submit_mu);
    for (Submission& s : incoming) local.push_back(std::move(s));
    incoming.clear();
  }
  for (Submission& s : local) {
    Completion completion{fail(gone), 0, {}};
    if (s.done) s.done(completion);
  }
  local.clear();
  for (auto& task : tasks) {
    if (task->phase == Phase::free || task->phase == Phase::queued) continue;
    end_context(*task, gone);
  }
  for (auto& [key, pool] : hosts) pool.idle.clear();
  graveyard.clear();
  cancel_watches.clear();
}

// --- submissions ---------------------------------------------------------------------------

void EventLoop::Impl::submit(Submission submission) {
  in_flight.fetch_add(1, std::memory_order_relaxed);
  if (loop_thread.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
    local.push_back(std::move(submission));
    return;
  }
  {
    std::lock_guard lock(submit_mu);
    incoming.push_back(std::move(submission));
  }
  eventfd_write(wake_fd.get(), 1);
}

void EventLoop::Impl::drain_submissions() {
  for (;;) {
    draining.clear();
    std::swap(draining, local);
    {
      std::lock_guard lock(submit_mu);
      for (Submission& s : incoming) draining.push_back(std::move(s));
      incoming.clear();
    }
    if (draining.empty()) return;
    for (Submission& s : draining) {
      Task& task = new_task();
      task.phase = Phase::queued;
      task.request.emplace(std::move(s.request));
      task.done = std::move(s.done);
      task.submit = s.options;
      start(task);
    }
  }
}

Task& EventLoop::Impl::new_task() {
  if (free_slots.empty()) {
    auto task = std::make_unique<Task>();
    task->slot = static_cast<uint32_t>(tasks.size());
    tasks.push_back(std::move(task));
    return *tasks.back();
  }
  Task& task = *tasks[free_slots.back()];
  free_slots.pop_back();
  return task;
}

void EventLoop::Impl::recycle(Task& task) {
  // Everything the request owned goes now; buffers and the parser stay for the next one.
  ++task.generation;
  task.phase = Phase::free;
  task.request.reset();
  task.done = nullptr;
  task.trace = nullptr;
  task.observer = nullptr;
  task.deadline.reset();
  task.phase_deadline.reset();
  task.armed_at.reset();
  task.conn.reset();
  task.attempt.reset();
  task.handshake.reset();
  task.source.reset();
  task.first_dial_error.reset();
  task.early_final.reset();
  task.response = Response();
  task.kept_body.clear();
  free_slots.push_back(task.slot);
}

uint64_t EventLoop::Impl::task_tag(const Task& task) {
  return kTaskKind | (uint64_t{task.slot} << 32) | task.generation;
}

Task* EventLoop::Impl::task_of(uint64_t data) {
  const auto slot = static_cast<uint32_t>((data & ~kKindMask) >> 32);
  const auto generation = static_cast<uint32_t>(data);
  if (slot >= tasks.size()) return nullptr;
  Task& task = *tasks[slot];
  if (task.generation != generation || task.phase == Phase::free) return nullptr;
  return &task;
}

// --- epoll -----------------------------------------------------------------------------------

void EventLoop::Impl::watch(int fd, uint32_t interest, uint64_t data) {
  epoll_event event{};
  event.events = interest;
  event.data.u64 = data;
  ::epoll_ctl(epoll_fd.get(), EPOLL_CTL_ADD, fd, &event);
}

void EventLoop::Impl::rewatch(int fd, uint32_t interest, uint64_t data) {
  epoll_event event{};
  event.events = interest;
  event.data.u64 = data;
  ::epoll_ctl(epoll_fd.get(), EPOLL_CTL_MOD, fd, &event);
}

void EventLoop::Impl::unwatch(int fd) {
  ::epoll_ctl(epoll_fd.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::Impl::set_interest(loop::LoopConn& conn, uint32_t interest) {
  if (conn.interest == interest) return;
  conn.interest = interest;
  rewatch(conn.conn.stream().fd(), interest, reinterpret_cast<uint64_t>(&conn));
}

// --- the turn --------------------------------------------------------------------------------

int EventLoop::Impl::wait_timeout_ms(std::chrono::nanoseconds limit) const {
  if (!local.empty() || !ready.empty()) return 0;
  auto wait = limit;
  if (!timers.empty())
    wait = std::min(wait, std::chrono::nanoseconds(timers.top().at - loop::Clock::now()));
  if (wait <= std::chrono::nanoseconds::zero()) return 0;
  // Round up: waking a little late fires the timer; waking early would spin.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
  return static_cast<int>(std::min<long long>(ms, 1'000'000));
}

std::size_t EventLoop::Impl::run_once(std::chrono::nanoseconds timeout) {
  loop_thread.store(std::this_thread::get_id(), std::memory_order_relaxed);
  completed = 0;
  ++turn;
  if (close_idle_requested.exchange(false)) close_idle();
  drain_submissions();
  process_ready();
  const int wait_ms = stop_requested.load(std::memory_order_relaxed) ? 0 : wait_timeout_ms(timeout);
  const int n =
      ::epoll_wait(epoll_fd.get(), events.data(), static_cast<int>(events.size()), wait_ms);
  for (int i = 0; i < n; ++i) dispatch(events[static_cast<std::size_t>(i)]);
  fire_timers(loop::Clock::now());
  do {
    drain_submissions();
    process_ready();
  } while (!local.empty());
  end_of_turn();
  loop_thread.store(std::thread::id{}, std::memory_order_relaxed);
  return completed;
}

void EventLoop::Impl::dispatch(const epoll_event& event) {
  const uint64_t data = event.data.u64;
  switch (data & kKindMask) {
    case kWakeKind: {
      eventfd_t value;
      eventfd_read(wake_fd.get(), &value);
      return;
    }
    case kCancelKind:
      on_cancel_signal(static_cast<int>(data & 0xffffffff));
      return;
    case kTaskKind:
      if (Task* task = task_of(data)) on_dial_event(*task);
      return;
    default:
      on_conn_event(*reinterpret_cast<loop::LoopConn*>(data), event.events);
      return;
  }
}

void EventLoop::Impl::process_ready() {
  while (!ready.empty()) {
    std::vector<Task*> batch;
    batch.swap(ready);
    for (Task* task : batch) {
      if (task->phase != Phase::waiting_conn) continue;
      if (task->conn) {
        // A connection handed over by a finished exchange (Go's late binding): reused, not idle.
        auto conn = std::move(task->conn);
        use_conn(*task, std::move(conn), false, std::chrono::nanoseconds::zero());
      } else if (task->slot_granted) {
        task->slot_granted = false;
        dial(*task);
      }
    }
  }
}

void EventLoop::Impl::end_of_turn() {
  graveyard.clear();
  for (Task* task : finished) recycle(*task);
  finished.clear();
  publish_stats();
}

// --- timers ----------------------------------------------------------------------------------

void EventLoop::Impl::arm(Task& task) {
  std::optional<loop::TimePoint> at = task.deadline;
  if (task.phase_deadline && (!at || *task.phase_deadline < *at)) at = task.phase_deadline;
  if (!at) return;
  // The entry already armed comes first: it re-arms for the later time when it fires.
  if (task.armed_at && *task.armed_at <= *at) return;
  task.armed_at = at;
  timers.push(loop::TimerEntry{*at, task.slot, task.generation});
}

void EventLoop::Impl::fire_timers(loop::TimePoint now) {
  while (!timers.empty() && timers.top().at <= now) {
    const loop::TimerEntry entry = timers.pop();
    Task& task = *tasks[entry.slot];
    if (task.generation != entry.generation || task.phase == Phase::free) continue;
    if (!task.armed_at || *task.armed_at != entry.at) continue;  // superseded by an earlier one
    task.armed_at.reset();
    on_timer(task, now);
    if (task.generation == entry.generation && task.phase != Phase::free) arm(task);
  }
}

void EventLoop::Impl::on_timer(Task& task, loop::TimePoint now) {
  if (task.deadline && now >= *task.deadline) {
    if (task.timeout_is_submit) {
      end_context(task, timeout_error(task));
      return;
    }
    const Error* err = task.request->context().err();
    end_context(task, err != nullptr ? *err : detail::deadline_exceeded_error());
    return;
  }
  if (!task.phase_deadline || now < *task.phase_deadline) return;
  task.phase_deadline.reset();
  switch (task.phase) {
    case Phase::connecting:
      on_connect_timeout(task);
      return;
    case Phase::handshaking:
      task.handshake->expire();
      step_handshake(task);
      return;
    case Phase::awaiting_continue:
      send_body(task);  // the server stayed silent: the body goes anyway (§5 e2)
      return;
    case Phase::reading_head: {
      Error error(ErrorCode::timeout, "net/http: timeout awaiting response headers");
      error.with_op("read headers").with_addr(task.conn->conn.remote_addr()).with_maybe_sent(true);
      fail_attempt(task, std::move(error));
      return;
    }
    default:
      return;
  }
}

// --- the contexts' done signals --------------------------------------------------------------

void EventLoop::Impl::watch_cancel(Task& task) {
  const Context& ctx = task.request->context();
  const int fd = detail::signal_fd(ctx);
  if (fd < 0) return;
  task.cancel_fd = fd;
  for (CancelWatch& w : cancel_watches) {
    if (w.fd != fd) continue;
    ++w.users;
    return;
  }
  if (cancel_watches.size() >= kMaxCancelWatches) {
    std::erase_if(cancel_watches, [this](const CancelWatch& w) {
      if (w.users > 0) return false;
      unwatch(w.fd);
      return true;
    });
  }
  const detail::ContextNode* node = detail::ContextNode::of(ctx);
  CancelWatch w;
  w.fd = fd;
  w.users = 1;
  w.holder = detail::ContextNode::make(node->canceler->shared_from_this());
  cancel_watches.push_back(std::move(w));
  watch(fd, EPOLLIN, kCancelKind | static_cast<uint32_t>(fd));
}

void EventLoop::Impl::unwatch_cancel(Task& task) {
  if (task.cancel_fd < 0) return;
  for (CancelWatch& w : cancel_watches) {
    if (w.fd == task.cancel_fd && w.users > 0) --w.users;
  }
  task.cancel_fd = -1;
}

void EventLoop::Impl::on_cancel_signal(int fd) {
  for (auto& slot : tasks) {
    Task& task = *slot;
    if (task.phase == Phase::free || task.phase == Phase::queued || task.cancel_fd != fd) continue;
    if (const Error* err = task.request->context().err()) end_context(task, *err);
  }
  // A signal nobody waits for any more would be reported on every turn (level-triggered).
  std::erase_if(cancel_watches, [this, fd](const CancelWatch& w) {
    if (w.fd != fd || w.users > 0) return false;
    unwatch(w.fd);
    return true;
  });
}

// --- the public face -------------------------------------------------------------------------

EventLoop::EventLoop(TransportOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
EventLoop::~EventLoop() = default;

void EventLoop::submit(Request request, Callback done, SubmitOptions options) {
  impl_->submit(Impl::Submission{std::move(request), std::move(done), options});
}

std::size_t EventLoop::run() {
  std::size_t total = 0;
  while (impl_->in_flight.load(std::memory_order_relaxed) > 0) {
    if (impl_->stop_requested.exchange(false)) break;
    total += impl_->run_once(std::chrono::hours(1));
  }
  return total;
}

std::size_t EventLoop::run_once(std::chrono::nanoseconds timeout) {
  const std::size_t n = impl_->run_once(timeout);
  impl_->stop_requested.store(false, std::memory_order_relaxed);
  return n;
}

void EventLoop::stop() {
  impl_->stop_requested.store(true, std::memory_order_relaxed);
  eventfd_write(impl_->wake_fd.get(), 1);
}

std::size_t EventLoop::in_flight() const {
  return impl_->in_flight.load(std::memory_order_relaxed);
}

PoolStats EventLoop::pool_stats() const {
  PoolStats stats;
  stats.open_conns = impl_->stat_open.load(std::memory_order_relaxed);
  stats.idle_conns = impl_->stat_idle.load(std::memory_order_relaxed);
  stats.waiting_requests = impl_->stat_waiting.load(std::memory_order_relaxed);
  return stats;
}

void EventLoop::close_idle_connections() {
  impl_->close_idle_requested.store(true, std::memory_order_relaxed);
  eventfd_write(impl_->wake_fd.get(), 1);
}

const TransportOptions& EventLoop::options() const noexcept {
  return impl_->options;
}

}  // namespace httptrace
