// trace-semantics §5 (n) and the retry rules of "Our decisions": a dead reused connection is
// retried on another for idempotent or unsent requests; a written non-idempotent request
// never is (bad-inputs E31–E34).
#include "httptrace/transport.hpp"

#include <atomic>

#include <gtest/gtest.h>

#include "support/script_server.hpp"
#include "transport/fixture.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

// Connection 0 answers its first request, then reads the second and closes without a word;
// later connections answer everything.
ScriptServer dies_after_first_answer() {
  return ScriptServer([](ServerConn& conn) {
    if (conn.id() == 0) {
      if (!conn.read_request()) return;
      conn.write(kOk);
      conn.read_request();
      conn.close();
      return;
    }
    while (conn.read_request()) conn.write(kOk);
  });
}

TEST(Retry, IdempotentRequestIsRetriedOnANewConnection) {
  ScriptServer server = dies_after_first_answer();
  auto transport = make_transport();
  HookRecorder first;
  auto r1 = transport->round_trip(traced("GET", server.url("/a"), first));
  ASSERT_TRUE(r1);
  body_of(*r1);

  HookRecorder hooks;
  auto r2 = transport->round_trip(traced("GET", server.url("/b"), hooks));
  ASSERT_TRUE(r2) << r2.error().what();
  EXPECT_EQ(body_of(*r2), "ok");
  const std::string a = server.authority();
  EXPECT_EQ(hooks.lines(),
            (Lines{"get_conn " + a, "got_conn reused=1 was_idle=1", "wrote_header_field Host=[" + a + "]",
                   "wrote_header_field User-Agent=[httptrace/0.1]", "wrote_header_field Accept-Encoding=[gzip]",
                   "wrote_headers", "wrote_request", "get_conn " + a, "connect_start tcp " + a, "connect_done tcp " + a,
                   "got_conn reused=0 was_idle=0", "wrote_header_field Host=[" + a + "]",
                   "wrote_header_field User-Agent=[httptrace/0.1]", "wrote_header_field Accept-Encoding=[gzip]",
                   "wrote_headers", "wrote_request", "got_first_response_byte", "put_idle_conn"}));
  // The server saw the GET twice — once on the dead connection, once on the new one.
  ASSERT_TRUE(server.wait_for_requests(3, scaled(2s)));
  EXPECT_EQ(server.requests()[2].request.target, "/b");
}

TEST(Retry, WrittenNonIdempotentRequestIsNeverSentTwice) {
  ScriptServer server = dies_after_first_answer();
  auto transport = make_transport();
  auto r1 = transport->round_trip(*Request::make("GET", server.url("/a")));
  ASSERT_TRUE(r1);
  body_of(*r1);

  HookRecorder hooks;
  auto r2 = transport->round_trip(traced("POST", server.url("/b"), hooks, RequestBody::from_string("payload")));
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code(), ErrorCode::connection_reset);
  EXPECT_TRUE(r2.error().maybe_sent());
  EXPECT_EQ(hooks.count("get_conn"), 1u);
  ASSERT_TRUE(server.wait_for_requests(2, scaled(2s)));
  EXPECT_EQ(server.connections_accepted(), 1u);
}

TEST(Retry, IdempotencyKeyMakesAPostRetryable) {
  ScriptServer server = dies_after_first_answer();
  auto transport = make_transport();
  auto r1 = transport->round_trip(*Request::make("GET", server.url("/a")));
  ASSERT_TRUE(r1);
  body_of(*r1);

  HookRecorder hooks;
  auto request = traced("POST", server.url("/b"), hooks, RequestBody::from_string("payload"));
  request.header().set("Idempotency-Key", "k1");
  auto r2 = transport->round_trip(request);
  ASSERT_TRUE(r2) << r2.error().what();
  EXPECT_EQ(hooks.count("get_conn"), 2u);
  ASSERT_TRUE(server.wait_for_requests(3, scaled(2s)));
  EXPECT_EQ(server.requests()[2].request.body, "payload");  // re-sent identically
}

TEST(Retry, ReaderBodyIsNotRetried) {
  ScriptServer server = dies_after_first_answer();
  auto transport = make_transport();
  auto r1 = transport->round_trip(*Request::make("GET", server.url("/a")));
  ASSERT_TRUE(r1);
  body_of(*r1);
  bool done = false;
  auto body = RequestBody::from_reader(
      [&done](std::span<std::byte> buf) -> Result<std::size_t> {
        if (done) return std::size_t{0};
        done = true;
        buf[0] = std::byte{'x'};
        return std::size_t{1};
      },
      1);
  HookRecorder hooks;
  auto request = traced("PUT", server.url("/b"), hooks, body);
  request.header().set("Idempotency-Key", "k1");  // idempotent, but the body cannot be replayed
  auto r2 = transport->round_trip(request);
  ASSERT_FALSE(r2);
  EXPECT_EQ(hooks.count("get_conn"), 1u);
}

// An idle connection the server closed, or one carrying stray bytes, is dropped at checkout;
// those bytes never become a response (bad-inputs E31, E35).
TEST(Retry, IdleConnectionClosedOrPoisonedByTheServerIsNotUsed) {
  for (std::string_view goodbye : {std::string_view(""), std::string_view("HTTP/1.1 408 Request Timeout\r\n\r\n")}) {
    std::atomic<bool> said_goodbye{false};
    ScriptServer server([&](ServerConn& conn) {
      if (conn.id() == 0) {
        if (!conn.read_request()) return;
        conn.write(kOk);
        if (!goodbye.empty()) conn.write(goodbye);
        conn.shutdown_write();
        said_goodbye = true;
        conn.wait_for_peer_close(scaled(5s));
        return;
      }
      while (conn.read_request()) conn.write(kOk);
    });
    auto transport = make_transport();
    auto r1 = transport->round_trip(*Request::make("GET", server.url("/a")));
    ASSERT_TRUE(r1);
    body_of(*r1);
    while (!said_goodbye) std::this_thread::yield();
    HookRecorder hooks;
    auto r2 = transport->round_trip(traced("GET", server.url("/b"), hooks));
    ASSERT_TRUE(r2) << r2.error().what();
    EXPECT_EQ(r2->status_code(), 200);  // never the stray 408
    // Dropped at checkout when the FIN is already in our socket, else found dead on use and
    // retried: either way the answer comes from a new connection.
    EXPECT_EQ(hooks.lines_starting("got_conn").back(), "got_conn reused=0 was_idle=0");
    ASSERT_TRUE(server.wait_for_requests(2, scaled(2s)));
    EXPECT_EQ(server.requests()[1].conn_id, 1u);
  }
}

// A fresh connection that dies before answering is never retried (bad-inputs A2, E34).
TEST(Retry, FreshConnectionFailureIsNotRetried) {
  ScriptServer server([](ServerConn& conn) {
    conn.read_request();
    conn.close();
  });
  auto transport = make_transport();
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", server.url("/"), hooks));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::connection_reset);
  EXPECT_EQ(hooks.count("get_conn"), 1u);
  EXPECT_EQ(server.connections_accepted(), 1u);
}

}  // namespace
}  // namespace httptrace::testing
