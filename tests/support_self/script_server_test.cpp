#include "support/script_server.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <string>

#include <gtest/gtest.h>

#include "support/fd_count.hpp"
#include "support/loopback.hpp"
#include "support/test_socket.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

// Answers every request on the connection with kOk.
void serve_ok(ServerConn& conn) {
  while (auto request = conn.read_request()) {
    if (!conn.write(kOk)) return;
  }
}

TestSocket client_of(const ScriptServer& server) {
  TestSocket socket = dial_test_socket(server.port());
  socket.set_read_timeout(scaled(5000ms));
  return socket;
}

TEST(ScriptServer, ReadsARequestWithAContentLengthBody) {
  ScriptServer server(serve_ok);
  TestSocket client = client_of(server);
  const std::string sent =
      "POST /form?q=1 HTTP/1.1\r\nHost: h\r\nX-Dup: 1\r\nx-dup: 2\r\n"
      "Content-Length: 5\r\n\r\nhello";
  ASSERT_TRUE(client.write(sent));
  const auto response = client.read_response();
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "ok");

  ASSERT_TRUE(server.wait_for_requests(1, scaled(5000ms)));
  const ScriptRequest request = server.requests().at(0).request;
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/form?q=1");
  EXPECT_EQ(request.version, "HTTP/1.1");
  EXPECT_EQ(request.body, "hello");
  EXPECT_EQ(request.raw, sent);
  EXPECT_TRUE(request.body_complete);
  ASSERT_EQ(request.headers.size(), 4u);
  EXPECT_EQ(request.headers[1], std::make_pair(std::string("X-Dup"), std::string("1")));
  EXPECT_EQ(request.headers[2], std::make_pair(std::string("x-dup"), std::string("2")));
  EXPECT_EQ(request.header("X-DUP"), "1");
}

TEST(ScriptServer, ReadsAChunkedBodyWithTrailers) {
  ScriptServer server(serve_ok);
  TestSocket client = client_of(server);
  const std::string sent =
      "PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Sum: 9\r\n\r\n";
  ASSERT_TRUE(client.write(sent));
  ASSERT_TRUE(client.read_response());
  ASSERT_TRUE(server.wait_for_requests(1, scaled(5000ms)));
  const ScriptRequest request = server.requests().at(0).request;
  EXPECT_EQ(request.body, "hello 0123456789");
  EXPECT_EQ(request.framing.kind, BodyFraming::Kind::chunked);
  ASSERT_EQ(request.trailers.size(), 1u);
  EXPECT_EQ(request.trailers[0].second, "9");
  EXPECT_EQ(request.raw, sent);
}

