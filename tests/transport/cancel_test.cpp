// A request canceled, or timed out, in each phase — connect, write, awaiting headers, reading
// the body — returns canceled / deadline_exceeded within 50 ms and leaks no descriptor.
#include "httptrace/transport.hpp"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "support/fd_count.hpp"
#include "support/full_backlog.hpp"
#include "support/script_server.hpp"
#include "transport/fixture.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const auto kPromptly = scaled(50ms);

// Runs `send` on this thread while another cancels once `ready()` holds; returns the error
// and how long after the cancel it came back.
template <class Ready, class Send>
std::pair<Error, Clock::duration> cancel_when(Ready ready, CancelFunc cancel, Send send) {
  std::atomic<Clock::time_point> canceled_at{Clock::time_point{}};
  std::thread canceller([&] {
    while (!ready()) std::this_thread::yield();
    canceled_at = Clock::now();
    cancel();
  });
  Result<std::size_t> outcome = send();
  auto returned = Clock::now();
  canceller.join();
  EXPECT_FALSE(outcome);
  Error error = outcome ? Error(ErrorCode::network, "no error") : outcome.error();
  return {error, returned - canceled_at.load()};
}

// The baseline is taken before anything of the test exists; servers die with the test body,
// the transport in TearDown.
class CancelTest : public ::testing::Test {
 protected:
  void TearDown() override {
    transport.reset();
    EXPECT_EQ(wait_for_fd_count(baseline, scaled(1s)), baseline);
  }
  int baseline = open_fd_count();
  std::shared_ptr<Transport> transport = make_transport();
};

// A connection that never completes (the listen backlog is full).
TEST_F(CancelTest, CancelWhileConnecting) {
  FullBacklogListener listener = listen_with_full_backlog();
  auto [ctx, cancel] = with_cancel(background());
  HookRecorder hooks;
  auto request = traced("GET", "http://127.0.0.1:" + std::to_string(listener.port()) + "/", hooks, {}, ctx);
  auto [error, after] = cancel_when([&] { return hooks.count("connect_start") > 0; }, cancel,
                                    [&]() -> Result<std::size_t> {
                                      auto r = transport->round_trip(request);
                                      if (!r) return fail(r.error());
                                      return std::size_t{0};
                                    });
  EXPECT_EQ(error.code(), ErrorCode::canceled) << error.what();
  EXPECT_LE(after, kPromptly);
  EXPECT_EQ(hooks.lines_starting("connect_done").size(), 1u);  // every start has its done
}

TEST_F(CancelTest, DeadlineWhileConnecting) {
  FullBacklogListener listener = listen_with_full_backlog();
  auto [ctx, cancel] = with_timeout(background(), 200ms);
  auto start = Clock::now();
  auto response = transport->round_trip(
      Request::make("GET", "http://127.0.0.1:" + std::to_string(listener.port()) + "/")->with_context(ctx));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::deadline_exceeded) << response.error().what();
  EXPECT_LE(Clock::now() - start, 200ms + kPromptly);
}

// The server reads the head and then nothing: a large body blocks in write.
ScriptServer never_reads_body() {
  return ScriptServer([](ServerConn& conn) {
    if (conn.read_request_head()) conn.wait_for_peer_close(scaled(10s));
  });
}

TEST_F(CancelTest, CancelWhileWriting) {
  ScriptServer server = never_reads_body();
  auto [ctx, cancel] = with_cancel(background());
  auto request = Request::make("POST", server.url("/"), RequestBody::from_string(std::string(64 << 20, 'x')))
                     ->with_context(ctx);
  auto [error, after] = cancel_when([&] { return server.requests().size() == 1; }, cancel,
                                    [&]() -> Result<std::size_t> {
                                      auto r = transport->round_trip(request);
                                      if (!r) return fail(r.error());
                                      return std::size_t{0};
                                    });
  EXPECT_EQ(error.code(), ErrorCode::canceled) << error.what();
  EXPECT_LE(after, kPromptly);
}

