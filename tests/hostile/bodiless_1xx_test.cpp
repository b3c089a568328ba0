// bad-inputs.md D27–D30: responses without content, informational responses, 100-continue.
#include "httptrace/transport.hpp"

#include <atomic>
#include <mutex>

#include <gtest/gtest.h>

#include "hostile/hostile_fixture.hpp"

namespace httptrace::testing {
namespace {

using Bodiless = Hostile;

// D27. HEAD keeps Content-Length as metadata, reads no body, and reuses the connection.
TEST_F(Bodiless, HeadKeepsContentLengthAndReusesTheConnection) {
  ScriptServer server(reply_always("HTTP/1.1 200 OK\r\nContent-Length: 123\r\n\r\n"));
  Exchange first = exchange(make_request("HEAD", server.url("/1")));
  ASSERT_TRUE(first.response) << first.describe();
  EXPECT_EQ(first.response->content_length(), 123u);
  EXPECT_EQ(first.body, "");
  expect_consistent_trace(first, Pooling::once);
  Exchange second = exchange(make_request("HEAD", server.url("/2")));
  ASSERT_TRUE(second.response) << second.describe();
  ASSERT_TRUE(server.wait_for_requests(2, scaled(2s)));
  EXPECT_EQ(server.requests()[1].conn_id, 0u);  // I4: reused
}

// D27. A body sent where none may be is never parsed and never reaches the next request.
TEST_F(Bodiless, BodyAfterABodilessResponseIsNeverParsed) {
  struct Case {
    std::string method;
    std::string reply;
  };
  const std::string fake = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfake!";
  const Case cases[] = {
      {"HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabcdef"},
      {"HEAD",
       "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(fake.size()) + "\r\n\r\n" + fake},
      {"GET", "HTTP/1.1 204 No Content\r\n\r\nabcdef"},
      {"GET", "HTTP/1.1 204 No Content\r\nContent-Length: 6\r\n\r\nabcdef"},
      {"GET", "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"GET", "HTTP/1.1 304 Not Modified\r\n\r\n" + fake},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.method + " answered with " + ::testing::PrintToString(c.reply));
    ScriptServer server([&c](ServerConn& conn) {
      if (!conn.read_request()) return;
      if (!conn.write(conn.id() == 0 ? c.reply : std::string(kOk))) return;
      while (conn.read_request()) {
        if (!conn.write(kOk)) return;
      }
    });
    Exchange first = exchange(make_request(c.method, server.url("/1")));
    ASSERT_TRUE(first.response) << first.describe();
    EXPECT_EQ(first.body, "");
    EXPECT_TRUE(first.body_eof);
    expect_consistent_trace(first, Pooling::any);
    Exchange second = exchange(get(server.url("/2")));
    ASSERT_TRUE(second.response) << second.describe();
    EXPECT_EQ(second.body, "ok");
    ASSERT_TRUE(server.wait_for_requests(2, scaled(2s)));
    EXPECT_EQ(server.requests()[1].conn_id, 1u);  // I4: the first connection was closed
    transport->close_idle_connections();
  }
}

// D28. Up to five informational responses, each reported; the sixth is an error.
TEST_F(Bodiless, InformationalResponsesAreReportedUpToFive) {
  ScriptServer server(
      reply_always("HTTP/1.1 103 Early Hints\r\nLink: <a>\r\n\r\nHTTP/1.1 123 Odd\r\nX: 1\r\n\r\n"
                   "HTTP/1.1 103 Early Hints\r\nLink: <b>\r\n\r\n" +
                   std::string(kOk)));
  Exchange x = exchange(get(server.url()));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(x.response->status_code(), 200);
  EXPECT_EQ(x.body, "ok");
  EXPECT_EQ(
      x.hooks->lines_starting("got_1xx_response"),
      (std::vector<std::string>{"got_1xx_response 103 Link=[<a>]", "got_1xx_response 123 X=[1]",
                                "got_1xx_response 103 Link=[<b>]"}));
  expect_consistent_trace(x, Pooling::once);
}

TEST_F(Bodiless, SixInformationalResponsesAreTooMany) {
  std::string informational;
  for (int i = 0; i < 5; ++i) informational += "HTTP/1.1 103 Early Hints\r\n\r\n";
  {
    ScriptServer five(reply_once(informational + std::string(kOk)));
    Exchange x = exchange(get(five.url()));
    ASSERT_TRUE(x.response) << x.describe();
    EXPECT_EQ(x.hooks->count("got_1xx_response"), 5u);
  }
  ScriptServer six(
      reply_and_hold(informational + "HTTP/1.1 100 Continue\r\n\r\n" + std::string(kOk)));
  Exchange x = exchange(get(six.url()));
  EXPECT_ERROR(x, ErrorCode::protocol);
  ASSERT_TRUE(x.error);
  EXPECT_NE(std::string(x.error->what()).find("too many 1xx informational responses"),
            std::string::npos);
  EXPECT_EQ(x.hooks->count("got_1xx_response"), 5u);
  expect_consistent_trace(x, Pooling::never);
}

// D28. Informational heads draw on the same header budget as the final head.
TEST_F(Bodiless, InformationalHeadsShareTheHeaderBudget) {
  TransportOptions options = test_options();
  options.max_response_header_bytes = 2048;
  use_options(options);
  std::string informational;
  for (int i = 0; i < 5; ++i)
    informational += "HTTP/1.1 103 Early Hints\r\nLink: <" + std::string(500, 'l') + ">\r\n\r\n";
  ScriptServer server(reply_and_hold(informational + std::string(kOk)));
  Exchange x = exchange(get(server.url()));
  EXPECT_ERROR(x, ErrorCode::headers_too_large);
  EXPECT_LT(x.hooks->count("got_1xx_response"), 5u);
  expect_consistent_trace(x, Pooling::never);
}

// D29. 101 without an Upgrade request is the final response (Go); nothing is read as its body.
TEST_F(Bodiless, SwitchingProtocolsIsFinalAndHasNoBody) {
  ScriptServer server(reply_and_hold("HTTP/1.1 101 Switching Protocols\r\n\r\nnot-http-anymore"));
  Exchange x = exchange(get(server.url()));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(x.response->status_code(), 101);
  EXPECT_EQ(x.body, "");
  EXPECT_TRUE(x.body_eof);
  expect_consistent_trace(x, Pooling::never);
  EXPECT_EQ(transport->pool_stats().idle_conns, 0u);
}

// D30. A final status instead of 100 Continue: the body stays unsent and the connection closes
// (a listed departure from Go, which pools it).
TEST_F(Bodiless, FinalStatusBeforeContinueWithholdsTheBody) {
  std::atomic<bool> peer_closed{false};
  std::string after_head;
  std::mutex mu;
  ScriptServer server([&](ServerConn& conn) {
    if (!conn.read_request_head()) return;
    if (!conn.write("HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n")) return;
    peer_closed = conn.wait_for_peer_close(scaled(5s));
    std::lock_guard lock(mu);
    after_head = conn.buffered();
  });
  auto request = make_request("POST", server.url(), RequestBody::from_string("the body"));
  request.header().set("Expect", "100-continue");
  Exchange x = exchange(request);
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(x.response->status_code(), 417);
  expect_consistent_trace(x, Pooling::never);
  ASSERT_TRUE(server.wait_for_handlers_finished(1, scaled(5s)));
  EXPECT_TRUE(peer_closed);
  std::lock_guard lock(mu);
  EXPECT_EQ(after_head, "");  // the body never went out
}

TEST_F(Bodiless, SilentServerGetsTheBodyAfterTheContinueTimeout) {
  TransportOptions options = test_options();
  options.expect_continue_timeout = 200ms;
  use_options(options);
  std::atomic<Clock::duration> gap{};
  ScriptServer server([&](ServerConn& conn) {
    auto head = conn.read_request_head();
    if (!head) return;
    auto head_at = Clock::now();
    if (!conn.read_body(*head)) return;
    gap = Clock::now() - head_at;
    (void)conn.write(kOk);
  });
  auto request = make_request("POST", server.url(), RequestBody::from_string("the body"));
  request.header().set("Expect", "100-continue");
  Exchange x = exchange(request);
  ASSERT_TRUE(x.response) << x.describe();
  ASSERT_TRUE(server.wait_for_requests(1, scaled(2s)));
  EXPECT_EQ(server.requests()[0].request.body, "the body");
  EXPECT_GE(gap.load(), 180ms);  // the timer did not fire early
  EXPECT_EQ(x.hooks->count("wait_100_continue"), 1u);
  EXPECT_EQ(x.hooks->count("got_100_continue"), 0u);
}

TEST_F(Bodiless, ContinueThenFinalSendsTheBodyExactlyOnce) {
  ScriptServer server([](ServerConn& conn) {
    for (;;) {
      auto head = conn.read_request_head();
      if (!head) return;
      if (head->header("Expect") && !conn.write("HTTP/1.1 100 Continue\r\n\r\n")) return;
      if (!conn.read_body(*head)) return;
      if (!conn.write(kOk)) return;
    }
  });
  auto request = make_request("POST", server.url("/1"), RequestBody::from_string("the body"));
  request.header().set("Expect", "100-continue");
  Exchange x = exchange(request);
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(x.body, "ok");
  EXPECT_EQ(x.hooks->count("got_100_continue"), 1u);
  expect_consistent_trace(x, Pooling::once);
  // The next request on the same connection parses cleanly: no second copy of the body.
  Exchange next = exchange(get(server.url("/2")));
  ASSERT_TRUE(next.response) << next.describe();
  ASSERT_TRUE(server.wait_for_requests(2, scaled(2s)));
  auto requests = server.requests();
  EXPECT_EQ(requests[0].request.body, "the body");
  EXPECT_EQ(requests[1].conn_id, 0u);
  EXPECT_EQ(requests[1].request.method, "GET");
  EXPECT_EQ(requests[1].request.target, "/2");
}

}  // namespace
}  // namespace httptrace::testing
