// http2::ClientConnection's streams and connection ending: RST_STREAM, cancellation, deadlines,
// GOAWAY, PING, closes and protocol violations — each failing only what it concerns.
#include "http2/client_connection.hpp"

#include <gtest/gtest.h>

#include <future>

#include "http2/h2_fixture.hpp"
#include "support/fd_count.hpp"

namespace httptrace::testing {
namespace {

bool has_event(const std::vector<std::string>& events, std::string_view event) {
  return std::find(events.begin(), events.end(), event) != events.end();
}

// A server that answers "/..." paths at once and holds "/held..." ones until told.
void answer_or_hold(H2TestServer& server) {
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    const std::string path = request.header(":path");
    if (path.rfind("/held", 0) == 0) return;
    if (path == "/reset") return control.reset(request.stream_id, NGHTTP2_INTERNAL_ERROR);
    if (path == "/refused") return control.reset(request.stream_id, NGHTTP2_REFUSED_STREAM);
    if (path == "/cancel") return control.reset(request.stream_id, NGHTTP2_CANCEL);
    control.respond(request.stream_id, text_response("ok " + path));
  };
}

bool wait_for_requests(const H2TestServer& server, std::size_t count) {
  // A request is recorded when its HEADERS begin; wait for its fields too (stream_of reads
  // :path, and the server thread may still be decoding them).
  auto headed = [count](const auto& requests, const auto&) {
    return static_cast<std::size_t>(std::count_if(
               requests.begin(), requests.end(),
               [](const H2Request& r) { return !r.header(":path").empty(); })) >= count;
  };
  return server.wait_for(headed, scaled(5000ms));
}

bool wait_for_event(const H2TestServer& server, std::string event) {
  return server.wait_for(
      [&event](const auto&, const auto& events) { return has_event(events, event); },
      scaled(5000ms));
}

int32_t stream_of(const H2TestServer& server, std::string_view path) {
  for (const H2Request& request : server.requests()) {
    if (request.header(":path") == path) return request.stream_id;
  }
  return -1;
}

std::future<Result<Response>> send_async(http2::ClientConnection& conn, Request request) {
  return std::async(std::launch::async, [&conn, request] { return send(conn, request); });
}

TEST(Http2Lifecycle, RstStreamFromThePeerFailsThatStreamOnlyWithATypedError) {
  H2TestServer server;
  answer_or_hold(server);
  auto conn = connect_to(server);
  auto held = send_async(*conn, make_request("GET", "/held"));
  ASSERT_TRUE(wait_for_requests(server, 1));

  auto reset = send(*conn, make_request("GET", "/reset"));
  ASSERT_FALSE(reset);
  EXPECT_EQ(reset.error().code(), ErrorCode::protocol);
  EXPECT_EQ(reset.error().message(),
            "stream error: stream ID 3; INTERNAL_ERROR; received from peer");
  EXPECT_TRUE(reset.error().maybe_sent());

  auto refused = send(*conn, make_request("GET", "/refused"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::protocol);
  // RFC 9113 §8.7: REFUSED_STREAM means nothing was processed: safe to retry elsewhere.
  EXPECT_FALSE(refused.error().maybe_sent());

  auto canceled = send(*conn, make_request("GET", "/cancel"));
  ASSERT_FALSE(canceled);
  EXPECT_EQ(canceled.error().code(), ErrorCode::canceled);
  EXPECT_EQ(canceled.error().message(), "stream error: stream ID 7; CANCEL; received from peer");

  server.run([](H2ServerControl& control) { control.respond(1, text_response("held ok")); });
  auto response = held.get();
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(response->body().read_all().value(), "held ok");
  EXPECT_TRUE(conn->usable());
}

TEST(Http2Lifecycle, CancellingOneStreamResetsItAndLeavesTheOthers) {
  H2TestServer server;
  answer_or_hold(server);
  auto conn = connect_to(server);
  auto first = send_async(*conn, make_request("GET", "/held-1"));
  ASSERT_TRUE(wait_for_requests(server, 1));

  auto [ctx, cancel] = with_cancel(background());
  HookRecorder hooks;
  auto second = send_async(*conn, traced(make_request("GET", "/held-2").with_context(ctx), hooks));
  ASSERT_TRUE(wait_for_requests(server, 2));
  const auto start = std::chrono::steady_clock::now();
  cancel();
  auto canceled = second.get();
  EXPECT_LT(std::chrono::steady_clock::now() - start, scaled(1000ms));
  ASSERT_FALSE(canceled);
  EXPECT_EQ(canceled.error().code(), ErrorCode::canceled);
  const int32_t second_id = stream_of(server, "/held-2");
  EXPECT_TRUE(wait_for_event(server, "rst " + std::to_string(second_id) + " CANCEL"))
      << ::testing::PrintToString(server.events());
  // The request was written: wrote_request fired once, with no error.
  EXPECT_EQ(hooks.lines_starting("wrote_request"), std::vector<std::string>{"wrote_request"});

  const int32_t first_id = stream_of(server, "/held-1");
  server.run(
      [first_id](H2ServerControl& control) { control.respond(first_id, text_response("first")); });
  auto response = first.get();
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(response->body().read_all().value(), "first");
}

TEST(Http2Lifecycle, DeadlineAwaitingTheHeadEndsTheStreamInTime) {
  H2TestServer server;
  answer_or_hold(server);
  auto conn = connect_to(server);
  auto [ctx, cancel] = with_timeout(background(), 100ms);
  const auto start = std::chrono::steady_clock::now();
  auto response = send(*conn, make_request("GET", "/held").with_context(ctx));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::deadline_exceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms + scaled(250ms));
  EXPECT_TRUE(wait_for_event(server, "rst 1 CANCEL"));
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(conn->active_streams(), 0u);
}

TEST(Http2Lifecycle, ResponseHeaderTimeoutFailsTheStreamWithATimeout) {
  H2TestServer server;
  answer_or_hold(server);
  http2::ConnectionOptions options = test_options();
  options.response_header_timeout = 100ms;
  auto conn = connect_to(server, options);
  auto response = send(*conn, make_request("GET", "/held"));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::timeout);
  EXPECT_EQ(response.error().message(), "net/http: timeout awaiting response headers");
  EXPECT_TRUE(wait_for_event(server, "rst 1 CANCEL"));
}

