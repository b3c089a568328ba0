// A loop request canceled, or past its deadline, in each phase — waiting for a connection,
// connecting, the TLS handshake, writing, awaiting headers, reading the body — completes with
// canceled / deadline_exceeded within 50 ms (the context's signal is polled with the sockets,
// its deadline is a loop timer), and the loop leaks no descriptor.
#include "httptrace/event_loop.hpp"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "loop/loop_fixture.hpp"
#include "support/fd_count.hpp"
#include "support/full_backlog.hpp"
#include "support/script_server.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const auto kPromptly = scaled(50ms);

// Runs `request` on `loop` from this thread while another cancels once `ready()` holds;
// returns the outcome and how long after the cancel the callback came.
template <class Ready>
std::pair<LoopOutcome, Clock::duration> cancel_when(EventLoop& loop, Request request, Ready ready,
                                                    CancelFunc cancel) {
  std::atomic<Clock::time_point> canceled_at{Clock::time_point{}};
  std::atomic<Clock::time_point> completed_at{Clock::time_point{}};
  std::atomic<bool> finished{false};
  std::thread canceller([&] {
    while (!ready() && !finished) std::this_thread::yield();
    canceled_at = Clock::now();
    cancel();
  });
  LoopOutcome out;
  loop.submit(std::move(request), [&](EventLoop::Completion& done) {
    completed_at = Clock::now();
    out.response.emplace(std::move(done.response));
  });
  loop.run();
  finished = true;
  canceller.join();
  EXPECT_TRUE(out.response && !out.ok());
  if (!out.response) out.response.emplace(fail(ErrorCode::network, "no completion"));
  return {std::move(out), completed_at.load() - canceled_at.load()};
}

Result<Response> deadline_run(EventLoop& loop, Request request, std::chrono::milliseconds timeout,
                              Clock::duration& took) {
  // Before the deadline is set, so that `took` is never short of it: the first timeout of a
  // process starts the timer thread, which under a sanitizer took 2.6 ms once.
  auto start = Clock::now();
  auto [ctx, cancel] = with_timeout(background(), timeout);
  LoopOutcome out = send_on(loop, request.with_context(ctx));
  took = Clock::now() - start;
  return std::move(*out.response);
}

class LoopCancel : public ::testing::Test {
 protected:
  void TearDown() override {
    loop.reset();
    EXPECT_EQ(wait_for_fd_count(baseline, scaled(1s)), baseline);
  }
  int baseline = open_fd_count();
  std::unique_ptr<EventLoop> loop = std::make_unique<EventLoop>(test_options());
};

TEST_F(LoopCancel, CancelWhileConnecting) {
  FullBacklogListener listener = listen_with_full_backlog();
  auto [ctx, cancel] = with_cancel(background());
  HookRecorder hooks;
  auto request = traced("GET", "http://" + listener.authority() + "/", hooks, {}, ctx);
  auto [out, after] = cancel_when(
      *loop, request, [&] { return hooks.count("connect_start") > 0; }, cancel);
  EXPECT_EQ(out.error().code(), ErrorCode::canceled) << out.error().what();
  EXPECT_LE(after, kPromptly);
  EXPECT_EQ(
      hooks.lines_starting("connect_done"),
      (std::vector<std::string>{"connect_done tcp " + listener.authority() + " err=canceled"}));
}

TEST_F(LoopCancel, DeadlineWhileConnecting) {
  FullBacklogListener listener = listen_with_full_backlog();
  Clock::duration took;
  auto response = deadline_run(*loop, *Request::make("GET", "http://" + listener.authority() + "/"),
                               200ms, took);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::deadline_exceeded) << response.error().what();
  EXPECT_GE(took, 200ms);
  EXPECT_LE(took, 200ms + kPromptly);
}

TEST_F(LoopCancel, DialTimeoutIsAnOperationTimeout) {
  FullBacklogListener listener = listen_with_full_backlog();
  auto options = test_options();
  options.dial_timeout = 200ms;
  loop = std::make_unique<EventLoop>(options);
  HookRecorder hooks;
  auto start = Clock::now();
  LoopOutcome out = send_on(*loop, traced("GET", "http://" + listener.authority() + "/", hooks));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), ErrorCode::timeout);
  EXPECT_EQ(std::string(out.error().what()), "dial tcp " + listener.authority() + ": i/o timeout");
  EXPECT_LE(Clock::now() - start, 200ms + kPromptly);
  EXPECT_EQ(hooks.count("connect_done"), 1u);
}

