#pragma once
// The frame every hostile case runs in (spec/bad-inputs.md, "The cases" and "How to test it"):
// a leak gate after each test (I3), one exchange at a time with its hooks, body and timing
// captured, and the trace-consistency check (I6) every case applies.
//
//   TEST_F(Hostile, Something) {
//     ScriptServer server(reply_once("HTTP/1.1 200 OK\r\n..."));
//     Exchange x = exchange(get(server.url()));
//     EXPECT_ERROR(x, ErrorCode::protocol);
//     expect_consistent_trace(x, Pooling::never);
//   }

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "httptrace/http.hpp"
#include "support/fd_count.hpp"
#include "support/hook_recorder.hpp"
#include "support/script_server.hpp"
#include "support/time_bounds.hpp"
#include "transport/fixture.hpp"

namespace httptrace::testing {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// I2: a call returns within its deadline plus this (× 5 under sanitizers).
inline const auto kDeadlineSlack = scaled(250ms);
// A bound on every exchange that sets no deadline of its own, so a bug fails a test instead of
// hanging it.
inline const auto kGuard = scaled(5s);

// One round trip and the reading of its body, with everything a case asserts on.
struct Exchange {
  std::unique_ptr<HookRecorder> hooks = std::make_unique<HookRecorder>();
  std::optional<Response> response;
  std::optional<Error> error;       // from round_trip / send
  std::string body;                 // every body byte delivered, before EOF or an error
  std::optional<Error> body_error;  // from a body read
  bool body_eof = false;
  Clock::duration elapsed{};  // from the call until the body ended (or the call failed)

  // The error that ended the exchange, from the call or from the body.
  const Error* final_error() const { return error ? &*error : body_error ? &*body_error : nullptr; }
  std::string describe() const {
    if (const Error* e = final_error()) return std::string(to_string(e->code())) + ": " + e->what();
    return response
               ? "status " + std::to_string(response->status_code()) + ", body \"" + body + "\""
               : "nothing";
  }
};

// How far exchange() reads the body.
enum class ReadBody { all, none };

// Adds kGuard to a context that has no deadline of its own.
inline Context guarded(const Context& ctx) {
  if (ctx.deadline()) return ctx;
  return with_timeout(ctx, kGuard).first;
}

// Runs `request` through `rt` with a HookRecorder attached, then reads the body to EOF or an
// error (8 bytes at a time, so errors come after the bytes before them). Marks in the hook
// lines: "## returned ok|error", "## body eof|error".
inline Exchange exchange_on(RoundTripper& rt, const Request& request,
                            ReadBody read = ReadBody::all) {
  Exchange x;
  Request traced_request =
      request.with_context(with_client_trace(guarded(request.context()), x.hooks->trace()));
  const auto start = Clock::now();
  auto response = rt.round_trip(traced_request);
  x.hooks->mark(response ? "returned ok" : "returned error");
  if (!response) {
    x.error = response.error();
    x.elapsed = Clock::now() - start;
    return x;
  }
  x.response.emplace(std::move(*response));
  if (read == ReadBody::all) {
    std::byte buf[8];
    for (;;) {
      auto n = x.response->body().read(buf);
      if (!n) {
        x.body_error = n.error();
        x.hooks->mark("body error");
        break;
      }
      if (*n == 0) {
        x.body_eof = true;
        x.hooks->mark("body eof");
        break;
      }
      x.body.append(reinterpret_cast<const char*>(buf), *n);
    }
  }
  x.elapsed = Clock::now() - start;
  return x;
}

// The same through a Client (redirects, client timeout).
inline Exchange send_on(Client& client, const Request& request) {
  struct ClientAsRoundTripper : RoundTripper {
    Client& client;
    explicit ClientAsRoundTripper(Client& c) : client(c) {}
    Result<Response> round_trip(const Request& r) override { return client.send(r); }
  } adapter(client);
  return exchange_on(adapter, request);
}

inline Request make_request(std::string_view method, const std::string& url,
                            RequestBody body = RequestBody::empty(), Context ctx = background()) {
  auto request = Request::make(method, url, std::move(body));
  EXPECT_TRUE(request) << url << ": " << (request ? "" : request.error().what());
  if (!request) return *Request::make("GET", "http://127.0.0.1:9/");
  return request->with_context(std::move(ctx));
}

inline Request get(const std::string& url, Context ctx = background()) {
  return make_request("GET", url, RequestBody::empty(), std::move(ctx));
}

// The exchange ended in an error whose message contains `part`.
inline void expect_message_contains(const Exchange& x, std::string_view part) {
  const Error* error = x.final_error();
  ASSERT_NE(error, nullptr) << "expected an error containing \"" << part << "\", got "
                            << x.describe();
  EXPECT_NE(std::string_view(error->message()).find(part), std::string_view::npos) << error->what();
}

// How often put_idle_conn may fire for one exchange (I6: only for reusable connections).
enum class Pooling { never, once, any };

// I6 for one exchange: every get_conn ends in got_conn or in the exchange's error; hooks stop
// once the call or a body read returned an error; put_idle_conn as `pooling` says, and only
// after a got_conn.
inline void expect_consistent_trace(const Exchange& x, Pooling pooling) {
  const std::vector<std::string> lines = x.hooks->lines();
  bool open_get_conn = false;
  bool seen_got_conn = false;
  bool ended_in_error = false;
  std::size_t put_idle = 0;
  auto is_mark = [](const std::string& line) { return line.rfind("## ", 0) == 0; };
  for (const std::string& line : lines) {
    if (ended_in_error && !is_mark(line))
      ADD_FAILURE() << "I6: hook after an error was returned: " << line;
    if (line == "## returned error" || line == "## body error") ended_in_error = true;
    if (line.rfind("get_conn ", 0) == 0) {
      EXPECT_FALSE(open_get_conn) << "I6: get_conn without got_conn before the next attempt";
      open_get_conn = true;
    } else if (line.rfind("got_conn ", 0) == 0) {
      EXPECT_TRUE(open_get_conn) << "I6: got_conn without get_conn";
      open_get_conn = false;
      seen_got_conn = true;
    } else if (line.rfind("put_idle_conn", 0) == 0) {
      EXPECT_TRUE(seen_got_conn) << "I6: put_idle_conn before any got_conn";
      ++put_idle;
    }
  }
  if (open_get_conn) {
    EXPECT_TRUE(x.error.has_value()) << "I6: a get_conn ended in neither got_conn nor an error";
  }
  switch (pooling) {
    case Pooling::never:
      EXPECT_EQ(put_idle, 0u) << "I6: put_idle_conn for a connection that is not reusable";
      break;
    case Pooling::once:
      EXPECT_EQ(put_idle, 1u) << "put_idle_conn for a reusable connection";
      break;
    case Pooling::any:
      EXPECT_LE(put_idle, 1u);
      break;
  }
}

// Peak resident memory of this process so far (VmHWM), in bytes.
inline std::size_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      std::size_t kib = 0;
      fields >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

// Threads of this process, from /proc/self/task.
inline std::size_t thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task"))
    ++n;
  return n;
}

