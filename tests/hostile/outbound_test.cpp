// bad-inputs.md J57–J59: outbound validation — the client never emits a split request, and a
// refused request reaches nobody (no hook, no dial, no byte).
#include "httptrace/transport.hpp"

#include <atomic>
#include <mutex>

#include <gtest/gtest.h>

#include "hostile/hostile_fixture.hpp"
#include "transport/stream_wrapper.hpp"

namespace httptrace::testing {
namespace {

using namespace std::string_literals;
using Outbound = Hostile;

// A reader body that records whether it was ever read.
struct WatchedBody {
  std::shared_ptr<std::atomic<int>> reads = std::make_shared<std::atomic<int>>(0);
  RequestBody make() const {
    return RequestBody::from_reader(
        [reads = reads](std::span<std::byte> buf) -> Result<std::size_t> {
          ++*reads;
          buf[0] = std::byte{'x'};
          return std::size_t{1};
        },
        1);
  }
};

// Refused before anything happened: the error, no hook at all, no connection, body unread.
void expect_refused_unsent(const Exchange& x, const ScriptServer& server, const WatchedBody& body) {
  EXPECT_ERROR(x, ErrorCode::invalid_request);
  for (const std::string& line : x.hooks->lines()) {
    EXPECT_EQ(line.rfind("## ", 0), 0u) << "a hook fired for a refused request: " << line;
  }
  EXPECT_EQ(server.connections_accepted(), 0u);
  EXPECT_EQ(body.reads->load(), 0);
}

// J57. Header names must be tokens, values free of CR, LF and NUL.
TEST_F(Outbound, BadHeaderFieldsAreRefusedBeforeAnyHook) {
  const std::pair<std::string, std::string> fields[] = {
      {"X-Split", "a\r\nInjected: yes"},
      {"X-Lf", "a\nb"},
      {"X-Nul", "a\0b"s},
      {"X Space", "v"},
      {"X:Colon", "v"},
      {"X-\xc3\xa9", "v"},
      {"", "empty name"},
      {"X-Cr", "a\rb"},
  };
  ScriptServer server(reply_always(std::string(kOk)));
  for (const auto& [name, value] : fields) {
    SCOPED_TRACE(::testing::PrintToString(name) + ": " + ::testing::PrintToString(value));
    WatchedBody body;
    Request request = make_request("POST", server.url(), body.make());
    request.header().add(name, value);
    Exchange x = exchange(request);
    expect_refused_unsent(x, server, body);
  }
}

TEST_F(Outbound, MethodThatIsNotATokenIsRefused) {
  for (std::string method : {"GE T"s, "GET\r\n"s, "G\0T"s, ""s}) {
    SCOPED_TRACE(::testing::PrintToString(method));
    auto request = Request::make(method, "http://127.0.0.1:9/");
    ASSERT_FALSE(request);
    EXPECT_EQ(request.error().code(), ErrorCode::invalid_request);
  }
}

// J58. Host overrides and URLs that could split the request line or the Host field.
TEST_F(Outbound, BadHostOverridesAreRefused) {
  ScriptServer server(reply_always(std::string(kOk)));
  for (std::string host : {"a\r\nb"s, "a\nb"s, "a b"s, "a/b"s, "a\0b"s, "a\rb"s}) {
    SCOPED_TRACE(::testing::PrintToString(host));
    WatchedBody body;
    Request request = make_request("POST", server.url(), body.make());
    request.set_host(host);
    Exchange x = exchange(request);
    expect_refused_unsent(x, server, body);
  }
}

TEST_F(Outbound, UrlsWithControlBytesOrSpacesAreRefused) {
  ScriptServer server(reply_always(std::string(kOk)));
  const std::string base = "http://" + server.authority();
  const std::string urls[] = {
      base + "/a\r\nInjected: yes",
      base + "/a\nb",
      base +
          "/a\x01"
          "b",
      base + "/?q=a\r\nb",
      base + "/?q=a b",
      base + "/?q=a\x7f",
      "http://127.0.0.1\r\n:" + std::to_string(server.port()) + "/",
      "http://127.0.0.1 :" + std::to_string(server.port()) + "/",
      "http://a b/",
  };
  for (const std::string& url : urls) {
    SCOPED_TRACE(::testing::PrintToString(url));
    auto request = Request::make("GET", url);
    if (!request) {
      EXPECT_EQ(request.error().code(), ErrorCode::invalid_request);  // refused at parse time
      continue;
    }
    WatchedBody body;
    request->set_body(body.make());
    Exchange x = exchange(*request);
    expect_refused_unsent(x, server, body);
  }
}

// J58. A URL host that parses but holds bytes Go's ValidHostHeader refuses ('"', '<', '>') is
// refused at send, before anything is written.
TEST_F(Outbound, UrlHostsOutsideTheHostAlphabetAreRefusedAtSend) {
  ScriptServer server(reply_always(std::string(kOk)));
  // Were one let through, it must not be looked up: these hosts exist nowhere.
  detail::set_fake_dialer(*transport, [](std::string_view host, uint16_t) -> Result<std::unique_ptr<net::Stream>> {
    ADD_FAILURE() << "dialed " << host;
    return fail(ErrorCode::connection_refused, "no dialing in this test");
  });
  for (const std::string url : {"http://a\"b/", "http://a<b/", "http://a>b/"}) {
    SCOPED_TRACE(url);
    auto request = Request::make("GET", url);
    ASSERT_TRUE(request) << request.error().what();
    WatchedBody body;
    request->set_body(body.make());
    Exchange x = exchange(*request);
    expect_refused_unsent(x, server, body);
    ASSERT_TRUE(x.error);
    EXPECT_TRUE(std::string_view(x.error->what()).starts_with("invalid host in request URL")) << x.error->what();
  }
}

// J59. A body longer or shorter than its declared length fails the request and closes the
// connection; the header map never frames the body.
TEST_F(Outbound, BodyLengthMismatchFailsAndCloses) {
  for (std::size_t actual : {std::size_t{5}, std::size_t{2}}) {
    SCOPED_TRACE(actual);
    std::atomic<bool> peer_closed{false};
    ScriptServer server([&](ServerConn& conn) {
      if (!conn.read_request_head()) return;
      peer_closed = conn.wait_for_peer_close(scaled(5s));
    });
    auto produced = std::make_shared<std::size_t>(0);
    auto body = RequestBody::from_reader(
        [produced, actual](std::span<std::byte> buf) -> Result<std::size_t> {
          std::size_t n = std::min(buf.size(), actual - *produced);
          std::fill_n(buf.begin(), n, std::byte{'b'});
          *produced += n;
          return n;
        },
        3);
    Exchange x = exchange(make_request("POST", server.url(), body));
    EXPECT_ERROR(x, ErrorCode::invalid_request);
    expect_message_contains(x, "ContentLength=3 with Body length");
    EXPECT_EQ(transport->pool_stats().open_conns, 0u);
    ASSERT_TRUE(server.wait_for_handlers_finished(1, scaled(2s)));
    EXPECT_TRUE(peer_closed);
    expect_consistent_trace(x, Pooling::never);
  }
}

TEST_F(Outbound, CallerFramingFieldsNeverFrameTheBody) {
  ScriptServer server(reply_always(std::string(kOk)));
  Request request = make_request("POST", server.url(), RequestBody::from_string("abc"));
  request.header().set("Content-Length", "99");
  request.header().set("Transfer-Encoding", "chunked");
  Exchange x = exchange(request);
  ASSERT_TRUE(x.response) << x.describe();
  ASSERT_TRUE(server.wait_for_requests(1, scaled(2s)));
  const ScriptRequest sent = server.requests()[0].request;
  EXPECT_EQ(sent.header("Content-Length"), "3");
  EXPECT_EQ(count_header(sent.headers, "Content-Length"), 1u);
  EXPECT_FALSE(sent.header("Transfer-Encoding"));
  EXPECT_EQ(sent.body, "abc");
}

}  // namespace
}  // namespace httptrace::testing
