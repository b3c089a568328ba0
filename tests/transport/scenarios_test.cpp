// trace-semantics §5 (a), (c), (d), (e1)–(e4), (f1)–(f3), (g): the exact hook sequences of
// HTTP/1 round trips against nginx and our scripted server.
#include "httptrace/transport.hpp"

#include <thread>

#include <gtest/gtest.h>

#include "support/nginx.hpp"
#include "support/nginx_content.hpp"
#include "support/script_server.hpp"
#include "transport/fixture.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

class NginxScenarios : public ::testing::Test {
 protected:
  NginxServer nginx{NginxOptions{}};
  std::string port = std::to_string(nginx.port());
  std::string authority = "127.0.0.1:" + port;
};

// (a) First GET over a new connection to an IP literal: no DNS hooks; put_idle_conn inside
// the read that reaches EOF, after send() returned.
TEST_F(NginxScenarios, FirstGetDialsAndPoolsAtBodyEnd) {
  auto transport = make_transport();
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", nginx.base_url() + "/hello", hooks));
  ASSERT_TRUE(response) << response.error().what();
  hooks.mark("returned");
  EXPECT_EQ(body_of(*response), "hello world\n");
  hooks.mark("eof");
  EXPECT_EQ(hooks.lines(), (Lines{"get_conn " + authority, "connect_start tcp " + authority,
                                  "connect_done tcp " + authority, "got_conn reused=0 was_idle=0",
                                  "wrote_header_field Host=[" + authority + "]",
                                  "wrote_header_field User-Agent=[httptrace/0.1]",
                                  "wrote_header_field Accept-Encoding=[gzip]", "wrote_headers", "wrote_request",
                                  "got_first_response_byte", "## returned", "put_idle_conn", "## eof"}));
  // Every hook ran on the calling thread.
  for (auto id : hooks.threads()) EXPECT_EQ(id, std::this_thread::get_id());
  EXPECT_EQ(response->status_code(), 200);
  EXPECT_EQ(response->status(), "200 OK");
  EXPECT_EQ(response->proto(), "HTTP/1.1");
  EXPECT_EQ(response->content_length(), 12u);
  EXPECT_EQ(hooks.remote_addrs().at(0), authority);
}

// (c) The second GET reuses the idle connection: got_conn reused and was_idle with the time
// it sat idle; no dial hooks.
TEST_F(NginxScenarios, SecondGetReusesIdleConnection) {
  auto transport = make_transport();
  HookRecorder first;
  auto r1 = transport->round_trip(traced("GET", nginx.base_url() + "/hello", first));
  ASSERT_TRUE(r1);
  body_of(*r1);
  auto idle_start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(20ms);  // idle time to measure, not synchronisation
  HookRecorder second;
  auto r2 = transport->round_trip(traced("GET", nginx.base_url() + "/hello", second));
  ASSERT_TRUE(r2);
  auto elapsed = std::chrono::steady_clock::now() - idle_start;
  second.mark("returned");
  body_of(*r2);
  EXPECT_EQ(second.lines(),
            (Lines{"get_conn " + authority, "got_conn reused=1 was_idle=1", "wrote_header_field Host=[" + authority + "]",
                   "wrote_header_field User-Agent=[httptrace/0.1]", "wrote_header_field Accept-Encoding=[gzip]",
                   "wrote_headers", "wrote_request", "got_first_response_byte", "## returned", "put_idle_conn"}));
  ASSERT_EQ(second.idle_times().size(), 1u);
  EXPECT_GE(second.idle_times()[0], 20ms);
  EXPECT_LE(second.idle_times()[0], elapsed);
  EXPECT_EQ(first.conn_ids(), second.conn_ids());
}

// A pool key longer than the inline text it is built in (a long host name) names the same
// connection on every request: the second GET reuses the first one's.
TEST_F(NginxScenarios, ALongHostNameStillReusesItsConnection) {
  const std::string host = std::string(70, 'a') + ".test";
  const std::string host_port = host + ":" + port;
  auto options = test_options();
  options.resolve_overrides[host_port] = {*IpAddress::parse("127.0.0.1")};
  auto transport = make_transport(options);
  HookRecorder first;
  HookRecorder second;
  for (HookRecorder* hooks : {&first, &second}) {
    auto response = transport->round_trip(traced("GET", "http://" + host_port + "/hello", *hooks));
    ASSERT_TRUE(response) << response.error().what();
    EXPECT_EQ(body_of(*response), "hello world\n");
    EXPECT_EQ(hooks->lines().front(), "get_conn " + host_port);
  }
  EXPECT_EQ(second.count("connect_start"), 0u);
  EXPECT_EQ(second.lines().at(1), "got_conn reused=1 was_idle=1");
  EXPECT_EQ(first.conn_ids(), second.conn_ids());
}

