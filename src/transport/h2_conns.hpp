#pragma once
// The Transport's HTTP/2 connections, per pool key: one connection shared by every concurrent
// request to the key (Go's http2 clientConnPool), another one dialed only when every one of
// them has reached the peer's SETTINGS_MAX_CONCURRENT_STREAMS (Go 1.19's default
// StrictMaxConcurrentStreams=false: open another connection rather than block).
//
// One dial at a time per key. Whether a server speaks HTTP/2 is known only once the TLS
// handshake picked a protocol, so while a request dials a key that may speak it, the others
// for that key wait for the outcome instead of dialing too (curl's "wait for multiplexing");
// once the key is known to answer HTTP/1.1, its requests go to the HTTP/1 pool unhindered.
// This is what makes "100 concurrent requests, one dial, one TLS handshake" hold.
//
// Idle connections (no open stream) are checked before reuse: whatever the peer sent
// meanwhile is processed (a GOAWAY retires the connection), one idle past idle_conn_timeout is
// closed, and one idle longer than ping_after_idle must answer a PING first (Go's
// ReadIdleTimeout health check, done at reuse because nobody reads an idle connection).
// Thread-safe. The lock order is H2Conns, then a ClientConnection's own.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http2/client_connection.hpp"
#include "http2/waker.hpp"
#include "httptrace/conn.hpp"
#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "net/stream.hpp"

namespace httptrace {

// One HTTP/2 connection as got_conn reports it.
class H2Conn final : public Conn {
 public:
  explicit H2Conn(std::shared_ptr<http2::ClientConnection> conn);
  ~H2Conn() override;

  std::string local_addr() const override { return conn_->stream().local_addr(); }
  std::string remote_addr() const override { return conn_->stream().remote_addr(); }
  const TLSConnectionState* tls() const override { return conn_->stream().tls(); }
  uint64_t id() const override { return id_; }

  http2::ClientConnection& connection() const noexcept { return *conn_; }

 private:
  std::shared_ptr<http2::ClientConnection> conn_;
  uint64_t id_;
};

class H2Conns;

// What H2Conns::claim() gave: a connection with a free stream, or the duty to dial (the other
// requests for the key wait until this claim learns the outcome or is destroyed), or neither
// (the key speaks HTTP/1.1: use the HTTP/1 pool). Move-only.
class H2Claim {
 public:
  H2Claim() = default;
  ~H2Claim();
  H2Claim(H2Claim&& other) noexcept;
  H2Claim& operator=(H2Claim&& other) noexcept;

  std::shared_ptr<H2Conn> conn;
  bool dialing() const noexcept { return owner_ != nullptr; }
  // The dial (or an idle connection from the HTTP/1 pool) gave HTTP/1.1: the key's requests
  // stop waiting for one another.
  void spoke_http1();

 private:
  friend class H2Conns;
  void end(bool http1);
  H2Conns* owner_ = nullptr;
  std::string key_;
};

class H2Conns {
 public:
  struct Settings {
    http2::ConnectionOptions connection;
    std::chrono::nanoseconds idle_conn_timeout{0};  // 0 = forever
    // An idle connection this long unused answers a PING before it is reused.
    std::chrono::nanoseconds ping_after_idle{std::chrono::seconds(15)};
    // Go's DisableKeepAlives: every connection serves one request, never shared.
    bool single_use = false;
  };
  explicit H2Conns(Settings settings);
  ~H2Conns();
  H2Conns(const H2Conns&) = delete;
  H2Conns& operator=(const H2Conns&) = delete;

  // For a request to `key` that may go over HTTP/2. Waits (honouring ctx) while another
  // request dials the key. Errors: ctx's.
  [[nodiscard]] Result<H2Claim> claim(std::string_view key, const Context& ctx);
  // Starts HTTP/2 on a freshly established stream and shares it under `key` (ends `claim`'s
  // dial). Errors: ClientConnection::start's.
  [[nodiscard]] Result<std::shared_ptr<H2Conn>> adopt(std::string_view key,
                                                      std::unique_ptr<net::Stream> stream,
                                                      const Context& ctx, H2Claim& claim);

  // Closes the connections with no open stream.
  void close_idle();
  // Connections kept (open), and those with no open stream (idle).
  std::size_t open_count() const;
  std::size_t idle_count() const;
  Settings& settings() noexcept { return settings_; }

 private:
  friend class H2Claim;
  struct KeyState {
    std::vector<std::shared_ptr<H2Conn>> conns;
    bool dialing = false;
    bool http1 = false;
    std::vector<const http2::Waker*> waiters;
  };
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  enum class Pick : uint8_t { found, ping, none };

  // A connection with a free stream slot; drops the dead and expired ones into `doomed`.
  Pick pick_locked(KeyState& state, std::shared_ptr<H2Conn>& out,
                   std::vector<std::shared_ptr<H2Conn>>& doomed);
  void drop_locked(KeyState& state, const std::shared_ptr<H2Conn>& conn);
  void dial_ended(const std::string& key, bool http1);

  Settings settings_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, KeyState, KeyHash, std::equal_to<>> keys_;
};

}  // namespace httptrace