// A TCP server that never speaks TLS: the handshake waits for a ServerHello.
TEST_F(LoopCancel, CancelDuringTheTlsHandshake) {
  ScriptServer silent([](ServerConn& conn) { conn.wait_for_peer_close(scaled(10s)); });
  auto [ctx, cancel] = with_cancel(background());
  HookRecorder hooks;
  auto request = traced("GET", "https://" + silent.authority() + "/", hooks, {}, ctx);
  auto [out, after] = cancel_when(
      *loop, request, [&] { return hooks.count("tls_handshake_start") > 0; }, cancel);
  EXPECT_EQ(out.error().code(), ErrorCode::canceled) << out.error().what();
  EXPECT_LE(after, kPromptly);
  EXPECT_EQ(hooks.lines_starting("tls_handshake_done"),
            (std::vector<std::string>{"tls_handshake_done err=canceled"}));
}

TEST_F(LoopCancel, TlsHandshakeTimeout) {
  ScriptServer silent([](ServerConn& conn) { conn.wait_for_peer_close(scaled(10s)); });
  auto options = test_options();
  options.tls_handshake_timeout = 200ms;
  options.tls.insecure_skip_verify = true;  // customised: the TLS context is made now, not timed
  loop = std::make_unique<EventLoop>(options);
  auto start = Clock::now();
  LoopOutcome out = send_on(*loop, *Request::make("GET", "https://" + silent.authority() + "/"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), ErrorCode::timeout);
  EXPECT_EQ(std::string(out.error().what()), "net/http: TLS handshake timeout");
  EXPECT_GE(Clock::now() - start, 200ms);
  EXPECT_LE(Clock::now() - start, 200ms + kPromptly);
}

ScriptServer never_reads_body() {
  return ScriptServer([](ServerConn& conn) {
    if (conn.read_request_head()) conn.wait_for_peer_close(scaled(10s));
  });
}

TEST_F(LoopCancel, CancelWhileWriting) {
  ScriptServer server = never_reads_body();
  auto [ctx, cancel] = with_cancel(background());
  HookRecorder hooks;
  auto request = traced("POST", server.url("/"), hooks,
                        RequestBody::from_string(std::string(64 << 20, 'x')), ctx);
  auto [out, after] = cancel_when(
      *loop, request, [&] { return server.requests().size() == 1; }, cancel);
  EXPECT_EQ(out.error().code(), ErrorCode::canceled) << out.error().what();
  EXPECT_TRUE(out.error().maybe_sent());
  EXPECT_LE(after, kPromptly);
  EXPECT_EQ(hooks.lines_starting("wrote_request"),
            (std::vector<std::string>{"wrote_request err=canceled"}));
}

TEST_F(LoopCancel, SubmitTimeoutWhileWriting) {
  ScriptServer server = never_reads_body();
  auto request =
      Request::make("POST", server.url("/"), RequestBody::from_string(std::string(64 << 20, 'x')));
  auto start = Clock::now();
  LoopOutcome out = send_on(*loop, *request, nullptr, SubmitOptions{false, 300ms});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), ErrorCode::deadline_exceeded) << out.error().what();
  EXPECT_NE(std::string(out.error().what()).find("EventLoop timeout exceeded"), std::string::npos);
  EXPECT_LE(Clock::now() - start, 300ms + kPromptly);
}

ScriptServer never_answers() {
  return ScriptServer([](ServerConn& conn) {
    if (conn.read_request()) conn.wait_for_peer_close(scaled(10s));
  });
}

TEST_F(LoopCancel, CancelWhileAwaitingHeaders) {
  ScriptServer server = never_answers();
  auto [ctx, cancel] = with_cancel(background());
  auto request = Request::make("GET", server.url("/"))->with_context(ctx);
  auto [out, after] = cancel_when(
      *loop, request, [&] { return server.requests().size() == 1; }, cancel);
  EXPECT_EQ(out.error().code(), ErrorCode::canceled) << out.error().what();
  EXPECT_LE(after, kPromptly);
  ASSERT_TRUE(server.wait_for_handlers_finished(1, scaled(2s)));  // the server saw us close
}

