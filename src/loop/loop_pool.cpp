// The loop's keep-alive pool: the Transport Pool's rules (trace-semantics §6, Go's
// tryPutIdleConn order) for one thread, so without a lock — LIFO idle connections per key,
// max_conns_per_host slots held from the dial decision to the close, waiters served oldest
// first, expired and dead idle connections dropped when met.

#include "loop/loop_impl.hpp"

namespace httptrace {

using loop::LoopConn;
using loop::Task;

EventLoop::Impl::HostPool& EventLoop::Impl::host(std::string_view key) {
  auto it = hosts.find(key);
  if (it != hosts.end()) return it->second;
  return hosts.emplace(std::string(key), HostPool{}).first->second;
}

EventLoop::Impl::Acquired EventLoop::Impl::acquire(Task& task,
                                                   std::chrono::nanoseconds& idle_time) {
  close_idle_called = false;  // as Go's getConn
  HostPool& pool = host(task.key);
  const auto now = loop::Clock::now();
  while (!pool.idle.empty()) {
    std::unique_ptr<LoopConn> conn = std::move(pool.idle.back());
    pool.idle.pop_back();
    --idle_total;
    const auto idle = now - conn->conn.idle_since;
    const bool expired = options.idle_conn_timeout.count() > 0 && idle > options.idle_conn_timeout;
    // A connection pooled in this very turn ended its response cleanly moments ago, with no
    // epoll_wait since: probing it costs a system call per request on the keep-alive path and
    // only narrows a race the retry rules cover anyway. Anything older is probed.
    const bool probe = conn->idled_turn != turn;
    if (expired || (probe && !conn->conn.stream().idle_alive())) {
      close_conn(std::move(conn));
      continue;
    }
    idle_time = std::chrono::duration_cast<std::chrono::nanoseconds>(idle);
    task.conn = std::move(conn);
    return Acquired::idle_conn;
  }
  const int max = options.max_conns_per_host;
  if (max <= 0 || pool.total < static_cast<std::size_t>(max)) {
    ++pool.total;
    return Acquired::slot;
  }
  pool.waiters.push_back(&task);
  return Acquired::waiting;
}

EventLoop::Impl::PutResult EventLoop::Impl::put(std::unique_ptr<LoopConn> conn) {
  if (options.disable_keep_alives || options.max_idle_conns_per_host < 0) {
    close_conn(std::move(conn));
    return {PutOutcome::not_pooled, std::nullopt};
  }
  conn->conn.reused = true;
  HostPool& pool = host(conn->conn.key());
  if (!pool.waiters.empty()) {
    Task* waiter = pool.waiters.front();
    pool.waiters.pop_front();
    conn->user = waiter;
    waiter->conn = std::move(conn);
    ready.push_back(waiter);
    return {PutOutcome::handed_over, std::nullopt};
  }
  if (close_idle_called) {
    close_conn(std::move(conn));
    return {PutOutcome::refused,
            Error(ErrorCode::pool, "http: putIdleConn: CloseIdleConnections was called")};
  }
  const std::size_t per_host = options.max_idle_conns_per_host == 0
                                   ? 2
                                   : static_cast<std::size_t>(options.max_idle_conns_per_host);
  if (pool.idle.size() >= per_host) {
    close_conn(std::move(conn));
    return {PutOutcome::refused,
            Error(ErrorCode::pool, "http: putIdleConn: too many idle connections for host")};
  }
  conn->user = nullptr;
  conn->conn.idle_since = loop::Clock::now();
  conn->idled_turn = turn;
  conn->conn.buffer().shrink();
  set_interest(*conn, EPOLLIN);
  pool.idle.push_back(std::move(conn));
  ++idle_total;
  if (options.max_idle_conns > 0 && idle_total > static_cast<std::size_t>(options.max_idle_conns)) {
    evict_oldest_idle();
  }
  return {PutOutcome::pooled, std::nullopt};
}

void EventLoop::Impl::close_conn(std::unique_ptr<LoopConn> conn) {
  conn->closed = true;
  conn->user = nullptr;
  conn->conn.close();  // the last descriptor of the socket: epoll forgets it
  HostPool& pool = host(conn->conn.key());
  if (pool.total > 0) --pool.total;
  graveyard.push_back(std::move(conn));
  grant_slot(pool);
}

void EventLoop::Impl::release_slot(std::string_view key) {
  HostPool& pool = host(key);
  if (pool.total > 0) --pool.total;
  grant_slot(pool);
}

void EventLoop::Impl::grant_slot(HostPool& pool) {
  if (pool.waiters.empty()) return;
  const int max = options.max_conns_per_host;
  if (max > 0 && pool.total >= static_cast<std::size_t>(max)) return;
  Task* waiter = pool.waiters.front();
  pool.waiters.pop_front();
  ++pool.total;
  waiter->slot_granted = true;
  ready.push_back(waiter);
}

void EventLoop::Impl::remove_waiter(Task& task) {
  HostPool& pool = host(task.key);
  std::erase(pool.waiters, &task);
}

void EventLoop::Impl::on_idle_event(LoopConn& conn) {
  // Readable while idle: closed by the peer, or unsolicited bytes — either way never to be
  // read as the next response (bad-inputs E31, E35) — unless TLS only took a session ticket.
  if (conn.conn.stream().idle_alive()) return;
  HostPool& pool = host(conn.conn.key());
  for (auto it = pool.idle.begin(); it != pool.idle.end(); ++it) {
    if (it->get() != &conn) continue;
    std::unique_ptr<LoopConn> dead = std::move(*it);
    pool.idle.erase(it);
    --idle_total;
    close_conn(std::move(dead));
    return;
  }
}

void EventLoop::Impl::close_idle() {
  close_idle_called = true;
  for (auto& [key, pool] : hosts) {
    while (!pool.idle.empty()) {
      std::unique_ptr<LoopConn> conn = std::move(pool.idle.back());
      pool.idle.pop_back();
      close_conn(std::move(conn));
    }
  }
  idle_total = 0;
}

void EventLoop::Impl::evict_oldest_idle() {
  HostPool* oldest = nullptr;
  for (auto& [key, pool] : hosts) {
    if (pool.idle.empty()) continue;
    if (oldest == nullptr ||
        pool.idle.front()->conn.idle_since < oldest->idle.front()->conn.idle_since) {
      oldest = &pool;
    }
  }
  if (oldest == nullptr) return;
  std::unique_ptr<LoopConn> conn = std::move(oldest->idle.front());
  oldest->idle.erase(oldest->idle.begin());
  --idle_total;
  close_conn(std::move(conn));
}

void EventLoop::Impl::publish_stats() {
  std::size_t open = 0;
  std::size_t waiting = 0;
  for (const auto& [key, pool] : hosts) {
    open += pool.total;
    waiting += pool.waiters.size();
  }
  stat_open.store(open, std::memory_order_relaxed);
  stat_idle.store(idle_total, std::memory_order_relaxed);
  stat_waiting.store(waiting, std::memory_order_relaxed);
}

}  // namespace httptrace
