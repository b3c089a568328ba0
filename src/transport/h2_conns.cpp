#include "transport/h2_conns.hpp"

#include <algorithm>

#include "transport/persist_conn.hpp"

namespace httptrace {

H2Conn::H2Conn(std::shared_ptr<http2::ClientConnection> conn)
    : conn_(std::move(conn)), id_(next_conn_id()) {}

// The connection lives on while a response body still reads from it; the pool lets go only.
H2Conn::~H2Conn() = default;

// --- H2Claim ---------------------------------------------------------------------------------

[[gnu::hot]] H2Claim::~H2Claim() {
  if (owner_ != nullptr) end(false);
}

H2Claim::H2Claim(H2Claim&& other) noexcept
    : conn(std::move(other.conn)),
      owner_(std::exchange(other.owner_, nullptr)),
      key_(std::move(other.key_)) {}

H2Claim& H2Claim::operator=(H2Claim&& other) noexcept {
  if (this == &other) return *this;
  if (owner_ != nullptr) end(false);
  conn = std::move(other.conn);
  owner_ = std::exchange(other.owner_, nullptr);
  key_ = std::move(other.key_);
  return *this;
}

[[gnu::hot]] void H2Claim::spoke_http1() {
  if (owner_ != nullptr) end(true);
}

void H2Claim::end(bool http1) {
  H2Conns* owner = std::exchange(owner_, nullptr);
  owner->dial_ended(key_, http1);
}

// --- H2Conns ---------------------------------------------------------------------------------

H2Conns::H2Conns(Settings settings) : settings_(std::move(settings)) {}

H2Conns::~H2Conns() {
  std::vector<std::shared_ptr<H2Conn>> doomed;
  std::lock_guard lock(mu_);
  for (auto& [key, state] : keys_) {
    for (auto& conn : state.conns) doomed.push_back(std::move(conn));
  }
  keys_.clear();
}

Result<H2Claim> H2Conns::claim(std::string_view key, const Context& ctx) {
  if (settings_.single_use) return H2Claim{};
  // Made only when this thread has to wait: an eventfd per thread for HTTP/1.1 traffic would be
  // a descriptor kept for nothing.
  const http2::Waker* waker = nullptr;
  for (;;) {
    std::vector<std::shared_ptr<H2Conn>> doomed;  // closed after the lock is released
    std::shared_ptr<H2Conn> candidate;
    {
      std::unique_lock lock(mu_);
      auto it = keys_.find(key);
      if (it == keys_.end()) it = keys_.emplace(std::string(key), KeyState{}).first;
      KeyState& state = it->second;
      const Pick pick = pick_locked(state, candidate, doomed);
      if (pick == Pick::found) {
        H2Claim claim;
        claim.conn = std::move(candidate);
        return claim;
      }
      if (pick == Pick::none) {
        if (state.http1) return H2Claim{};
        if (!state.dialing) {
          state.dialing = true;
          H2Claim claim;
          claim.owner_ = this;
          claim.key_ = std::string(key);
          return claim;
        }
        if (waker == nullptr) waker = &http2::Waker::for_this_thread();
        state.waiters.push_back(waker);
      }
    }
    if (candidate) {
      // A long-idle connection proves it is alive before it carries a request.
      if (candidate->connection().ping(ctx)) {
        H2Claim claim;
        claim.conn = std::move(candidate);
        return claim;
      }
      if (const Error* err = ctx.err()) return fail(*err);
      continue;  // dead now: the next pick drops it
    }
    auto waited = waker->wait(ctx, std::nullopt);
    {
      std::lock_guard lock(mu_);
      if (auto it = keys_.find(key); it != keys_.end()) std::erase(it->second.waiters, waker);
    }
    if (!waited) return fail(std::move(waited.error()));
  }
}

H2Conns::Pick H2Conns::pick_locked(KeyState& state, std::shared_ptr<H2Conn>& out,
                                   std::vector<std::shared_ptr<H2Conn>>& doomed) {
  const auto now = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < state.conns.size();) {
    const std::shared_ptr<H2Conn>& conn = state.conns[i];
    http2::ClientConnection& c = conn->connection();
    if (c.active_streams() > 0) {
      if (!c.usable()) {
        doomed.push_back(conn);
        state.conns.erase(state.conns.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      if (c.has_capacity()) {
        out = conn;
        return Pick::found;
      }
      ++i;
      continue;
    }
    const auto idle = now - c.last_active();
    const bool expired =
        settings_.idle_conn_timeout.count() > 0 && idle > settings_.idle_conn_timeout;
    if (expired) c.close();
    if (expired || !c.check_idle()) {
      doomed.push_back(conn);
      state.conns.erase(state.conns.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    if (!c.has_capacity()) {
      ++i;
      continue;
    }
    out = conn;
    return c.first_round_trip_done() && idle > settings_.ping_after_idle ? Pick::ping : Pick::found;
  }
  return Pick::none;
}

Result<std::shared_ptr<H2Conn>> H2Conns::adopt(std::string_view key,
                                               std::unique_ptr<net::Stream> stream,
                                               const Context& ctx, H2Claim& claim) {
  auto started = http2::ClientConnection::start(std::move(stream), settings_.connection, ctx);
  if (!started) return fail(std::move(started.error()));
  auto conn = std::make_shared<H2Conn>(std::move(*started));
  if (settings_.single_use) return conn;
  {
    std::lock_guard lock(mu_);
    auto it = keys_.find(key);
    if (it == keys_.end()) it = keys_.emplace(std::string(key), KeyState{}).first;
    KeyState& state = it->second;
    state.conns.push_back(conn);
    state.http1 = false;
    if (claim.owner_ == this) {
      claim.owner_ = nullptr;
      state.dialing = false;
    }
    for (const http2::Waker* waiter : state.waiters) waiter->signal();
  }
  return conn;
}

void H2Conns::dial_ended(const std::string& key, bool http1) {
  std::lock_guard lock(mu_);
  auto it = keys_.find(key);
  if (it == keys_.end()) return;
  KeyState& state = it->second;
  state.dialing = false;
  if (http1) state.http1 = true;
  // A failed dial: one of the waiters dials next (each request may have its own dial error).
  for (const http2::Waker* waiter : state.waiters) waiter->signal();
}

void H2Conns::close_idle() {
  std::vector<std::shared_ptr<H2Conn>> doomed;
  std::lock_guard lock(mu_);
  for (auto& [key, state] : keys_) {
    std::erase_if(state.conns, [&](const std::shared_ptr<H2Conn>& conn) {
      if (conn->connection().active_streams() > 0) return false;
      conn->connection().close();
      doomed.push_back(conn);
      return true;
    });
  }
}

std::size_t H2Conns::open_count() const {
  std::lock_guard lock(mu_);
  std::size_t count = 0;
  for (const auto& [key, state] : keys_) count += state.conns.size();
  return count;
}

std::size_t H2Conns::idle_count() const {
  std::lock_guard lock(mu_);
  std::size_t count = 0;
  for (const auto& [key, state] : keys_) {
    count += static_cast<std::size_t>(
        std::count_if(state.conns.begin(), state.conns.end(),
                      [](const auto& conn) { return conn->connection().active_streams() == 0; }));
  }
  return count;
}

}  // namespace httptrace