// (d) A POST with a known-length body: Content-Length between User-Agent and Accept-Encoding.
TEST_F(NginxScenarios, PostWithBodySendsContentLength) {
  auto transport = make_transport();
  HookRecorder hooks;
  auto response =
      transport->round_trip(traced("POST", nginx.base_url() + "/upload", hooks, RequestBody::from_string("some body")));
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(body_of(*response), "ok\n");
  EXPECT_EQ(hooks.lines_starting("wrote_header_field"),
            (Lines{"wrote_header_field Host=[" + authority + "]", "wrote_header_field User-Agent=[httptrace/0.1]",
                   "wrote_header_field Content-Length=[9]", "wrote_header_field Accept-Encoding=[gzip]"}));
  EXPECT_EQ(hooks.count("put_idle_conn"), 1u);
}

// Bodiless responses pool their connection before round_trip returns (§6).
TEST_F(NginxScenarios, BodilessResponsesPoolBeforeReturning) {
  auto transport = make_transport();
  for (std::string path : {"/status/204", "/status/304"}) {
    HookRecorder hooks;
    auto response = transport->round_trip(traced("GET", nginx.base_url() + path, hooks));
    ASSERT_TRUE(response) << path;
    hooks.mark("returned");
    EXPECT_EQ(hooks.lines().back(), "## returned") << path;
    EXPECT_EQ(hooks.lines().at(hooks.lines().size() - 2), "put_idle_conn") << path;
    EXPECT_EQ(body_of(*response), "");
  }
  HookRecorder head;
  auto response = transport->round_trip(traced("HEAD", nginx.base_url() + "/static/16k.bin", head));
  ASSERT_TRUE(response);
  head.mark("returned");
  EXPECT_EQ(response->content_length(), 16384u);
  EXPECT_EQ(head.lines().at(head.lines().size() - 2), "put_idle_conn");
  EXPECT_EQ(head.count("wrote_header_field Accept-Encoding"), 0u);  // not for HEAD (§8.3)
  EXPECT_EQ(body_of(*response), "");
}

// Transparent gzip (§8.3): decoded, Content-Encoding and Content-Length removed.
TEST_F(NginxScenarios, GzipIsDecodedTransparently) {
  auto transport = make_transport();
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", nginx.base_url() + "/static/text.txt", hooks));
  ASSERT_TRUE(response);
  EXPECT_TRUE(response->uncompressed());
  EXPECT_FALSE(response->header().has("Content-Encoding"));
  EXPECT_FALSE(response->content_length());
  EXPECT_EQ(body_of(*response), static_file_content("text.txt"));
  EXPECT_EQ(hooks.count("put_idle_conn"), 1u);

  // A user-requested gzip is returned compressed.
  auto request = Request::make("GET", nginx.base_url() + "/static/text.txt");
  request->header().set("Accept-Encoding", "gzip");
  auto raw = transport->round_trip(*request);
  ASSERT_TRUE(raw);
  EXPECT_FALSE(raw->uncompressed());
  EXPECT_EQ(raw->header().get("Content-Encoding"), "gzip");
}

// (g) Connection refused: the failed attempt's hooks, no got_conn, a typed error.
TEST(Scenarios, ConnectionRefusedFailsAfterConnectDone) {
  std::string url;
  std::string authority;
  {
    ScriptServer closed([](ServerConn&) {});
    authority = closed.authority();
    url = closed.url("/");
  }  // the port no longer listens
  auto transport = make_transport();
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", url, hooks));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::connection_refused);
  EXPECT_EQ(response.error().op(), "dial");
  EXPECT_NE(std::string(response.error().what()).find(authority), std::string::npos);
  EXPECT_EQ(hooks.lines(), (Lines{"get_conn " + authority, "connect_start tcp " + authority,
                                  "connect_done tcp " + authority + " err=connection_refused"}));
  EXPECT_EQ(transport->pool_stats().open_conns, 0u);
}

// A scripted server answering each request on a connection with `response`.
ScriptServer answering(std::string response) {
  return ScriptServer([response](ServerConn& conn) {
    while (auto request = conn.read_request()) {
      if (!conn.write(response)) return;
    }
  });
}

