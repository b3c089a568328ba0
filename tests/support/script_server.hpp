#pragma once
// ScriptServer: our own TCP server for misbehaving peers. Each accepted connection runs the
// test's handler on a thread of its own, with a ServerConn to read requests and write whatever
// bytes — well-formed or not — at whatever pace the scenario needs.
//
//   ScriptServer server([](ServerConn& conn) {
//     while (auto request = conn.read_request()) {
//       conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
//     }
//   });
//   ... client GETs server.url("/x") twice ...
//   ASSERT_TRUE(server.wait_for_requests(2, scaled(2s)));
//   EXPECT_EQ(server.requests()[1].conn_id, 0u);  // reused
//
// Tests await events (wait_for_*) instead of sleeping.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/test_socket.hpp"

namespace httptrace::testing {

struct LoggedRequest {
  std::size_t conn_id = 0;
  ScriptRequest request;  // after read_request_head() alone: head only, body_complete false
};

struct ScriptServerOptions {
  bool ipv4 = true;   // listen on 127.0.0.1
  bool ipv6 = false;  // listen on [::1] (the same port number when both)
  int backlog = 128;
};

class ScriptServer;

// One accepted connection, handed to the handler. Only the handler's thread uses it. All reads
// wait until data, the peer's FIN/RST, the read timeout (none by default) or the server's
// destruction (IoFailure::stopped). The connection is closed when the handler returns.
class ServerConn {
 public:
  ServerConn(const ServerConn&) = delete;
  ServerConn& operator=(const ServerConn&) = delete;

  // Accept order on this server: 0 for the first connection.
  std::size_t id() const noexcept { return id_; }
  // The accepted socket (non-blocking), for setsockopt and the like. Do not close it.
  int fd() const noexcept { return socket_.fd(); }

  // One HTTP/1.x request: head, then body by Content-Length or chunked; logged on the server
  // once complete (a request cut short is not logged).
  IoResult<ScriptRequest> read_request();
  // The head only, logged at once (body_complete false); then read_body(), or read_exactly()
  // for part of the body.
  IoResult<ScriptRequest> read_request_head();
  // The rest of the request whose head read_request_head() returned; updates its log entry.
  IoResult<void> read_body(ScriptRequest& request);

  IoResult<std::string> read_some(std::size_t max = 64 * 1024);
  IoResult<std::string> read_exactly(std::size_t n);
  IoResult<std::string> read_until(std::string_view delimiter);
  // Received bytes not consumed by a read yet (a pipelined request, say).
  const std::string& buffered() const noexcept { return socket_.buffered(); }

  IoResult<void> write(std::string_view bytes);
  // One byte, then a pause of `interval`, and so on; the pauses end early (IoFailure::stopped)
  // when the server is destroyed.
  IoResult<void> drip(std::string_view bytes, std::chrono::milliseconds interval);

  // FIN: the client reads EOF; this side can still read.
  void shutdown_write() noexcept;
  // RST: SO_LINGER {1, 0} then close; the client's next read or write fails with ECONNRESET.
  void reset() noexcept;
  void close() noexcept;

  // True once the client has closed (FIN or RST); whatever it sent before is buffered. False
  // after `timeout` or when the server stops.
  bool wait_for_peer_close(std::chrono::milliseconds timeout);
  // Bounds every later read and every wait for send space; nullopt: no bound.
  void set_read_timeout(std::optional<std::chrono::milliseconds> timeout) {
    socket_.set_read_timeout(timeout);
  }

 private:
  friend class ScriptServer;
  struct Shared;
  ServerConn(std::size_t id, UniqueFd fd, Shared& shared);
  // From the destroying thread: wakes a handler blocked on this socket.
  void abort_io() noexcept;
  void log_request(const ScriptRequest& request);

  std::size_t id_;
  Shared& shared_;
  TestSocket socket_;
  std::mutex close_mutex_;                     // close()/reset() vs abort_io() on the fd
  std::optional<std::size_t> head_log_index_;  // entry to complete in read_body()
  std::atomic<bool> finished_{false};
};

class ScriptServer {
 public:
  using Handler = std::function<void(ServerConn&)>;

  // Listens at once (port 0; the kernel picks). Throws std::runtime_error if it cannot bind,
  // std::invalid_argument for options with no address.
  explicit ScriptServer(Handler handler, ScriptServerOptions options = {});
  // As stop().
  ~ScriptServer();
  ScriptServer(const ScriptServer&) = delete;
  ScriptServer& operator=(const ScriptServer&) = delete;

  // Stops accepting, shuts down every open connection (handlers blocked in a read or a drip
  // get IoFailure::stopped), and joins every thread. Idempotent. Never from a handler (it
  // would join its own thread); a handler that blocks on anything but its ServerConn without
  // a bound makes this hang.
  void stop();

  std::uint16_t port() const noexcept { return port_; }
  // "127.0.0.1:P" ("[::1]:P" when only IPv6 listens).
  std::string authority() const;
  // "http://127.0.0.1:P" + path; path should start with '/'.
  std::string url(std::string_view path = "/") const;
  // "http://[::1]:P" + path.
  std::string url_v6(std::string_view path = "/") const;

  std::size_t connections_accepted() const;
  std::size_t handlers_finished() const;
  // Every request read so far (a copy), in the order they were logged: read_request() logs
  // whole requests; read_request_head() logs the head, and read_body() completes that entry.
  std::vector<LoggedRequest> requests() const;
  // What handlers threw (the what() texts); a test can EXPECT this to be empty.
  std::vector<std::string> handler_failures() const;

  // Each returns true as soon as the count reaches n, false if `timeout` passes first
  // (requests: as requests() counts them).
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;
  bool wait_for_connections(std::size_t n, std::chrono::milliseconds timeout) const;
  bool wait_for_handlers_finished(std::size_t n, std::chrono::milliseconds timeout) const;

 private:
  void accept_loop();
  void accept_one(int listener);
  void run_handler(const std::shared_ptr<ServerConn>& conn);
  void join_finished_handlers();

  std::unique_ptr<ServerConn::Shared> shared_;
  Handler handler_;
  ScriptServerOptions options_;
  UniqueFd listener_v4_;
  UniqueFd listener_v6_;
  UniqueFd wake_;  // eventfd: stop() wakes the accept loop
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  // Owned by the accept thread while it runs, then by stop().
  std::vector<std::pair<std::shared_ptr<ServerConn>, std::thread>> handlers_;
  bool stopped_ = false;
};

}  // namespace httptrace::testing
