#pragma once
// The connection pool (Go's idleConn / connsPerHost machinery), keyed by a connect key
// (scheme, target or proxy, TLS identity).
//
// Every live connection holds a slot of its key from the moment its dial is decided until it
// is destroyed, so max_conns_per_host counts dialing, active and idle connections alike; a
// freed slot or a released connection goes to the oldest waiter first. Idle connections are
// kept LIFO (the most recently used is taken first); expired or dead ones are dropped when met.
// Thread-safe. Hooks are the caller's business: the pool only says what happened.

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "httptrace/transport.hpp"

namespace httptrace {

class PersistConn;

class Pool : public std::enable_shared_from_this<Pool> {
 public:
  struct Limits {
    int max_idle_conns = 100;
    int max_idle_conns_per_host = 2;
    int max_conns_per_host = 0;
    std::chrono::nanoseconds idle_conn_timeout{0};
    bool disable_keep_alives = false;
  };
  explicit Pool(Limits limits);
  ~Pool();

  // What acquire() handed out: an idle or handed-over connection, or (conn null) a reserved
  // slot the caller must fill by dialing — or give back with release_slot() if the dial fails.
  struct Lease {
    std::shared_ptr<PersistConn> conn;
    bool was_idle = false;
    std::chrono::nanoseconds idle_time{0};
  };
  // Waits (honouring ctx) while the key is at max_conns_per_host. Clears the
  // close_idle_connections flag, as Go's getConn does.
  [[nodiscard]] Result<Lease> acquire(std::string_view key, const Context& ctx);
  void release_slot(std::string_view key);

  // Registers a freshly dialed connection: its slot is the one acquire() reserved.
  std::shared_ptr<PersistConn> adopt(std::unique_ptr<PersistConn> conn);

  enum class PutOutcome : uint8_t { pooled, handed_over, refused, not_pooled };
  struct PutResult {
    PutOutcome outcome;
    std::optional<Error> error;  // the refusal, ErrorCode::pool (put_idle_conn's argument)
  };
  // Offers a connection back after a complete exchange (trace-semantics §6). `conn` came from
  // this pool's adopt(), which noted its key's record in it.
  PutResult put(std::shared_ptr<PersistConn> conn);

  void close_idle();
  PoolStats stats() const;

  // Called by PersistConn's destructor: its slot is free.
  void on_closed(const std::string& key) noexcept;

 private:
  struct Waiter;

 public:
  // One key's connections. Only the pool touches it, under its lock; a connection of the key
  // keeps a pointer to it (PersistConn::pool_host) so that putting it back needs no lookup:
  // the record lives while any connection of its key does, as each holds one of its slots.
  struct HostState {
    std::vector<std::shared_ptr<PersistConn>> idle;  // back = most recently idled
    std::size_t total = 0;                           // slots held: dialing, active, idle
    std::deque<Waiter*> waiters;
  };

 private:
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  HostState& host_locked(std::string_view key);
  void grant_slot_locked(HostState& host);
  void evict_oldest_idle_locked(std::vector<std::shared_ptr<PersistConn>>& doomed);

  const Limits limits_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, HostState, KeyHash, std::equal_to<>> hosts_;
  std::size_t idle_total_ = 0;
  std::size_t waiting_total_ = 0;
  bool close_idle_called_ = false;
};

}  // namespace httptrace