// (e1) 100 then 200: wait_100_continue, first byte, got_100_continue before
// got_1xx_response(100), then the body goes out.
TEST(Scenarios, ExpectContinueWithHundredThenFinal) {
  ScriptServer server([](ServerConn& conn) {
    auto head = conn.read_request_head();
    if (!head) return;
    conn.write("HTTP/1.1 100 Continue\r\n\r\n");
    if (!conn.read_body(*head)) return;
    conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  auto transport = make_transport();
  HookRecorder hooks;
  auto request = traced("POST", server.url("/up"), hooks, RequestBody::from_string("some body"));
  request.header().set("Expect", "100-continue");
  auto response = transport->round_trip(request);
  ASSERT_TRUE(response) << response.error().what();
  hooks.mark("returned");
  EXPECT_EQ(body_of(*response), "ok");
  Lines lines = hooks.lines();
  Lines tail(lines.end() - 9, lines.end());
  EXPECT_EQ(tail, (Lines{"wrote_header_field Accept-Encoding=[gzip]", "wrote_headers", "wait_100_continue",
                         "got_first_response_byte", "got_100_continue", "got_1xx_response 100", "wrote_request",
                         "## returned", "put_idle_conn"}));
  ASSERT_TRUE(server.wait_for_requests(1, scaled(2s)));
  EXPECT_EQ(server.requests()[0].request.body, "some body");
}

// (e2) A silent server: the body goes out when expect_continue_timeout passes; no error.
TEST(Scenarios, ExpectContinueTimeoutSendsBodyAnyway) {
  ScriptServer server([](ServerConn& conn) {
    auto request = conn.read_request();  // head, then the body once the client gives up waiting
    if (request) conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  auto options = test_options();
  options.expect_continue_timeout = 300ms;
  auto transport = make_transport(options);
  HookRecorder hooks;
  auto request = traced("POST", server.url("/up"), hooks, RequestBody::from_string("some body"));
  request.header().set("Expect", "100-continue");
  auto start = std::chrono::steady_clock::now();
  auto response = transport->round_trip(request);
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);  // the timer did not fire early
  EXPECT_EQ(body_of(*response), "ok");
  EXPECT_EQ(hooks.count("got_100_continue"), 0u);
  EXPECT_EQ(hooks.count("got_1xx_response"), 0u);
  Lines lines = hooks.lines();
  auto wait = std::find(lines.begin(), lines.end(), "wait_100_continue");
  ASSERT_NE(wait, lines.end());
  EXPECT_EQ(*(wait + 1), "wrote_request");
  EXPECT_EQ(*(wait + 2), "got_first_response_byte");
}

// (e3) 417 before any 100: the body is never sent, wrote_request without error, and — our
// decision — the connection is closed without put_idle_conn.
TEST(Scenarios, ExpectContinueRefusedWithholdsBodyAndClosesConnection) {
  std::atomic<bool> peer_closed{false};
  std::string after_head;
  ScriptServer server([&](ServerConn& conn) {
    auto head = conn.read_request_head();
    if (!head) return;
    conn.write("HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n");
    peer_closed = conn.wait_for_peer_close(scaled(5s));
    after_head = conn.buffered();
  });
  auto transport = make_transport();
  HookRecorder hooks;
  auto request = traced("POST", server.url("/up"), hooks, RequestBody::from_string("some body"));
  request.header().set("Expect", "100-continue");
  auto response = transport->round_trip(request);
  ASSERT_TRUE(response) << response.error().what();
  hooks.mark("returned");
  EXPECT_EQ(response->status_code(), 417);
  Lines lines = hooks.lines();
  Lines tail(lines.end() - 5, lines.end());
  EXPECT_EQ(tail, (Lines{"wrote_headers", "wait_100_continue", "got_first_response_byte", "wrote_request",
                         "## returned"}));
  EXPECT_EQ(hooks.count("put_idle_conn"), 0u);
  ASSERT_TRUE(server.wait_for_handlers_finished(1, scaled(5s)));
  EXPECT_TRUE(peer_closed);
  EXPECT_EQ(after_head, "");  // not one byte of the body
}

// (e4) expect_continue_timeout = 0: the hook still fires, the body goes at once.
TEST(Scenarios, ExpectContinueWithZeroTimeoutStillFiresHook) {
  ScriptServer server = answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  auto options = test_options();
  options.expect_continue_timeout = 0ns;
  auto transport = make_transport(options);
  HookRecorder hooks;
  auto request = traced("POST", server.url("/up"), hooks, RequestBody::from_string("some body"));
  request.header().set("Expect", "100-continue");
  auto response = transport->round_trip(request);
  ASSERT_TRUE(response);
  Lines lines = hooks.lines();
  auto wait = std::find(lines.begin(), lines.end(), "wait_100_continue");
  ASSERT_NE(wait, lines.end());
  EXPECT_EQ(*(wait + 1), "wrote_request");
}

// (f1) 103 Early Hints, then 200.
TEST(Scenarios, EarlyHintsReachTheHookThenTheFinalResponse) {
  ScriptServer server = answering(
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nLink: </x>\r\n\r\nok");
  auto transport = make_transport();
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", server.url("/"), hooks));
  ASSERT_TRUE(response);
  hooks.mark("returned");
  Lines lines = hooks.lines();
  Lines tail(lines.end() - 4, lines.end());
  EXPECT_EQ(tail, (Lines{"wrote_request", "got_first_response_byte",
                         "got_1xx_response 103 Link=[</style.css>; rel=preload]", "## returned"}));
  EXPECT_EQ(response->header().values("Link"), (std::vector<std::string_view>{"</x>"}));
}

// (f2) An unsolicited 100, then a 103: got_1xx_response for both, no got_100_continue.
TEST(Scenarios, UnsolicitedHundredIsOnlyAnInformationalResponse) {
  ScriptServer server = answering(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  auto transport = make_transport();
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", server.url("/"), hooks));
  ASSERT_TRUE(response);
  EXPECT_EQ(hooks.lines_starting("got_1"), (Lines{"got_1xx_response 100", "got_1xx_response 103 Link=[</a>]"}));
  EXPECT_EQ(body_of(*response), "ok");
}

// (f3) got_1xx_response returning an Error aborts with aborted_by_hook; the connection is
// closed; the next request dials anew.
TEST(Scenarios, InformationalHookErrorAbortsAndClosesTheConnection) {
  ScriptServer server = answering(
      "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  auto transport = make_transport();
  HookRecorder hooks;
  hooks.on_1xx = [](int) -> std::optional<Error> { return Error(ErrorCode::aborted_by_hook, "hook says no"); };
  auto response = transport->round_trip(traced("GET", server.url("/"), hooks));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::aborted_by_hook);
  EXPECT_NE(std::string(response.error().what()).find("hook says no"), std::string::npos);
  EXPECT_EQ(hooks.count("put_idle_conn"), 0u);

  HookRecorder again;
  auto next = transport->round_trip(traced("GET", server.url("/"), again));
  ASSERT_TRUE(next);
  EXPECT_EQ(again.count("connect_start"), 1u);
  EXPECT_EQ(server.connections_accepted(), 2u);
}

// More than five informational responses: an error, and the sixth fires no hook (Go).
TEST(Scenarios, SixthInformationalResponseIsAnError) {
  std::string six;
  for (int i = 0; i < 6; ++i) six += "HTTP/1.1 103 Early Hints\r\n\r\n";
  ScriptServer server = answering(six + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  auto transport = make_transport();
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", server.url("/"), hooks));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::protocol);
  EXPECT_EQ(hooks.count("got_1xx_response"), 5u);
}

// A request refused before anything is sent fires no hook at all.
TEST(Scenarios, InvalidRequestsFireNoHookAndSendNothing) {
  ScriptServer server = answering("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  auto transport = make_transport();
  HookRecorder hooks;
  auto bad_header = traced("GET", server.url("/"), hooks);
  bad_header.header().add("X-Evil", "a\r\nInjected: yes");
  auto r1 = transport->round_trip(bad_header);
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error().code(), ErrorCode::invalid_request);

  auto bad_host = traced("GET", server.url("/"), hooks);
  bad_host.set_host("a b\r\n");
  auto r2 = transport->round_trip(bad_host);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code(), ErrorCode::invalid_request);

  auto ftp = Request::make("GET", "ftp://127.0.0.1/x");
  auto r3 = transport->round_trip(ftp->with_context(with_client_trace(background(), hooks.trace())));
  ASSERT_FALSE(r3);
  EXPECT_EQ(r3.error().code(), ErrorCode::unsupported_scheme);

  auto [ctx, cancel] = with_cancel(background());
  cancel();
  auto r4 = transport->round_trip(traced("GET", server.url("/"), hooks, RequestBody::empty(), ctx));
  ASSERT_FALSE(r4);
  EXPECT_EQ(r4.error().code(), ErrorCode::canceled);

  EXPECT_TRUE(hooks.lines().empty());
  EXPECT_EQ(server.connections_accepted(), 0u);
}

}  // namespace
}  // namespace httptrace::testing