TEST_F(CancelTest, DeadlineWhileWriting) {
  ScriptServer server = never_reads_body();
  auto request = Request::make("POST", server.url("/"), RequestBody::from_string(std::string(64 << 20, 'x')));
  auto [ctx, cancel] = with_timeout(background(), 300ms);
  auto start = Clock::now();
  auto response = transport->round_trip(request->with_context(ctx));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::deadline_exceeded) << response.error().what();
  EXPECT_LE(Clock::now() - start, 300ms + kPromptly);
}

// The server reads the request and never answers.
ScriptServer never_answers() {
  return ScriptServer([](ServerConn& conn) {
    if (conn.read_request()) conn.wait_for_peer_close(scaled(10s));
  });
}

TEST_F(CancelTest, CancelWhileAwaitingHeaders) {
  ScriptServer server = never_answers();
  auto [ctx, cancel] = with_cancel(background());
  auto request = Request::make("GET", server.url("/"))->with_context(ctx);
  auto [error, after] = cancel_when([&] { return server.requests().size() == 1; }, cancel,
                                    [&]() -> Result<std::size_t> {
                                      auto r = transport->round_trip(request);
                                      if (!r) return fail(r.error());
                                      return std::size_t{0};
                                    });
  EXPECT_EQ(error.code(), ErrorCode::canceled) << error.what();
  EXPECT_LE(after, kPromptly);
  ASSERT_TRUE(server.wait_for_handlers_finished(1, scaled(2s)));  // the server saw us close
}

TEST_F(CancelTest, DeadlineWhileAwaitingHeaders) {
  ScriptServer server = never_answers();
  auto [ctx, cancel] = with_timeout(background(), 200ms);
  auto start = Clock::now();
  auto response = transport->round_trip(Request::make("GET", server.url("/"))->with_context(ctx));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::deadline_exceeded);
  EXPECT_TRUE(response.error().is_timeout());
  EXPECT_LE(Clock::now() - start, 200ms + kPromptly);
}

TEST_F(CancelTest, ResponseHeaderTimeoutIsAnOperationTimeout) {
  ScriptServer server = never_answers();
  auto options = test_options();
  options.response_header_timeout = 200ms;
  transport = make_transport(options);
  auto start = Clock::now();
  auto response = transport->round_trip(*Request::make("GET", server.url("/")));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::timeout);
  EXPECT_EQ(std::string(response.error().what()), "net/http: timeout awaiting response headers");
  EXPECT_GE(Clock::now() - start, 200ms);
  EXPECT_LE(Clock::now() - start, 200ms + kPromptly);
}

// The server sends the head and 5 of 100 body bytes, then stalls.
ScriptServer stalls_mid_body() {
  return ScriptServer([](ServerConn& conn) {
    if (!conn.read_request()) return;
    conn.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello");
    conn.wait_for_peer_close(scaled(10s));
  });
}

TEST_F(CancelTest, CancelWhileReadingTheBody) {
  ScriptServer server = stalls_mid_body();
  auto [ctx, cancel] = with_cancel(background());
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", server.url("/"), hooks, {}, ctx));
  ASSERT_TRUE(response);
  std::byte buf[100];
  auto first = response->body().read(buf);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, 5u);
  std::atomic<bool> reading{false};
  auto [error, after] = cancel_when([&] { return reading.load(); }, cancel, [&]() -> Result<std::size_t> {
    reading = true;
    return response->body().read(buf);
  });
  EXPECT_EQ(error.code(), ErrorCode::canceled) << error.what();
  EXPECT_LE(after, kPromptly);
  EXPECT_EQ(hooks.count("put_idle_conn"), 0u);
  response->body().close();
  ASSERT_TRUE(server.wait_for_handlers_finished(1, scaled(2s)));
}

TEST_F(CancelTest, DeadlineWhileReadingTheBody) {
  ScriptServer server = stalls_mid_body();
  auto [ctx, cancel] = with_timeout(background(), 300ms);
  auto start = Clock::now();
  auto response = transport->round_trip(Request::make("GET", server.url("/"))->with_context(ctx));
  ASSERT_TRUE(response);
  auto body = response->body().read_all();
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code(), ErrorCode::deadline_exceeded);
  EXPECT_LE(Clock::now() - start, 300ms + kPromptly);
}

}  // namespace
}  // namespace httptrace::testing