TEST_F(LoopCancel, DeadlineWhileAwaitingHeaders) {
  ScriptServer server = never_answers();
  Clock::duration took;
  auto response = deadline_run(*loop, *Request::make("GET", server.url("/")), 200ms, took);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::deadline_exceeded);
  EXPECT_TRUE(response.error().is_timeout());
  EXPECT_GE(took, 200ms);
  EXPECT_LE(took, 200ms + kPromptly);
}

TEST_F(LoopCancel, ResponseHeaderTimeoutIsAnOperationTimeout) {
  ScriptServer server = never_answers();
  auto options = test_options();
  options.response_header_timeout = 200ms;
  loop = std::make_unique<EventLoop>(options);
  auto start = Clock::now();
  LoopOutcome out = send_on(*loop, *Request::make("GET", server.url("/")));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), ErrorCode::timeout);
  EXPECT_EQ(std::string(out.error().what()), "net/http: timeout awaiting response headers");
  EXPECT_GE(Clock::now() - start, 200ms);
  EXPECT_LE(Clock::now() - start, 200ms + kPromptly);
}

ScriptServer stalls_mid_body() {
  return ScriptServer([](ServerConn& conn) {
    if (!conn.read_request()) return;
    conn.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello");
    conn.wait_for_peer_close(scaled(10s));
  });
}

TEST_F(LoopCancel, CancelWhileReadingTheBody) {
  ScriptServer server = stalls_mid_body();
  auto [ctx, cancel] = with_cancel(background());
  HookRecorder hooks;
  auto request = traced("GET", server.url("/"), hooks, {}, ctx);
  auto [out, after] = cancel_when(
      *loop, request, [&] { return hooks.count("got_first_response_byte") > 0; }, cancel);
  EXPECT_EQ(out.error().code(), ErrorCode::canceled) << out.error().what();
  EXPECT_LE(after, kPromptly);
  EXPECT_EQ(hooks.count("put_idle_conn"), 0u);
  ASSERT_TRUE(server.wait_for_handlers_finished(1, scaled(2s)));
}

TEST_F(LoopCancel, DeadlineWhileReadingTheBody) {
  ScriptServer server = stalls_mid_body();
  Clock::duration took;
  auto response = deadline_run(*loop, *Request::make("GET", server.url("/")), 300ms, took);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::deadline_exceeded);
  EXPECT_LE(took, 300ms + kPromptly);
}

// A request queued behind max_conns_per_host ends with its context, and the slot it never got
// is not lost: a third request still gets the connection.
TEST_F(LoopCancel, CancelWhileWaitingForAConnection) {
  ScriptServer server = stalls_mid_body();
  auto options = test_options();
  options.max_conns_per_host = 1;
  loop = std::make_unique<EventLoop>(options);
  auto [first_ctx, first_cancel] = with_cancel(background());
  auto [ctx, cancel] = with_cancel(background());
  std::vector<ErrorCode> codes;
  loop->submit(Request::make("GET", server.url("/"))->with_context(first_ctx),
               [&](EventLoop::Completion& c) {
                 codes.push_back(c.response ? ErrorCode::pool : c.response.error().code());
               });
  loop->submit(Request::make("GET", server.url("/"))->with_context(ctx),
               [&](EventLoop::Completion& c) {
                 codes.push_back(c.response ? ErrorCode::pool : c.response.error().code());
               });
  while (loop->pool_stats().waiting_requests == 0) loop->run_once(10ms);
  cancel();
  auto start = Clock::now();
  while (codes.empty()) loop->run_once(10ms);
  EXPECT_LE(Clock::now() - start, kPromptly);
  EXPECT_EQ(codes, (std::vector<ErrorCode>{ErrorCode::canceled}));
  EXPECT_EQ(loop->pool_stats().waiting_requests, 0u);
  first_cancel();
  loop->run();
  EXPECT_EQ(codes.size(), 2u);
}

// Destroying a loop with requests in flight completes them (canceled) and closes everything.
TEST_F(LoopCancel, DestroyingTheLoopCompletesWhatIsInFlight) {
  ScriptServer server = never_answers();
  int canceled = 0;
  for (int i = 0; i < 3; ++i) {
    loop->submit(*Request::make("GET", server.url("/")), [&](EventLoop::Completion& c) {
      if (!c.response && c.response.error().code() == ErrorCode::canceled) ++canceled;
    });
  }
  while (server.requests().size() < 3) loop->run_once(10ms);
  EXPECT_EQ(loop->in_flight(), 3u);
  loop.reset();
  EXPECT_EQ(canceled, 3);
}

}  // namespace
}  // namespace httptrace::testing
