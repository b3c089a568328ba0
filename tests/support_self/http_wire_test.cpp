#include "support/http_wire.hpp"

#include <string>

#include <gtest/gtest.h>

namespace httptrace::testing {
namespace {

TEST(HttpWire, RequestHeadIsIncompleteUntilTheBlankLine) {
  const std::string head = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
  for (std::size_t n = 0; n < head.size(); ++n) {
    EXPECT_EQ(parse_request_head(head.substr(0, n)).status, ParseStatus::incomplete) << n;
  }
  const auto parsed = parse_request_head(head + "next");
  ASSERT_EQ(parsed.status, ParseStatus::complete);
  EXPECT_EQ(parsed.consumed, head.size());
  EXPECT_EQ(parsed.value.raw, head);
  EXPECT_EQ(parsed.value.framing.kind, BodyFraming::Kind::none);
  EXPECT_TRUE(parsed.value.body_complete);
}

TEST(HttpWire, HeaderValuesLoseSurroundingWhitespaceOnly) {
  const auto parsed = parse_request_head("GET / HTTP/1.1\r\nA:  x  y \t\r\nB:\r\n\r\n");
  ASSERT_EQ(parsed.status, ParseStatus::complete);
  EXPECT_EQ(parsed.value.header("a"), "x  y");
  EXPECT_EQ(parsed.value.header("B"), "");
  EXPECT_EQ(parsed.value.header("C"), std::nullopt);
}

TEST(HttpWire, ContentLengthFramesTheRequestBody) {
  const auto parsed = parse_request_head("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n");
  ASSERT_EQ(parsed.status, ParseStatus::complete);
  EXPECT_EQ(parsed.value.framing.kind, BodyFraming::Kind::length);
  EXPECT_EQ(parsed.value.framing.length, 3u);
  EXPECT_FALSE(parsed.value.body_complete);
  EXPECT_EQ(parse_body(parsed.value.framing, "ab", false).status, ParseStatus::incomplete);
  const auto body = parse_body(parsed.value.framing, "abcd", false);
  EXPECT_EQ(body.status, ParseStatus::complete);
  EXPECT_EQ(body.value.body, "abc");
  EXPECT_EQ(body.consumed, 3u);
}

TEST(HttpWire, ChunkedBodyParsesByteByByte) {
  const std::string wire = "4\r\nWiki\r\n5;name=v\r\npedia\r\n0\r\nT: 1\r\n\r\n";
  const BodyFraming chunked{BodyFraming::Kind::chunked, 0};
  for (std::size_t n = 0; n < wire.size(); ++n) {
    EXPECT_EQ(parse_body(chunked, wire.substr(0, n), false).status, ParseStatus::incomplete) << n;
  }
  const auto body = parse_body(chunked, wire, false);
  ASSERT_EQ(body.status, ParseStatus::complete);
  EXPECT_EQ(body.value.body, "Wikipedia");
  EXPECT_EQ(body.consumed, wire.size());
  ASSERT_EQ(body.value.trailers.size(), 1u);
  EXPECT_EQ(body.value.trailers[0].first, "T");
}

TEST(HttpWire, BadChunksAreMalformed) {
  const BodyFraming chunked{BodyFraming::Kind::chunked, 0};
  EXPECT_EQ(parse_body(chunked, "x\r\n", false).status, ParseStatus::malformed);
  EXPECT_EQ(parse_body(chunked, "2\r\nabc\r\n", false).status, ParseStatus::malformed);
  EXPECT_EQ(parse_body(chunked, "ffffffffffffffffff\r\n", false).status, ParseStatus::malformed);
}

TEST(HttpWire, StrictFramingRejectsWhatAClientMustNotSend) {
  const char* bad[] = {
      "GET / HTTP/1.1\nHost: h\r\n\r\n",                                   // bare LF
      "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",                      // obs-fold
      "GET / HTTP/1.1\r\nHost : h\r\n\r\n",                                // space before colon
      "GET / HTTP/1.1\r\nNoColon\r\n\r\n",                                 // no colon
      "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",  // conflicting CL
      "GET / HTTP/1.1\r\nContent-Length: +1\r\n\r\n",                      // not digits
      "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n",
      "GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",  // not chunked last
      "GET  / HTTP/1.1\r\n\r\n",                            // double space
      "GET / HTTP/2.0\r\n\r\n",                             // version
  };
  for (const char* request : bad) {
    EXPECT_EQ(parse_request_head(request).status, ParseStatus::malformed) << request;
  }
}

TEST(HttpWire, ResponseFramingFollowsRfc9112) {
  const auto framing = [](std::string_view head, std::string_view method = "GET") {
    const auto parsed = parse_response_head(head, method);
    EXPECT_EQ(parsed.status, ParseStatus::complete) << head;
    return parsed.value.framing.kind;
  };
  using Kind = BodyFraming::Kind;
  EXPECT_EQ(framing("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), Kind::length);
  EXPECT_EQ(framing("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD"), Kind::none);
  EXPECT_EQ(framing("HTTP/1.1 204 No Content\r\n\r\n"), Kind::none);
  EXPECT_EQ(framing("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"), Kind::none);
  EXPECT_EQ(framing("HTTP/1.1 100 Continue\r\n\r\n"), Kind::none);
  EXPECT_EQ(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), Kind::chunked);
  EXPECT_EQ(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"), Kind::until_close);
  EXPECT_EQ(framing("HTTP/1.0 200 OK\r\n\r\n"), Kind::until_close);
}

TEST(HttpWire, StatusLineWithoutReasonIsAccepted) {
  const auto parsed = parse_response_head("HTTP/1.1 404\r\n\r\n", "GET");
  ASSERT_EQ(parsed.status, ParseStatus::complete);
  EXPECT_EQ(parsed.value.status, 404);
  EXPECT_EQ(parsed.value.reason, "");
  EXPECT_EQ(parse_response_head("HTTP/1.1 2x0 OK\r\n\r\n", "GET").status, ParseStatus::malformed);
}

TEST(HttpWire, CloseDelimitedBodyEndsOnlyAtEof) {
  const BodyFraming until_close{BodyFraming::Kind::until_close, 0};
  EXPECT_EQ(parse_body(until_close, "abc", false).status, ParseStatus::incomplete);
  const auto body = parse_body(until_close, "abc", true);
  EXPECT_EQ(body.status, ParseStatus::complete);
  EXPECT_EQ(body.value.body, "abc");
}

TEST(HttpWire, HeaderCountIsCaseInsensitive) {
  const HeaderList headers = {{"Set-Cookie", "a"}, {"set-cookie", "b"}, {"X", "c"}};
  EXPECT_EQ(count_header(headers, "SET-COOKIE"), 2u);
  EXPECT_EQ(find_header(headers, "set-Cookie"), "a");
}

}  // namespace
}  // namespace httptrace::testing