TEST(Http2Lifecycle, DeadlineCutsThroughAStalledBodyRead) {
  H2TestServer server;
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    H2Response response;
    response.body = "part";
    response.leave_open = true;
    control.respond(request.stream_id, std::move(response));
  };
  auto conn = connect_to(server);
  auto [ctx, cancel] = with_timeout(background(), 150ms);
  auto response = send(*conn, make_request("GET", "/drip").with_context(ctx));
  ASSERT_TRUE(response) << response.error().what();
  std::byte buf[16];
  auto first = response->body().read(buf);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, 4u);
  auto stalled = response->body().read(buf);
  ASSERT_FALSE(stalled);
  EXPECT_EQ(stalled.error().code(), ErrorCode::deadline_exceeded);
  EXPECT_TRUE(wait_for_event(server, "rst 1 CANCEL"));
}

// GOAWAY in flight: streams up to last_stream_id complete; the others fail, unprocessed.
TEST(Http2Lifecycle, GoawayCompletesStreamsBelowLastStreamIdAndRefusesTheRest) {
  H2TestServer server;
  answer_or_hold(server);
  auto conn = connect_to(server);
  std::vector<std::future<Result<Response>>> calls;
  for (int i = 0; i < 4; ++i)
    calls.push_back(send_async(*conn, make_request("GET", "/held-" + std::to_string(i))));
  ASSERT_TRUE(wait_for_requests(server, 4));

  server.run([](H2ServerControl& control) {
    control.goaway(3);
    control.respond(1, text_response("one"));
    control.respond(3, text_response("three"));
  });
  int completed = 0;
  int refused = 0;
  for (int i = 0; i < 4; ++i) {
    const int32_t id = stream_of(server, "/held-" + std::to_string(i));
    auto response = calls[static_cast<std::size_t>(i)].get();
    if (id <= 3) {
      ASSERT_TRUE(response) << "stream " << id << ": " << response.error().what();
      EXPECT_EQ(response->body().read_all().value(), id == 1 ? "one" : "three");
      ++completed;
    } else {
      ASSERT_FALSE(response) << "stream " << id;
      EXPECT_EQ(response.error().code(), ErrorCode::connection_reset);
      EXPECT_FALSE(response.error().maybe_sent()) << response.error().message();
      ++refused;
    }
  }
  EXPECT_EQ(completed, 2);
  EXPECT_EQ(refused, 2);
  EXPECT_FALSE(conn->usable());
  EXPECT_FALSE(conn->has_capacity());

  auto late = send(*conn, make_request("GET", "/late"));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), ErrorCode::connection_reset);
  EXPECT_FALSE(late.error().maybe_sent());
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST(Http2Lifecycle, PingIsAcknowledged) {
  H2TestServer server;
  auto conn = connect_to(server);
  EXPECT_TRUE(conn->ping(background()));
  EXPECT_TRUE(wait_for_event(server, "ping"));
  EXPECT_TRUE(conn->usable());
}

TEST(Http2Lifecycle, PingWithoutAcknowledgementMarksTheConnectionDead) {
  H2TestServer::Options server_options;
  server_options.ack_pings = false;
  H2TestServer server(server_options);
  http2::ConnectionOptions options = test_options();
  options.ping_timeout = 100ms;
  auto conn = connect_to(server, options);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(conn->ping(background()));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
  EXPECT_FALSE(conn->usable());
  EXPECT_TRUE(wait_for_event(server, "eof"));
}

TEST(Http2Lifecycle, PingEndedByTheCallersContextLeavesTheConnectionAlone) {
  H2TestServer::Options server_options;
  server_options.ack_pings = false;
  H2TestServer server(server_options);
  auto conn = connect_to(server);
  auto [ctx, cancel] = with_timeout(background(), 50ms);
  EXPECT_FALSE(conn->ping(ctx));
  EXPECT_TRUE(conn->usable());
}

