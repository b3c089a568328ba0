// bad-inputs.md C20–C26: the chunked transfer coding.
#include "httptrace/transport.hpp"

#include <gtest/gtest.h>

#include "hostile/hostile_fixture.hpp"

namespace httptrace::testing {
namespace {

using namespace std::string_literals;

std::string chunked_response(std::string_view wire) {
  return response_with("Transfer-Encoding: chunked\r\n", wire);
}

struct BadChunk {
  std::string wire;
  std::string delivered;  // body bytes handed out before the error
  ErrorCode code;
  std::string message;  // part of the error text
};

class Chunked : public Hostile {
 protected:
  // Each wire body goes out on a connection the server then holds open, so only the framing
  // can end the body.
  void expect_bad_chunks(const std::vector<BadChunk>& cases) {
    for (const BadChunk& c : cases) {
      SCOPED_TRACE(::testing::PrintToString(c.wire.substr(0, 80)));
      ScriptServer server(reply_and_hold(chunked_response(c.wire)));
      Exchange x = exchange(get(server.url()));
      ASSERT_TRUE(x.response) << x.describe();
      EXPECT_EQ(x.body, c.delivered);
      EXPECT_ERROR(x, c.code);
      if (x.body_error) {
        EXPECT_NE(x.body_error->message().find(c.message), std::string::npos)
            << x.body_error->what();
      }
      expect_closed();
      expect_consistent_trace(x, Pooling::never);
    }
  }
};

// C20. Data is delivered before the bad size line that follows it.
TEST_F(Chunked, InvalidSizeAfterDataDeliversTheDataFirst) {
  expect_bad_chunks(
      {{"5\r\nhello\r\nZZ\r\n", "hello", ErrorCode::protocol, "invalid byte in chunk length"}});
}

// C21. Sizes beyond 64 bits are refused; a huge valid size allocates nothing and ends at EOF.
TEST_F(Chunked, OversizedChunkLengthIsRefused) {
  expect_bad_chunks({{"11111111111111111\r\n", "", ErrorCode::protocol, "chunk length too large"}});
}

TEST_F(Chunked, HugeChunkCutByCloseIsTruncated) {
  ScriptServer server(reply_once(chunked_response("FFFFFFFFFFFFFFFF\r\nabc")));
  Exchange x = exchange(get(server.url()));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(x.body, "abc");
  EXPECT_ERROR(x, ErrorCode::body_truncated);
  expect_consistent_trace(x, Pooling::never);
}

// C22–C24. Missing CRLF after data, bare LF, empty size line, CR/LF in a quoted extension,
// overlong lines and extension padding.
TEST_F(Chunked, MalformedFramingIsRefused) {
  std::string padded;
  for (int i = 0; i < 200; ++i) padded += "1;" + std::string(198, 'x') + "\r\nz\r\n";
  expect_bad_chunks({
      {"3\r\nabcX", "abc", ErrorCode::protocol, "malformed chunked encoding"},
      {"3\nabc\r\n0\r\n\r\n", "", ErrorCode::protocol, "bare LF"},
      {"3\r\nabc\r\n0\n\r\n", "abc", ErrorCode::protocol, "bare LF"},
      {"\r\n3\r\nabc\r\n0\r\n\r\n", "", ErrorCode::protocol, "empty chunk size"},
      {"3;ext=\"a\rb\"\r\nabc\r\n0\r\n\r\n", "", ErrorCode::protocol, "malformed chunked encoding"},
      {"3;ext=\"a\nb\"\r\nabc\r\n0\r\n\r\n", "", ErrorCode::protocol, "malformed chunked encoding"},
      {"3;" + std::string(5 * 1024, 'e') + "\r\nabc\r\n0\r\n\r\n", "", ErrorCode::protocol,
       "longer than"},
      {padded + "0\r\n\r\n", std::string(89, 'z'), ErrorCode::protocol, "too much chunk extension"},
  });
}

// C25. A FIN before the last chunk: the data, then body_truncated; no reuse.
TEST_F(Chunked, CloseBeforeTheLastChunkIsTruncated) {
  ScriptServer server(reply_once(chunked_response("3\r\nabc\r\n3\r\ndef\r\n")));
  Exchange x = exchange(get(server.url()));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(x.body, "abcdef");
  EXPECT_ERROR(x, ErrorCode::body_truncated);
  EXPECT_EQ(transport->pool_stats().open_conns, 0u);
  expect_consistent_trace(x, Pooling::never);
}

// C26. Trailers are exposed separately and never change framing.
TEST_F(Chunked, TrailersAreSeparateFromFraming) {
  ScriptServer server(
      reply_always(chunked_response("3\r\nabc\r\n0\r\nX-T: 1\r\nContent-Length: 99\r\n\r\n")));
  Exchange x = exchange(get(server.url()));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(x.body, "abc");
  EXPECT_TRUE(x.body_eof);
  EXPECT_EQ(x.response->trailer().get("X-T"), "1");
  EXPECT_FALSE(x.response->header().has("X-T"));
  EXPECT_EQ(x.response->content_length(), std::nullopt);
  expect_consistent_trace(x, Pooling::once);
}

TEST_F(Chunked, BadTrailersAreErrors) {
  TransportOptions options = test_options();
  options.max_response_header_bytes = 4096;
  use_options(options);
  expect_bad_chunks({
      {"3\r\nabc\r\n0\r\nX-T: a\0b\r\n\r\n"s, "abc", ErrorCode::protocol, "NUL"},
      {"3\r\nabc\r\n0\r\nX-Big: " + std::string(8192, 't') + "\r\n\r\n", "abc",
       ErrorCode::headers_too_large, "exceeded 4096"},
  });
}

}  // namespace
}  // namespace httptrace::testing
