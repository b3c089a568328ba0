// bad-inputs.md A1–A10: the status line and the header section.
#include "httptrace/transport.hpp"

#include <gtest/gtest.h>

#include "hostile/hostile_fixture.hpp"

namespace httptrace::testing {
namespace {

using namespace std::string_literals;
using StatusHeader = Hostile;

// A1. EOF inside the header section is an error, never a partial response.
TEST_F(StatusHeader, EofBeforeTheBlankLineIsATruncatedHead) {
  ScriptServer server(reply_once("HTTP/1.1 200 OK\r\nX: y"));
  Exchange x = exchange(get(server.url()));
  EXPECT_ERROR(x, ErrorCode::protocol);
  ASSERT_TRUE(x.error);
  EXPECT_EQ(x.error->op(), "read headers");
  EXPECT_EQ(transport->pool_stats().open_conns, 0u);  // closed
  expect_consistent_trace(x, Pooling::never);
}

// A2. A fresh connection closed with no byte sent: connection_reset, not retried.
TEST_F(StatusHeader, EmptyReplyOnAFreshConnectionIsNotRetried) {
  for (bool read_first : {true, false}) {
    SCOPED_TRACE(read_first ? "closed after reading the request" : "closed at once");
    ScriptServer server([read_first](ServerConn& conn) {
      if (read_first) (void)conn.read_request();
      conn.close();
    });
    Exchange x = exchange(get(server.url()));
    EXPECT_ERROR(x, ErrorCode::connection_reset);
    EXPECT_EQ(x.hooks->count("get_conn"), 1u);
    EXPECT_EQ(server.connections_accepted(), 1u);
    expect_consistent_trace(x, Pooling::never);
  }
}

// A3. Anything but "HTTP/1.x 3DIGIT" is malformed and never surfaces as a body.
TEST_F(StatusHeader, MalformedStatusLinesAreProtocolErrors) {
  const std::string cases[] = {
      "HTTPr\r\n\r\n",
      "ICY 200 OK\r\n\r\n",
      "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 1000 X\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 600 High\r\nContent-Length: 0\r\n\r\n",
      "HTTP/2 200 OK\r\n\r\n",
      // HTTP/0.9: a body with no status line, long enough to be judged before any line end.
      "<html><body>hello from a server that speaks HTTP/0.9 and nothing else</body></html>",
      "<html>\n",
  };
  for (const std::string& reply : cases) {
    SCOPED_TRACE(reply);
    ScriptServer server(reply_once(reply));
    Exchange x = exchange(get(server.url()));
    EXPECT_ERROR(x, ErrorCode::protocol);
    EXPECT_FALSE(x.response.has_value());
    EXPECT_EQ(x.hooks->count("get_conn"), 1u);
    expect_closed();
    expect_consistent_trace(x, Pooling::never);
  }
}

TEST_F(StatusHeader, StatusWithoutReasonIsAccepted) {
  ScriptServer server(reply_always("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n"));
  Exchange x = exchange(get(server.url()));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(x.response->status_code(), 404);
  EXPECT_EQ(x.response->status(), "404");
  expect_consistent_trace(x, Pooling::once);
}

// A4–A6. Field lines: no colon, NUL or a lone CR in a value, whitespace before the first field.
TEST_F(StatusHeader, MalformedFieldLinesAreProtocolErrors) {
  const std::string cases[] = {
      response_with("Content-Length: 0\r\nNoColonHere\r\n"),
      response_with("X-Nul: a\0b\r\nContent-Length: 0\r\n"s),
      response_with("X-Cr: a\rb\r\nContent-Length: 0\r\n"),
      response_with(" X-Lead: 1\r\nContent-Length: 0\r\n"),
      response_with("\tX-Lead: 1\r\nContent-Length: 0\r\n"),
      "HTTP/1.1 200 OK\r\n \r\nContent-Length: 0\r\n\r\n",  // whitespace line before the fields
  };
  for (const std::string& reply : cases) {
    SCOPED_TRACE(::testing::PrintToString(reply));
    ScriptServer server(reply_once(reply));
    Exchange x = exchange(get(server.url()));
    EXPECT_ERROR(x, ErrorCode::protocol);
    expect_closed();
    expect_consistent_trace(x, Pooling::never);
  }
}

// A6. A later obs-fold is unfolded with one SP.
TEST_F(StatusHeader, ObsFoldIsUnfoldedWithOneSpace) {
  ScriptServer server(
      reply_always(response_with("X-Fold: a\r\n   b\r\n\tc\r\nContent-Length: 2\r\n", "ok")));
  Exchange x = exchange(get(server.url()));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(x.response->header().get("X-Fold"), "a b c");
  EXPECT_EQ(x.body, "ok");
}

// A7. Whitespace before the colon: an error for framing fields, a raw name otherwise.
TEST_F(StatusHeader, SpaceBeforeColonOfAFramingFieldIsAnError) {
  const std::string cases[] = {
      response_with("Content-Length : 3\r\n", "abc"),
      response_with("Transfer-Encoding : chunked\r\n", "3\r\nabc\r\n0\r\n\r\n"),
      response_with("Content-Length: 3\r\nConnection\t: close\r\n", "abc"),
  };
  for (const std::string& reply : cases) {
    SCOPED_TRACE(::testing::PrintToString(reply));
    ScriptServer server(reply_and_hold(reply));
    Exchange x = exchange(get(server.url()));
    EXPECT_ERROR(x, ErrorCode::protocol);  // never silently read until close
    EXPECT_EQ(x.body, "");
    expect_closed();
    expect_consistent_trace(x, Pooling::never);
  }
}

TEST_F(StatusHeader, SpaceInOtherFieldNamesKeepsTheRawName) {
  ScriptServer server(
      reply_always(response_with("X-Foo : 1\r\nX Y: 2\r\nContent-Length: 2\r\n", "ok")));
  Exchange x = exchange(get(server.url()));
  ASSERT_TRUE(x.response) << x.describe();
  const Header& header = x.response->header();
  EXPECT_FALSE(header.get("X-Foo").has_value());  // no lookup matches, as Go
  EXPECT_FALSE(header.get("X-Y").has_value());
  std::vector<std::string> keys;
  for (const Header::Field& field : header.fields()) keys.emplace_back(field.key);
  EXPECT_NE(std::find(keys.begin(), keys.end(), "X-Foo "), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "X Y"), keys.end());
  EXPECT_EQ(x.body, "ok");
  expect_consistent_trace(x, Pooling::once);
}

// A8. One 1 MiB field against a 512 KiB limit; the transport keeps working.
TEST_F(StatusHeader, OversizedHeaderFailsAndTheNextRequestSucceeds) {
  TransportOptions options = test_options();
  options.max_response_header_bytes = 512 * 1024;
  use_options(options);
  ScriptServer server([](ServerConn& conn) {
    if (!conn.read_request()) return;
    if (conn.id() == 0) {
      (void)conn.write(
          response_with("X-Big: " + std::string(1 << 20, 'a') + "\r\nContent-Length: 0\r\n"));
      return;
    }
    (void)conn.write(kOk);
  });
  Exchange x = exchange(get(server.url("/big")));
  EXPECT_ERROR(x, ErrorCode::headers_too_large);
  ASSERT_TRUE(x.error);
  EXPECT_NE(std::string(x.error->what()).find("524288"), std::string::npos) << x.error->what();
  expect_consistent_trace(x, Pooling::never);

  Exchange next = exchange(get(server.url("/small")));
  ASSERT_TRUE(next.response) << next.describe();
  EXPECT_EQ(next.body, "ok");
  EXPECT_EQ(server.connections_accepted(), 2u);
}

// A9. Many tiny fields hit the field cap; an endless section hits the byte cap with bounded
// memory.
TEST_F(StatusHeader, TwentyThousandTinyFieldsHitTheFieldCap) {
  std::string fields;
  for (int i = 0; i < 20'000; ++i) fields += "A: b\r\n";
  ScriptServer server(reply_once(response_with(fields + "Content-Length: 0\r\n")));
  Exchange x = exchange(get(server.url()));
  EXPECT_ERROR(x, ErrorCode::headers_too_large);
  expect_consistent_trace(x, Pooling::never);
}

TEST_F(StatusHeader, EndlessHeaderStreamStopsAtTheByteCap) {
  constexpr std::size_t kCap = 256 * 1024;
  TransportOptions options = test_options();
  options.max_response_header_bytes = kCap;
  use_options(options);
  ScriptServer server([](ServerConn& conn) {
    if (!conn.read_request()) return;
    if (!conn.write("HTTP/1.1 200 OK\r\n")) return;
    std::string block;
    for (int i = 0; i < 256; ++i) block += "X-Endless: yes\r\n";
    while (conn.write(block)) {
    }
  });
  const std::size_t peak_before = peak_rss_bytes();
  Exchange x = exchange(get(server.url()));
  EXPECT_ERROR(x, ErrorCode::headers_too_large);
  EXPECT_LT(x.elapsed, kGuard);
  // Sanitizer allocators keep freed blocks in quarantine: RSS means nothing there.
  if (kSlowdown == 1) {
    EXPECT_LT(peak_rss_bytes() - peak_before, kCap + (1u << 20));
  }
  expect_consistent_trace(x, Pooling::never);
}

// A10. A head dripped slowly: ResponseHeaderTimeout ends it.
TEST_F(StatusHeader, DrippedHeadersHitTheResponseHeaderTimeout) {
  TransportOptions options = test_options();
  options.response_header_timeout = 300ms;
  use_options(options);
  ScriptServer server([](ServerConn& conn) {
    if (!conn.read_request()) return;
    (void)conn.drip("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 50ms);
  });
  Exchange x = exchange(get(server.url()));
  EXPECT_ERROR(x, ErrorCode::timeout);
  ASSERT_TRUE(x.error);
  EXPECT_TRUE(x.error->is_timeout());
  EXPECT_EQ(x.error->op(), "read headers");
  EXPECT_NE(std::string(x.error->what()).find("timeout awaiting response headers"),
            std::string::npos);
  EXPECT_LE(x.elapsed, 300ms + kDeadlineSlack);
  EXPECT_EQ(transport->pool_stats().open_conns, 0u);
  expect_consistent_trace(x, Pooling::never);
}

}  // namespace
}  // namespace httptrace::testing