TEST(ScriptServer, PipelinedRequestsAreReadOneAtATime) {
  ScriptServer server(serve_ok);
  TestSocket client = client_of(server);
  ASSERT_TRUE(client.write("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_TRUE(client.read_response());
  ASSERT_TRUE(client.read_response());
  ASSERT_TRUE(server.wait_for_requests(2, scaled(5000ms)));
  const auto log = server.requests();
  EXPECT_EQ(log[0].request.target, "/1");
  EXPECT_EQ(log[1].request.target, "/2");
  EXPECT_EQ(log[0].conn_id, log[1].conn_id);
}

TEST(ScriptServer, ConnectionIdsFollowAcceptOrder) {
  ScriptServer server(serve_ok);
  for (int i = 0; i < 3; ++i) {
    TestSocket client = client_of(server);
    ASSERT_TRUE(client.write("GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n"));
    ASSERT_TRUE(client.read_response());
  }
  ASSERT_TRUE(server.wait_for_requests(3, scaled(5000ms)));
  const auto log = server.requests();
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(log[i].conn_id, i);
    EXPECT_EQ(log[i].request.target, "/" + std::to_string(i));
  }
  EXPECT_EQ(server.connections_accepted(), 3u);
}

TEST(ScriptServer, MalformedRequestIsReportedAsAValue) {
  std::promise<IoFailure> outcome;
  ScriptServer server([&](ServerConn& conn) {
    auto request = conn.read_request();
    outcome.set_value(request ? IoFailure::error : request.error().kind);
  });
  TestSocket client = client_of(server);
  ASSERT_TRUE(client.write("GET / HTTP/1.1\r\nNo colon here\r\n\r\n"));
  auto future = outcome.get_future();
  ASSERT_EQ(future.wait_for(scaled(5000ms)), std::future_status::ready);
  EXPECT_EQ(future.get(), IoFailure::malformed);
  EXPECT_TRUE(server.requests().empty());
}

TEST(ScriptServer, EofBeforeARequestIsReportedAsEof) {
  std::promise<IoFailure> outcome;
  ScriptServer server([&](ServerConn& conn) {
    auto request = conn.read_request();
    outcome.set_value(request ? IoFailure::error : request.error().kind);
  });
  {
    TestSocket client = client_of(server);
    ASSERT_TRUE(client.write("GET / HT"));
  }
  auto future = outcome.get_future();
  ASSERT_EQ(future.wait_for(scaled(5000ms)), std::future_status::ready);
  EXPECT_EQ(future.get(), IoFailure::eof);
}

TEST(ScriptServer, HeadThenBodyAllowsExpectContinue) {
  ScriptServer server([](ServerConn& conn) {
    auto head = conn.read_request_head();
    if (!head || head->header("Expect") != "100-continue") return;
    if (!conn.write("HTTP/1.1 100 Continue\r\n\r\n")) return;
    if (!conn.read_body(*head)) return;
    conn.write(kOk);
  });
  TestSocket client = client_of(server);
  ASSERT_TRUE(client.write(
      "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  ASSERT_TRUE(server.wait_for_requests(1, scaled(5000ms)));
  EXPECT_FALSE(server.requests()[0].request.body_complete);
  const auto interim = client.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.write("data"));
  const auto final_response = client.read_response();
  ASSERT_TRUE(final_response);
  EXPECT_EQ(final_response->status, 200);
  ASSERT_EQ(server.requests().size(), 1u);  // completed in place, not logged twice
  EXPECT_TRUE(server.requests()[0].request.body_complete);
  EXPECT_EQ(server.requests()[0].request.body, "data");
}

TEST(ScriptServer, DripSendsOneBytePerInterval) {
  constexpr auto kInterval = 30ms;
  const std::string payload = "drip";
  ScriptServer server([&](ServerConn& conn) {
    if (conn.read_request()) conn.drip(payload, kInterval);
  });
  TestSocket client = client_of(server);
  ASSERT_TRUE(client.write("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  const auto start = Clock::now();
  std::string received;
  int reads = 0;
  while (received.size() < payload.size()) {
    const auto bytes = client.read_some();
    ASSERT_TRUE(bytes) << bytes.error().message;
    received += *bytes;
    ++reads;
  }
  EXPECT_EQ(received, payload);
  // Three pauses sit between four bytes; a timer firing early would show up here.
  EXPECT_GE(Clock::now() - start, 3 * kInterval);
  EXPECT_GE(reads, 2);
}

TEST(ScriptServer, ResetMakesTheClientSeeConnectionReset) {
  ScriptServer server([](ServerConn& conn) {
    if (conn.read_request()) conn.reset();
  });
  TestSocket client = client_of(server);
  ASSERT_TRUE(client.write("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  const auto result = client.read_some();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, IoFailure::reset) << result.error().message;
}

TEST(ScriptServer, ShutdownWriteSendsFinAndKeepsReading) {
  std::promise<std::string> second_target;
  ScriptServer server([&](ServerConn& conn) {
    if (!conn.read_request()) return;
    conn.shutdown_write();
    auto next = conn.read_request();
    second_target.set_value(next ? next->target : "");
  });
  TestSocket client = client_of(server);
  ASSERT_TRUE(client.write("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"));
  const auto eof = client.read_some();
  ASSERT_FALSE(eof);
  EXPECT_EQ(eof.error().kind, IoFailure::eof);
  ASSERT_TRUE(client.write("GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto future = second_target.get_future();
  ASSERT_EQ(future.wait_for(scaled(5000ms)), std::future_status::ready);
  EXPECT_EQ(future.get(), "/2");
}

TEST(ScriptServer, WaitForPeerCloseSeesTheClientClose) {
  std::atomic<bool> saw_close{false};
  ScriptServer server(
      [&](ServerConn& conn) { saw_close = conn.wait_for_peer_close(scaled(5000ms)); });
  {
    TestSocket client = client_of(server);
    ASSERT_TRUE(server.wait_for_connections(1, scaled(5000ms)));
  }
  ASSERT_TRUE(server.wait_for_handlers_finished(1, scaled(5000ms)));
  EXPECT_TRUE(saw_close);
}

TEST(ScriptServer, WaitForPeerCloseTimesOutWhileTheClientStays) {
  std::promise<bool> outcome;
  ScriptServer server([&](ServerConn& conn) { outcome.set_value(conn.wait_for_peer_close(50ms)); });
  TestSocket client = client_of(server);
  auto future = outcome.get_future();
  ASSERT_EQ(future.wait_for(scaled(5000ms)), std::future_status::ready);
  EXPECT_FALSE(future.get());
}

TEST(ScriptServer, ReadTimeoutIsReportedAsTimeout) {
  std::promise<IoFailure> outcome;
  ScriptServer server([&](ServerConn& conn) {
    conn.set_read_timeout(50ms);
    auto request = conn.read_request();
    outcome.set_value(request ? IoFailure::error : request.error().kind);
  });
  TestSocket client = client_of(server);
  auto future = outcome.get_future();
  ASSERT_EQ(future.wait_for(scaled(5000ms)), std::future_status::ready);
  EXPECT_EQ(future.get(), IoFailure::timeout);
}

TEST(ScriptServer, WaitForRequestsReturnsOnTheEventNotTheTimeout) {
  ScriptServer server(serve_ok);
  EXPECT_FALSE(server.wait_for_requests(1, 10ms));
  TestSocket client = client_of(server);
  std::thread sender([&] { (void)client.write("GET / HTTP/1.1\r\nHost: h\r\n\r\n"); });
  const auto start = Clock::now();
  EXPECT_TRUE(server.wait_for_requests(1, 60s));
  // Woken by the request: far sooner than the 60 s timeout.
  EXPECT_LT(Clock::now() - start, 30s);
  sender.join();
  EXPECT_TRUE(server.wait_for_connections(1, 0ms));
  EXPECT_FALSE(server.wait_for_connections(2, 10ms));
}

TEST(ScriptServer, DestructionUnblocksAHandlerStuckInARead) {
  std::promise<IoFailure> outcome;
  auto server = std::make_unique<ScriptServer>([&](ServerConn& conn) {
    auto request = conn.read_request();
    outcome.set_value(request ? IoFailure::error : request.error().kind);
  });
  TestSocket client = client_of(*server);
  ASSERT_TRUE(server->wait_for_connections(1, scaled(5000ms)));
  server.reset();
  auto future = outcome.get_future();
  ASSERT_EQ(future.wait_for(0ms), std::future_status::ready);
  EXPECT_EQ(future.get(), IoFailure::stopped);
  // The client sees the server side go away.
  EXPECT_TRUE(client.wait_for_peer_close(scaled(5000ms)));
}

TEST(ScriptServer, DestructionInterruptsADrip) {
  std::promise<IoFailure> outcome;
  auto server = std::make_unique<ScriptServer>([&](ServerConn& conn) {
    auto dripped = conn.drip(std::string(100, 'x'), 60s);
    outcome.set_value(dripped ? IoFailure::error : dripped.error().kind);
  });
  TestSocket client = client_of(*server);
  ASSERT_TRUE(client.read_exactly(1));  // the drip has started
  const auto start = Clock::now();
  server.reset();
  EXPECT_LT(Clock::now() - start, scaled(5s));
  auto future = outcome.get_future();
  ASSERT_EQ(future.wait_for(0ms), std::future_status::ready);
  EXPECT_EQ(future.get(), IoFailure::stopped);
}

TEST(ScriptServer, HandlerExceptionsAreRecorded) {
  ScriptServer server([](ServerConn&) { throw std::runtime_error("scripted failure"); });
  TestSocket client = client_of(server);
  ASSERT_TRUE(server.wait_for_handlers_finished(1, scaled(5000ms)));
  ASSERT_EQ(server.handler_failures().size(), 1u);
  EXPECT_EQ(server.handler_failures()[0], "scripted failure");
  EXPECT_TRUE(client.wait_for_peer_close(scaled(5000ms)));
}

TEST(ScriptServer, UrlNamesTheLoopbackPort) {
  ScriptServer server(serve_ok);
  EXPECT_EQ(server.url("/x"), "http://127.0.0.1:" + std::to_string(server.port()) + "/x");
  EXPECT_EQ(server.authority(), "127.0.0.1:" + std::to_string(server.port()));
}

TEST(ScriptServer, ListensOnBothFamiliesAtOnePort) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback on this machine";
  ScriptServer server(serve_ok, ScriptServerOptions{.ipv4 = true, .ipv6 = true, .backlog = 16});
  for (const Loopback family : {Loopback::ipv4, Loopback::ipv6}) {
    TestSocket client = dial_test_socket(server.port(), family);
    client.set_read_timeout(scaled(5000ms));
    ASSERT_TRUE(client.write("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    EXPECT_TRUE(client.read_response());
  }
  EXPECT_EQ(server.url_v6("/"), "http://[::1]:" + std::to_string(server.port()) + "/");
}

TEST(ScriptServer, Ipv6OnlyServerIsNotOnIpv4) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback on this machine";
  ScriptServer server(serve_ok, ScriptServerOptions{.ipv4 = false, .ipv6 = true, .backlog = 16});
  EXPECT_EQ(server.url("/"), "http://[::1]:" + std::to_string(server.port()) + "/");
  TestSocket client = dial_test_socket(server.port(), Loopback::ipv6);
  (void)client;
  // Nothing else is expected on this fresh port; refused rather than answered by us.
  const auto v4 = connect_loopback(Loopback::ipv4, server.port(), scaled(1000ms));
  EXPECT_FALSE(v4.has_value());
}

TEST(ScriptServer, FdsReturnToBaselineAfterDestruction) {
  const int baseline = open_fd_count();
  {
    ScriptServer server(serve_ok);
    for (int i = 0; i < 3; ++i) {
      TestSocket client = client_of(server);
      ASSERT_TRUE(client.write("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
      ASSERT_TRUE(client.read_response());
    }
    TestSocket left_open = client_of(server);
    ASSERT_TRUE(server.wait_for_connections(4, scaled(5000ms)));
  }
  EXPECT_EQ(wait_for_fd_count(baseline, scaled(2000ms)), baseline);
}

TEST(ScriptServer, ManyConcurrentClientsAreServed) {
  ScriptServer server(serve_ok);
  constexpr int kClients = 16;
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      TestSocket client = client_of(server);
      for (int r = 0; r < 5; ++r) {
        if (!client.write("GET / HTTP/1.1\r\nHost: h\r\n\r\n")) return;
        if (!client.read_response()) return;
      }
      ++ok;
    });
  }
  for (auto& thread : clients) thread.join();
  EXPECT_EQ(ok.load(), kClients);
  EXPECT_TRUE(server.wait_for_requests(kClients * 5, scaled(5000ms)));
  EXPECT_EQ(server.connections_accepted(), static_cast<std::size_t>(kClients));
}

}  // namespace
}  // namespace httptrace::testing
