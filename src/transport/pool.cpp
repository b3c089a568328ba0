#include "transport/pool.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "net/wait_io.hpp"
#include "transport/persist_conn.hpp"

namespace httptrace {

// A request blocked on max_conns_per_host. Granted either a released connection or a slot.
struct Pool::Waiter {
  int event_fd = -1;
  std::shared_ptr<PersistConn> conn;
  bool slot = false;
};

Pool::Pool(Limits limits) : limits_(limits) {}

Pool::~Pool() {
  std::vector<std::shared_ptr<PersistConn>> doomed;
  {
    std::lock_guard lock(mu_);
    for (auto& [key, host] : hosts_) {
      for (auto& conn : host.idle) doomed.push_back(std::move(conn));
    }
    hosts_.clear();
  }
}

[[gnu::hot]] Pool::HostState& Pool::host_locked(std::string_view key) {
  auto it = hosts_.find(key);
  if (it != hosts_.end()) return it->second;
  return hosts_.emplace(std::string(key), HostState{}).first->second;
}

[[gnu::hot]] Result<Pool::Lease> Pool::acquire(std::string_view key, const Context& ctx) {
  Waiter waiter;
  for (;;) {
    std::vector<std::shared_ptr<PersistConn>> doomed;  // closed after the lock is released
    std::shared_ptr<PersistConn> candidate;
    std::chrono::steady_clock::duration idle_time{};
    {
      std::lock_guard lock(mu_);
      close_idle_called_ = false;
      HostState& host = host_locked(key);
      const auto now = std::chrono::steady_clock::now();
      while (!host.idle.empty()) {
        std::shared_ptr<PersistConn> conn = std::move(host.idle.back());
        host.idle.pop_back();
        --idle_total_;
        idle_time = now - conn->idle_since;
        if (limits_.idle_conn_timeout.count() > 0 && idle_time > limits_.idle_conn_timeout) {
          doomed.push_back(std::move(conn));
          continue;
        }
        candidate = std::move(conn);
        break;
      }
      if (!candidate) {
        if (limits_.max_conns_per_host <= 0 || host.total < static_cast<std::size_t>(limits_.max_conns_per_host)) {
          ++host.total;
          return Lease{};
        }
        waiter.event_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (waiter.event_fd < 0) return fail(ErrorCode::network, "eventfd for a connection waiter failed");
        host.waiters.push_back(&waiter);
        ++waiting_total_;
        break;
      }
    }
    // Whether the server closed it or sent something while it sat idle (bad-inputs 31, 35) is
    // a system call, and for TLS maybe a record to process: outside the lock, so that other
    // requests on this pool do not queue behind it. The connection is ours meanwhile.
    if (candidate->stream().idle_alive()) {
      return Lease{std::move(candidate), true, std::chrono::duration_cast<std::chrono::nanoseconds>(idle_time)};
    }
    // Closed before the next look, so that its slot is free again (on_closed).
    candidate.reset();
  }

  auto ready = net::wait_fd(waiter.event_fd, POLLIN, ctx);
  std::unique_lock lock(mu_);
  ::close(waiter.event_fd);
  if (ready && (waiter.conn || waiter.slot)) {
    // Granted: the granter already took us off the queue.
    if (waiter.conn) return Lease{std::move(waiter.conn), false, std::chrono::nanoseconds::zero()};
    return Lease{};
  }
  HostState& host = host_locked(key);
  auto it = std::find(host.waiters.begin(), host.waiters.end(), &waiter);
  if (it != host.waiters.end()) {
    host.waiters.erase(it);
    --waiting_total_;
  }
  // Granted just as the context ended: pass the grant on so nothing is lost.
  if (waiter.slot) grant_slot_locked(host);
  std::shared_ptr<PersistConn> granted = std::move(waiter.conn);
  lock.unlock();
  if (granted) put(std::move(granted));
  if (!ready) return fail(std::move(ready.error()));
  return fail(ErrorCode::network, "connection waiter woken without a grant");
}

void Pool::release_slot(std::string_view key) {
  std::lock_guard lock(mu_);
  HostState& host = host_locked(key);
  if (host.total > 0) --host.total;
  grant_slot_locked(host);
}

void Pool::grant_slot_locked(HostState& host) {
  if (host.waiters.empty()) return;
  if (limits_.max_conns_per_host > 0 && host.total >= static_cast<std::size_t>(limits_.max_conns_per_host)) return;
  Waiter* waiter = host.waiters.front();
  host.waiters.pop_front();
  --waiting_total_;
  ++host.total;
  waiter->slot = true;
  eventfd_write(waiter->event_fd, 1);
}

std::shared_ptr<PersistConn> Pool::adopt(std::unique_ptr<PersistConn> conn) {
  std::shared_ptr<PersistConn> shared(std::move(conn));
  shared->pool = weak_from_this();
  std::lock_guard lock(mu_);
  shared->pool_host = &host_locked(shared->key());
  return shared;
}

[[gnu::hot]] Pool::PutResult Pool::put(std::shared_ptr<PersistConn> conn) {
  std::vector<std::shared_ptr<PersistConn>> doomed;
  std::unique_lock lock(mu_);
  // trace-semantics §6, in Go's order (tryPutIdleConn).
  if (limits_.disable_keep_alives || limits_.max_idle_conns_per_host < 0) {
    doomed.push_back(std::move(conn));
    lock.unlock();
    return {PutOutcome::not_pooled, std::nullopt};
  }
  conn->reused = true;
  HostState& host = *conn->pool_host;
  if (!host.waiters.empty()) {
    Waiter* waiter = host.waiters.front();
    host.waiters.pop_front();
    --waiting_total_;
    waiter->conn = std::move(conn);
    eventfd_write(waiter->event_fd, 1);
    return {PutOutcome::handed_over, std::nullopt};
  }
  if (close_idle_called_) {
    doomed.push_back(std::move(conn));
    lock.unlock();
    return {PutOutcome::refused, Error(ErrorCode::pool, "http: putIdleConn: CloseIdleConnections was called")};
  }
  const std::size_t per_host = limits_.max_idle_conns_per_host == 0 ? 2 : limits_.max_idle_conns_per_host;
  if (host.idle.size() >= per_host) {
    doomed.push_back(std::move(conn));
    lock.unlock();
    return {PutOutcome::refused, Error(ErrorCode::pool, "http: putIdleConn: too many idle connections for host")};
  }
  conn->idle_since = std::chrono::steady_clock::now();
  conn->buffer().shrink();
  host.idle.push_back(std::move(conn));
  ++idle_total_;
  if (limits_.max_idle_conns > 0 && idle_total_ > static_cast<std::size_t>(limits_.max_idle_conns)) {
    evict_oldest_idle_locked(doomed);
  }
  lock.unlock();
  return {PutOutcome::pooled, std::nullopt};
}

void Pool::evict_oldest_idle_locked(std::vector<std::shared_ptr<PersistConn>>& doomed) {
  HostState* oldest_host = nullptr;
  for (auto& [key, host] : hosts_) {
    if (host.idle.empty()) continue;
    if (oldest_host == nullptr || host.idle.front()->idle_since < oldest_host->idle.front()->idle_since) {
      oldest_host = &host;
    }
  }
  if (oldest_host == nullptr) return;
  doomed.push_back(std::move(oldest_host->idle.front()));
  oldest_host->idle.erase(oldest_host->idle.begin());
  --idle_total_;
}

void Pool::close_idle() {
  std::vector<std::shared_ptr<PersistConn>> doomed;
  std::lock_guard lock(mu_);
  close_idle_called_ = true;
  for (auto& [key, host] : hosts_) {
    for (auto& conn : host.idle) doomed.push_back(std::move(conn));
    host.idle.clear();
  }
  idle_total_ = 0;
  // `doomed` dies after the lock is released: declared first, destroyed last.
}

void Pool::on_closed(const std::string& key) noexcept {
  std::lock_guard lock(mu_);
  auto it = hosts_.find(key);
  if (it == hosts_.end()) return;
  HostState& host = it->second;
  if (host.total > 0) --host.total;
  grant_slot_locked(host);
  if (host.total == 0 && host.idle.empty() && host.waiters.empty()) hosts_.erase(it);
}

PoolStats Pool::stats() const {
  std::lock_guard lock(mu_);
  PoolStats stats;
  for (const auto& [key, host] : hosts_) stats.open_conns += host.total;
  stats.idle_conns = idle_total_;
  stats.waiting_requests = waiting_total_;
  return stats;
}

}  // namespace httptrace