// Polls until thread_count() <= expected or `timeout` passes; returns the last count (threads
// end asynchronously, with no event to await).
inline std::size_t wait_for_thread_count(std::size_t expected, std::chrono::milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  std::size_t n = thread_count();
  while (n > expected && Clock::now() < until) {
    std::this_thread::sleep_for(1ms);
    n = thread_count();
  }
  return n;
}

// Every test runs with a fresh Transport and the leak gate of I3: after close_idle_connections
// the pool is empty and, once the transport is gone, the process holds the descriptors and
// threads it had before the test.
class Hostile : public ::testing::Test {
 protected:
  Hostile() {
    // The process-wide deadline timer keeps a descriptor once started; start it before the
    // baseline so it is not counted as a leak.
    static const bool warmed = [] {
      auto [ctx, cancel] = with_timeout(background(), 1h);
      (void)ctx.done_fd();
      return true;
    }();
    (void)warmed;
    baseline_ = open_fd_count();
    thread_baseline_ = thread_count();
  }

  void TearDown() override {
    if (transport) {
      transport->close_idle_connections();
      PoolStats stats = transport->pool_stats();
      EXPECT_EQ(stats.open_conns, 0u) << "I3: live connections after close_idle_connections";
      EXPECT_EQ(stats.idle_conns, 0u) << "I3: idle connections after close_idle_connections";
      EXPECT_EQ(stats.waiting_requests, 0u) << "I3: waiters left behind";
    }
    transport.reset();
    EXPECT_EQ(wait_for_fd_count(baseline_, scaled(1s)), baseline_) << "I3: descriptor leaked";
    EXPECT_EQ(wait_for_thread_count(thread_baseline_, scaled(1s)), thread_baseline_)
        << "I3: thread left running";
  }

  // Replaces the transport (before any request) with one built from `options`.
  void use_options(TransportOptions options) { transport = make_transport(std::move(options)); }

  // I4 after a framing or header error: the connection was closed, never pooled.
  void expect_closed() {
    EXPECT_EQ(transport->pool_stats().open_conns, 0u) << "I4: a connection survived an error";
  }

  Exchange exchange(const Request& request, ReadBody read = ReadBody::all) {
    return exchange_on(*transport, request, read);
  }

  std::shared_ptr<Transport> transport = make_transport();

 private:
  int baseline_ = 0;
  std::size_t thread_baseline_ = 0;
};

// Handlers for ScriptServer: the bytes to send after each request, per connection.

// Reads one request, writes `bytes`, closes.
inline ScriptServer::Handler reply_once(std::string bytes) {
  return [bytes = std::move(bytes)](ServerConn& conn) {
    if (!conn.read_request()) return;
    (void)conn.write(bytes);
  };
}

// Reads one request, writes `bytes`, then keeps the connection open (no FIN) until the client
// closes it.
inline ScriptServer::Handler reply_and_hold(std::string bytes) {
  return [bytes = std::move(bytes)](ServerConn& conn) {
    if (!conn.read_request()) return;
    (void)conn.write(bytes);
    conn.wait_for_peer_close(scaled(10s));
  };
}

// Answers every request on every connection with `bytes`.
inline ScriptServer::Handler reply_always(std::string bytes) {
  return [bytes = std::move(bytes)](ServerConn& conn) {
    while (conn.read_request()) {
      if (!conn.write(bytes)) return;
    }
  };
}

inline constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

// "HTTP/1.1 200 OK\r\n" + fields + "\r\n" + body.
inline std::string response_with(std::string_view fields, std::string_view body = "") {
  return "HTTP/1.1 200 OK\r\n" + std::string(fields) + "\r\n" + std::string(body);
}

}  // namespace httptrace::testing

// The code of the error that ended an exchange, with its description on failure.
#define EXPECT_ERROR(x, expected_code)                                                  \
  do {                                                                                  \
    const ::httptrace::Error* hostile_err_ = (x).final_error();                         \
    if (hostile_err_ == nullptr) {                                                      \
      ADD_FAILURE() << "expected " << ::httptrace::to_string(expected_code) << ", got " \
                    << (x).describe();                                                  \
    } else {                                                                            \
      EXPECT_EQ(hostile_err_->code(), expected_code) << (x).describe();                 \
    }                                                                                   \
  } while (0)
