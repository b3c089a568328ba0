// bad-inputs.md B11–B19: Content-Length and Transfer-Encoding framing. (B18 over TLS is in
// tls_test.cpp.)
#include "httptrace/transport.hpp"

#include <gtest/gtest.h>

#include "hostile/hostile_fixture.hpp"

namespace httptrace::testing {
namespace {

using Framing = Hostile;

// B11. A Content-Length body cut short: the bytes that came, then body_truncated.
TEST_F(Framing, ShortContentLengthBodyDeliversItsBytesThenTruncated) {
  ScriptServer server(reply_once(response_with("Content-Length: 10\r\n", "hello")));
  Exchange x = exchange(get(server.url()));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(x.body, "hello");
  EXPECT_ERROR(x, ErrorCode::body_truncated);
  EXPECT_EQ(transport->pool_stats().open_conns, 0u);  // no reuse
  expect_consistent_trace(x, Pooling::never);
}

// B12. Bytes beyond Content-Length never reach the next request: it gets a new connection.
TEST_F(Framing, ExcessBytesAfterTheBodyAreNeverTheNextResponse) {
  ScriptServer server([](ServerConn& conn) {
    if (!conn.read_request()) return;
    if (conn.id() == 0) {
      if (!conn.write(response_with("Content-Length: 3\r\n", "abcde"))) return;
    } else if (!conn.write(kOk)) {
      return;
    }
    while (conn.read_request()) {
      if (!conn.write(kOk)) return;
    }
  });
  Exchange first = exchange(get(server.url("/1")));
  ASSERT_TRUE(first.response) << first.describe();
  EXPECT_EQ(first.body, "abc");
  EXPECT_TRUE(first.body_eof);
  expect_consistent_trace(first, Pooling::any);

  Exchange second = exchange(get(server.url("/2")));
  ASSERT_TRUE(second.response) << second.describe();
  EXPECT_EQ(second.body, "ok");  // never "de"
  ASSERT_TRUE(server.wait_for_requests(2, scaled(2s)));
  EXPECT_EQ(server.requests()[1].conn_id, 1u);  // I4: a new connection
}

// B13. Conflicting Content-Length values fail before any body byte; equal ones collapse.
TEST_F(Framing, ConflictingContentLengthsFailBeforeTheBody) {
  for (std::string fields :
       {"Content-Length: 5\r\nContent-Length: 3\r\n", "Content-Length: 5, 3\r\n"}) {
    SCOPED_TRACE(fields);
    ScriptServer server(reply_and_hold(response_with(fields, "hello")));
    Exchange x = exchange(get(server.url()));
    ASSERT_FALSE(x.response) << x.describe();
    EXPECT_ERROR(x, ErrorCode::protocol);
    EXPECT_EQ(transport->pool_stats().open_conns, 0u);
    expect_consistent_trace(x, Pooling::never);
  }
}

TEST_F(Framing, EqualContentLengthsCollapse) {
  for (std::string fields :
       {"Content-Length: 5\r\nContent-Length: 5\r\n", "Content-Length: 5, 5\r\n"}) {
    SCOPED_TRACE(fields);
    ScriptServer server(reply_always(response_with(fields, "hello")));
    Exchange x = exchange(get(server.url()));
    ASSERT_TRUE(x.response) << x.describe();
    EXPECT_EQ(x.body, "hello");
    EXPECT_EQ(x.response->content_length(), 5u);
    expect_consistent_trace(x, Pooling::once);
    transport->close_idle_connections();
  }
}

// B14. Content-Length is 1*DIGIT, no sign, no hex, no exponent, no overflow.
TEST_F(Framing, InvalidContentLengthValuesAreRejected) {
  const std::string values[] = {"+3",
                                "-1",
                                "0x10",
                                "1e3",
                                "3 3",
                                "6badness",
                                "",
                                "3,",
                                "1234567890123456789012345",
                                "9223372036854775808"};
  for (const std::string& value : values) {
    SCOPED_TRACE(value);
    ScriptServer server(reply_and_hold(response_with("Content-Length: " + value + "\r\n", "abc")));
    Exchange x = exchange(get(server.url()));
    ASSERT_FALSE(x.response) << x.describe();
    EXPECT_ERROR(x, ErrorCode::protocol);
    ASSERT_TRUE(x.error);
    EXPECT_NE(std::string(x.error->what()).find("bad Content-Length \"" + value), std::string::npos)
        << x.error->what();
    expect_closed();
    expect_consistent_trace(x, Pooling::never);
  }
}

// B15. Transfer-Encoding with Content-Length: decoded as chunked, the connection not reused.
TEST_F(Framing, ChunkedWithContentLengthIsDecodedButNotReused) {
  ScriptServer server(reply_always(response_with(
      "Transfer-Encoding: chunked\r\nContent-Length: 100\r\n", "3\r\nabc\r\n0\r\n\r\n")));
  Exchange first = exchange(get(server.url("/1")));
  ASSERT_TRUE(first.response) << first.describe();
  EXPECT_EQ(first.body, "abc");
  EXPECT_TRUE(first.body_eof);
  expect_consistent_trace(first, Pooling::never);
  Exchange second = exchange(get(server.url("/2")));
  ASSERT_TRUE(second.response) << second.describe();
  ASSERT_TRUE(server.wait_for_requests(2, scaled(2s)));
  EXPECT_EQ(server.requests()[1].conn_id, 1u);
}

// B16. Only exactly "chunked" is a supported transfer coding.
TEST_F(Framing, UnsupportedTransferEncodingsAreRejected) {
  const std::string fields[] = {
      "Transfer-Encoding: gzip, chunked\r\n",
      "Transfer-Encoding: chunked, gzip\r\n",
      "Transfer-Encoding: identity\r\n",
      "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n",
  };
  for (const std::string& field : fields) {
    SCOPED_TRACE(field);
    ScriptServer server(reply_and_hold(response_with(field, "3\r\nabc\r\n0\r\n\r\n")));
    Exchange x = exchange(get(server.url()));
    ASSERT_FALSE(x.response) << x.describe();
    EXPECT_ERROR(x, ErrorCode::protocol);
    ASSERT_TRUE(x.error);
    EXPECT_NE(std::string(x.error->what()).find("unsupported transfer encoding"), std::string::npos)
        << x.error->what();
    expect_closed();
    expect_consistent_trace(x, Pooling::never);
  }
}

// B17. Transfer-Encoding on HTTP/1.0 is faulty framing: read until close, never reuse.
TEST_F(Framing, ChunkedOnHttp10IsFramedByClose) {
  const std::string wire = "3\r\nabc\r\n0\r\n\r\n";
  ScriptServer server(reply_once(
      "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n" + wire));
  Exchange x = exchange(get(server.url()));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(x.body, wire);
  EXPECT_TRUE(x.body_eof);
  expect_consistent_trace(x, Pooling::never);
}

// B18 (plain TCP). No framing: the body ends at the FIN, complete; the connection closes.
TEST_F(Framing, UnframedBodyEndsAtTheServersClose) {
  ScriptServer server(reply_once("HTTP/1.1 200 OK\r\n\r\nabc"));
  Exchange x = exchange(get(server.url()));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(x.body, "abc");
  EXPECT_TRUE(x.body_eof);
  EXPECT_FALSE(x.body_error.has_value());
  EXPECT_EQ(transport->pool_stats().open_conns, 0u);
  expect_consistent_trace(x, Pooling::never);
}

// B19. No framing and no close: the overall deadline ends the body read.
TEST_F(Framing, UnframedBodyWithoutCloseEndsAtTheDeadline) {
  ScriptServer server(reply_and_hold("HTTP/1.1 200 OK\r\n\r\nabc"));
  auto [ctx, cancel] = with_timeout(background(), 300ms);
  Exchange x = exchange(get(server.url(), ctx));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(x.body, "abc");
  EXPECT_ERROR(x, ErrorCode::deadline_exceeded);
  ASSERT_TRUE(x.body_error);
  EXPECT_TRUE(x.body_error->is_timeout());
  EXPECT_LE(x.elapsed, 300ms + kDeadlineSlack);
  expect_consistent_trace(x, Pooling::never);
}

}  // namespace
}  // namespace httptrace::testing
