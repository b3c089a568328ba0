// trace-semantics §4 and §5 (l): wrote_header_field order for HTTP/1, and what goes on the wire.
#include "httptrace/transport.hpp"

#include <cstring>

#include <gtest/gtest.h>

#include "support/script_server.hpp"
#include "transport/fixture.hpp"

namespace httptrace::testing {
namespace {

using Lines = std::vector<std::string>;

ScriptServer ok_server() {
  return ScriptServer([](ServerConn& conn) {
    while (conn.read_request()) conn.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  });
}

// (l1): POST, chunked reader body, Close, assorted headers.
TEST(HeaderOrder, MatchesGoForAChunkedPostWithAssortedHeaders) {
  ScriptServer server = ok_server();
  auto transport = make_transport();
  HookRecorder hooks;
  bool sent = false;
  auto body = RequestBody::from_reader(
      [&sent](std::span<std::byte> buf) -> Result<std::size_t> {
        if (sent) return std::size_t{0};
        sent = true;
        std::memcpy(buf.data(), "hello", 5);
        return std::size_t{5};
      },
      std::nullopt);
  auto request = traced("POST", server.url("/x"), hooks, body);
  request.set_close(true);
  request.header().add("X-Zed", "z");
  request.header().add("X-Multi", "a");
  request.header().add("Content-Type", "text/plain");
  request.header().add("X-Multi", "b");
  request.header().add("Accept", "*/*");
  request.header().add("X-Blank", "");
  auto response = transport->round_trip(request);
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(hooks.lines_starting("wrote_header_field"),
            (Lines{"wrote_header_field Host=[" + server.authority() + "]",
                   "wrote_header_field User-Agent=[httptrace/0.1]", "wrote_header_field Connection=[close]",
                   "wrote_header_field Transfer-Encoding=[chunked]", "wrote_header_field Accept=[*/*]",
                   "wrote_header_field Content-Type=[text/plain]", "wrote_header_field X-Blank=[]",
                   "wrote_header_field X-Multi=[a|b]", "wrote_header_field X-Zed=[z]",
                   "wrote_header_field Accept-Encoding=[gzip]"}));
  ASSERT_TRUE(server.wait_for_requests(1, scaled(std::chrono::seconds(2))));
  const ScriptRequest seen = server.requests()[0].request;
  EXPECT_EQ(seen.body, "hello");
  EXPECT_EQ(seen.framing.kind, BodyFraming::Kind::chunked);
  EXPECT_EQ(count_header(seen.headers, "X-Multi"), 2u);
}

// Framing fields in the caller's header never reach the wire; the transport frames itself
// (bad-inputs J59), and a caller's User-Agent replaces the default at its place.
TEST(HeaderOrder, CallerFramingFieldsAreIgnoredAndUserAgentReplaced) {
  ScriptServer server = ok_server();
  auto transport = make_transport();
  HookRecorder hooks;
  auto request = traced("PUT", server.url("/x"), hooks, RequestBody::from_string("abc"));
  request.header().add("Content-Length", "999");
  request.header().add("Transfer-Encoding", "chunked");
  request.header().add("Host", "evil.example");
  request.header().add("User-Agent", "custom/1");
  auto response = transport->round_trip(request);
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(hooks.lines_starting("wrote_header_field"),
            (Lines{"wrote_header_field Host=[" + server.authority() + "]", "wrote_header_field User-Agent=[custom/1]",
                   "wrote_header_field Content-Length=[3]", "wrote_header_field Accept-Encoding=[gzip]"}));
  ASSERT_TRUE(server.wait_for_requests(1, scaled(std::chrono::seconds(2))));
  const ScriptRequest seen = server.requests()[0].request;
  EXPECT_EQ(seen.header("Content-Length"), "3");
  EXPECT_EQ(count_header(seen.headers, "Host"), 1u);
  EXPECT_EQ(count_header(seen.headers, "Transfer-Encoding"), 0u);
  EXPECT_EQ(seen.body, "abc");
}

TEST(HeaderOrder, EmptyUserAgentSuppressesTheField) {
  ScriptServer server = ok_server();
  auto transport = make_transport();
  HookRecorder hooks;
  auto request = traced("GET", server.url("/x"), hooks);
  request.header().add("User-Agent", "");
  ASSERT_TRUE(transport->round_trip(request));
  EXPECT_EQ(hooks.count("wrote_header_field User-Agent"), 0u);
  ASSERT_TRUE(server.wait_for_requests(1, scaled(std::chrono::seconds(2))));
  EXPECT_EQ(count_header(server.requests()[0].request.headers, "User-Agent"), 0u);
}

TEST(HeaderOrder, HostOverrideIsSentButTheConnectionGoesToTheUrl) {
  ScriptServer server = ok_server();
  auto transport = make_transport();
  HookRecorder hooks;
  auto request = traced("GET", server.url("/x"), hooks);
  request.set_host("virtual.test");
  ASSERT_TRUE(transport->round_trip(request));
  EXPECT_EQ(hooks.lines_starting("get_conn"), (Lines{"get_conn " + server.authority()}));
  EXPECT_EQ(hooks.lines_starting("wrote_header_field Host"), (Lines{"wrote_header_field Host=[virtual.test]"}));
}

// A body that does not match its declared length: an error, the connection closed (J59).
TEST(HeaderOrder, BodyLongerOrShorterThanDeclaredIsRefused) {
  for (std::size_t actual : {2u, 5u}) {
    ScriptServer server([](ServerConn& conn) { conn.wait_for_peer_close(scaled(std::chrono::seconds(5))); });
    auto transport = make_transport();
    HookRecorder hooks;
    std::size_t given = 0;
    auto body = RequestBody::from_reader(
        [&given, actual](std::span<std::byte> buf) -> Result<std::size_t> {
          std::size_t n = std::min(buf.size(), actual - given);
          std::memset(buf.data(), 'x', n);
          given += n;
          return n;
        },
        3);
    auto response = transport->round_trip(traced("POST", server.url("/x"), hooks, body));
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code(), ErrorCode::invalid_request) << actual;
    EXPECT_NE(std::string(response.error().what()).find("ContentLength=3"), std::string::npos);
    EXPECT_EQ(hooks.lines_starting("wrote_request"), (Lines{"wrote_request err=invalid_request"}));
  }
}

}  // namespace
}  // namespace httptrace::testing