TEST(Http2Lifecycle, CheckIdleNoticesAGoawayThatArrivedWhileNobodyWaited) {
  H2TestServer server;
  answer_or_hold(server);
  auto conn = connect_to(server);
  auto response = send(*conn, make_request("GET", "/x"));
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_TRUE(conn->check_idle());
  server.run([](H2ServerControl& control) { control.goaway(1); });
  EXPECT_FALSE(conn->check_idle());
}

TEST(Http2Lifecycle, CheckIdleNoticesAClosedConnection) {
  H2TestServer server;
  auto conn = connect_to(server);
  server.run([](H2ServerControl& control) { control.close_connection(); });
  EXPECT_FALSE(conn->check_idle());
  EXPECT_FALSE(conn->usable());
}

TEST(Http2Lifecycle, ServerClosingBeforeTheAnswerFailsWithConnectionReset) {
  H2TestServer server;
  server.on_request = [](H2ServerControl& control, const H2Request&) {
    control.close_connection();
  };
  auto conn = connect_to(server);
  auto response = send(*conn, make_request("GET", "/bye"));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::connection_reset) << response.error().message();
  EXPECT_TRUE(response.error().maybe_sent());
  EXPECT_FALSE(conn->usable());
}

// bad-inputs B11 / 13: a body cut short is an error after the bytes that came.
TEST(Http2Lifecycle, ServerClosingMidBodyTruncatesTheBody) {
  H2TestServer server;
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    H2Response response;
    response.headers = {{"content-length", "100"}};
    response.body = "partial";
    response.leave_open = true;
    control.respond(request.stream_id, std::move(response));
  };
  auto conn = connect_to(server);
  auto response = send(*conn, make_request("GET", "/cut"));
  ASSERT_TRUE(response) << response.error().what();
  std::byte buf[64];
  auto n = response->body().read(buf);
  ASSERT_TRUE(n) << n.error().what();
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf), *n), "partial");
  server.run([](H2ServerControl& control) { control.close_connection(); });
  auto rest = response->body().read(buf);
  ASSERT_FALSE(rest);
  EXPECT_EQ(rest.error().code(), ErrorCode::body_truncated) << rest.error().message();
}

TEST(Http2Lifecycle, ClosingTheBodyEarlyResetsItsStreamWithCancel) {
  H2TestServer server;
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    H2Response response;
    response.body = std::string(1 << 20, 'x');
    control.respond(request.stream_id, std::move(response));
  };
  auto conn = connect_to(server);
  auto response = send(*conn, make_request("GET", "/big"));
  ASSERT_TRUE(response) << response.error().what();
  std::byte buf[10];
  ASSERT_TRUE(response->body().read(buf));
  response->body().close();
  EXPECT_TRUE(wait_for_event(server, "rst 1 CANCEL"));
  auto after = response->body().read(buf);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code(), ErrorCode::canceled);
  auto next = send(*conn, make_request("GET", "/next"));
  ASSERT_TRUE(next) << next.error().what();
  EXPECT_EQ(next->body().read_all().value().size(), 1u << 20);
}

TEST(Http2Lifecycle, AProtocolViolationFailsTheConnectionAndItsStreams) {
  H2TestServer server;
  answer_or_hold(server);
  auto conn = connect_to(server);
  auto held = send_async(*conn, make_request("GET", "/held"));
  ASSERT_TRUE(wait_for_requests(server, 1));
  // DATA on stream 0 is a connection error (RFC 9113 §6.1).
  server.run([](H2ServerControl& control) {
    control.write_raw(frame_header(4, NGHTTP2_DATA, 0, 0) + "oops");
  });
  auto response = held.get();
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::protocol) << response.error().message();
  EXPECT_FALSE(conn->usable());
  EXPECT_TRUE(wait_for_event(server, "goaway"));
}

TEST(Http2Lifecycle, CloseSendsGoawayFailsOpenStreamsAndReleasesTheSocket) {
  H2TestServer server;
  answer_or_hold(server);
  auto conn = connect_to(server);
  ASSERT_TRUE(send(*conn, make_request("GET", "/warm")));  // this thread's waker exists now
  const int baseline = open_fd_count();
  auto held = send_async(*conn, make_request("GET", "/held"));
  ASSERT_TRUE(wait_for_requests(server, 2));
  conn->close();
  auto response = held.get();
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::connection_reset);
  EXPECT_TRUE(wait_for_event(server, "goaway"));
  EXPECT_TRUE(wait_for_event(server, "eof"));
  EXPECT_FALSE(conn->usable());
  conn.reset();
  // The client's socket is gone; nothing else was opened for the connection.
  EXPECT_EQ(wait_for_fd_count(baseline - 1, scaled(1000ms)), baseline - 1);
}

}  // namespace
}  // namespace httptrace::testing
