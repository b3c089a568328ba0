// http2::ClientConnection against an nghttp2 server session over a socketpair: hooks (trace-
// semantics §2, §5 i2, f1–f3), request and response bodies, trailers, 1xx, gzip, framing.
#include "http2/client_connection.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <thread>

#include "http2/h2_fixture.hpp"

namespace httptrace::testing {
namespace {

using Lines = std::vector<std::string>;

std::string gzip(std::string_view text) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// trace-semantics §5 (i2): the hooks of a GET, in Go's order, all on the calling thread.
TEST(Http2Connection, OneGetFiresTheHooksOfGoSequenceOnTheCallingThread) {
  H2TestServer server;
  answer_with_path(server);
  auto conn = connect_to(server);
  HookRecorder hooks;
  const Request request = traced(make_request("GET", "/hello?x=1"), hooks);

  auto response = send(*conn, request, /*gzip=*/true);
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(hooks.lines(),
            (Lines{"wrote_header_field :authority=[127.0.0.1:8080]",
                   "wrote_header_field :method=[GET]", "wrote_header_field :path=[/hello?x=1]",
                   "wrote_header_field :scheme=[http]", "wrote_header_field accept-encoding=[gzip]",
                   "wrote_header_field user-agent=[httptrace-test]", "wrote_headers",
                   "wrote_request", "got_first_response_byte"}));
  for (std::thread::id id : hooks.threads()) EXPECT_EQ(id, std::this_thread::get_id());
  auto body = response->body().read_all();
  ASSERT_TRUE(body) << body.error().what();
  EXPECT_EQ(*body, "ok /hello?x=1");
  // No put_idle_conn, ever (trace-semantics §6).
  EXPECT_EQ(hooks.count("put_idle_conn"), 0u);

  const std::vector<H2Request> seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].headers, (Fields{{":authority", "127.0.0.1:8080"},
                                     {":method", "GET"},
                                     {":path", "/hello?x=1"},
                                     {":scheme", "http"},
                                     {"accept-encoding", "gzip"},
                                     {"user-agent", "httptrace-test"}}));
}

TEST(Http2Connection, ResponseCarriesStatusTextProtoCanonicalKeysAndLength) {
  H2TestServer server;
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    H2Response response = text_response("created!", 201);
    response.headers.emplace_back("x-request-id", "42");
    response.headers.emplace_back("set-cookie", "a=1");
    response.headers.emplace_back("set-cookie", "b=2");
    control.respond(request.stream_id, std::move(response));
  };
  auto conn = connect_to(server);
  auto response = send(*conn, make_request("GET", "/"));
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(response->status_code(), 201);
  EXPECT_EQ(response->status(), "201 Created");
  EXPECT_EQ(response->proto(), "HTTP/2.0");
  EXPECT_EQ(response->proto_major(), 2);
  EXPECT_EQ(response->proto_minor(), 0);
  // Go canonicalises HTTP/2 response keys.
  EXPECT_EQ(response->header().keys(),
            (std::vector<std::string_view>{"Content-Type", "Content-Length", "X-Request-Id",
                                           "Set-Cookie"}));
  EXPECT_EQ(response->header().values("Set-Cookie"), (std::vector<std::string_view>{"a=1", "b=2"}));
  EXPECT_EQ(response->content_length(), std::optional<uint64_t>(8));
  EXPECT_EQ(response->tls(), nullptr);
  EXPECT_EQ(response->request().url().path(), "/");
  EXPECT_EQ(response->body().read_all().value(), "created!");
}

TEST(Http2Connection, PostWithAStringBodySendsContentLengthAndTheBody) {
  H2TestServer server;
  answer_with_path(server);
  auto conn = connect_to(server);
  HookRecorder hooks;
  const Request request =
      traced(make_request("POST", "/up", RequestBody::from_string("some body")), hooks);
  auto response = send(*conn, request);
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(hooks.lines_starting("wrote_header_field content-length"),
            (Lines{"wrote_header_field content-length=[9]"}));
  const std::vector<H2Request> seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].body, "some body");
  EXPECT_EQ(seen[0].header("content-length"), "9");
  EXPECT_EQ(hooks.lines().back(), "got_first_response_byte");
}

TEST(Http2Connection, ReaderBodyOfUnknownLengthIsStreamedWithoutContentLength) {
  H2TestServer server;
  answer_with_path(server);
  auto conn = connect_to(server);
  int calls = 0;
  auto body = RequestBody::from_reader(
      [&calls](std::span<std::byte> buf) -> Result<std::size_t> {
        if (calls == 3) return std::size_t{0};
        ++calls;
        std::memset(buf.data(), 'a' + calls, 5);
        return std::size_t{5};
      },
      std::nullopt);
  auto response = send(*conn, make_request("PUT", "/stream", body));
  ASSERT_TRUE(response) << response.error().what();
  const std::vector<H2Request> seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].body, "bbbbbcccccddddd");
  EXPECT_EQ(seen[0].header("content-length"), "");
}

// bad-inputs J59: a reader longer than its declared length fails the request, and only it.
TEST(Http2Connection, ReaderLongerThanItsLengthFailsAndResetsOnlyThatStream) {
  H2TestServer server;
  answer_with_path(server);
  auto conn = connect_to(server);
  auto body = RequestBody::from_reader(
      [](std::span<std::byte> buf) -> Result<std::size_t> {
        std::memset(buf.data(), 'x', buf.size());
        return buf.size();
      },
      std::uint64_t{10});
  HookRecorder hooks;
  auto response = send(*conn, traced(make_request("POST", "/long", body), hooks));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::invalid_request);
  EXPECT_NE(response.error().message().find("ContentLength=10 with Body length 11"),
            std::string::npos)
      << response.error().message();
  EXPECT_EQ(hooks.lines_starting("wrote_request"), (Lines{"wrote_request err=invalid_request"}));
  ASSERT_TRUE(server.wait_for(
      [](auto&, auto& events) {
        return std::find(events.begin(), events.end(), "rst 1 CANCEL") != events.end();
      },
      scaled(2000ms)));
  EXPECT_TRUE(conn->usable());
  auto next = send(*conn, make_request("GET", "/after"));
  ASSERT_TRUE(next) << next.error().what();
  EXPECT_EQ(next->body().read_all().value(), "ok /after");
}

TEST(Http2Connection, TrailersArriveInTheResponseTrailerAfterEof) {
  H2TestServer server;
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    H2Response response;
    response.headers = {{"trailer", "x-checksum"}};
    response.body = "payload";
    response.trailers = {{"x-checksum", "abc123"}, {"x-other", "1"}};
    control.respond(request.stream_id, std::move(response));
  };
  auto conn = connect_to(server);
  auto response = send(*conn, make_request("GET", "/t"));
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(response->content_length(), std::nullopt);
  EXPECT_EQ(response->body().trailer(), nullptr);
  EXPECT_EQ(response->body().read_all().value(), "payload");
  ASSERT_NE(response->body().trailer(), nullptr);
  EXPECT_EQ(response->trailer().get("X-Checksum"), std::optional<std::string_view>("abc123"));
  EXPECT_EQ(response->trailer().get("X-Other"), std::optional<std::string_view>("1"));
}

// trace-semantics §9 TestEarlyHintsRequest_h2 and §5 f1.
TEST(Http2Connection, EarlyHintsThenTheFinalResponseFireGot1xxForEach) {
  H2TestServer server;
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    control.informational(request.stream_id, 103, {{"link", "</style.css>; rel=preload"}});
    control.informational(request.stream_id, 103, {{"link", "</script.js>; rel=preload"}});
    control.respond(request.stream_id, text_response("final"));
  };
  auto conn = connect_to(server);
  HookRecorder hooks;
  auto response = send(*conn, traced(make_request("GET", "/hints"), hooks));
  ASSERT_TRUE(response) << response.error().what();
  const Lines lines = hooks.lines();
  EXPECT_EQ(Lines(lines.end() - 4, lines.end()),
            (Lines{"wrote_request", "got_first_response_byte",
                   "got_1xx_response 103 Link=[</style.css>; rel=preload]",
                   "got_1xx_response 103 Link=[</script.js>; rel=preload]"}));
  EXPECT_EQ(response->status_code(), 200);
  EXPECT_EQ(response->body().read_all().value(), "final");
}

// trace-semantics §2 (Wait100Continue, Got100Continue for HTTP/2) and §5 e1.
TEST(Http2Connection, ExpectContinueWaitsForThe100ThenSendsTheBody) {
  H2TestServer server;
  std::string body_at_headers = "unset";
  server.on_headers = [&](H2ServerControl& control, const H2Request& request) {
    body_at_headers = request.body;
    control.informational(request.stream_id, 100);
  };
  answer_with_path(server);
  auto conn = connect_to(server);
  HookRecorder hooks;
  Request request = make_request("POST", "/continue", RequestBody::from_string("the body"));
  request.header().add("Expect", "100-continue");
  auto response = send(*conn, traced(request, hooks));
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(body_at_headers, "");
  const Lines lines = hooks.lines();
  EXPECT_EQ(Lines(lines.end() - 6, lines.end()),
            (Lines{"wrote_headers", "wait_100_continue", "got_first_response_byte",
                   "got_1xx_response 100", "got_100_continue", "wrote_request"}));
  EXPECT_EQ(hooks.lines_starting("wrote_header_field expect"),
            (Lines{"wrote_header_field expect=[100-continue]"}));
  EXPECT_EQ(server.requests().at(0).body, "the body");
}

// §5 e2: no 100 within the timeout: the body goes anyway.
TEST(Http2Connection, ExpectContinueWithoutAnswerSendsTheBodyAfterTheTimeout) {
  H2TestServer server;
  answer_with_path(server);
  http2::ConnectionOptions options = test_options();
  options.expect_continue_timeout = 100ms;
  auto conn = connect_to(server, options);
  HookRecorder hooks;
  Request request = make_request("POST", "/slow", RequestBody::from_string("late"));
  request.header().add("Expect", "100-continue");
  const auto start = std::chrono::steady_clock::now();
  auto response = send(*conn, traced(request, hooks));
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
  EXPECT_EQ(hooks.count("got_100_continue"), 0u);
  EXPECT_EQ(server.requests().at(0).body, "late");
}

// trace-semantics §2: HTTP/2 waits for 100 only with a non-zero timeout.
TEST(Http2Connection, ZeroExpectContinueTimeoutSendsAtOnceWithoutWaitHook) {
  H2TestServer server;
  answer_with_path(server);
  http2::ConnectionOptions options = test_options();
  options.expect_continue_timeout = 0ns;
  auto conn = connect_to(server, options);
  HookRecorder hooks;
  Request request = make_request("POST", "/now", RequestBody::from_string("now"));
  request.header().add("Expect", "100-continue");
  auto response = send(*conn, traced(request, hooks));
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(hooks.count("wait_100_continue"), 0u);
  EXPECT_EQ(server.requests().at(0).body, "now");
}

// §5 e3 and "Our decisions": a final answer before 100 withholds the body; wrote_request nil.
TEST(Http2Connection, FinalAnswerBeforeContinueWithholdsTheBody) {
  H2TestServer server;
  server.on_headers = [](H2ServerControl& control, const H2Request& request) {
    H2Response response;
    response.status = 417;
    response.headers_only = true;
    control.respond(request.stream_id, std::move(response));
  };
  auto conn = connect_to(server);
  HookRecorder hooks;
  Request request = make_request("POST", "/nope", RequestBody::from_string("never sent"));
  request.header().add("Expect", "100-continue");
  auto response = send(*conn, traced(request, hooks));
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(response->status_code(), 417);
  EXPECT_EQ(hooks.lines_starting("wrote_request"), (Lines{"wrote_request"}));
  // Our half ends with RST_STREAM(NO_ERROR) (RFC 9113 §8.1); not a byte of the body went out.
  ASSERT_TRUE(server.wait_for(
      [](auto&, auto& events) {
        return std::find(events.begin(), events.end(), "rst 1 NO_ERROR") != events.end();
      },
      scaled(2000ms)));
  EXPECT_EQ(server.requests().at(0).body, "");
  EXPECT_TRUE(conn->usable());
}

// trace-semantics §5 f3 (HTTP/2): the hook's error resets only its stream.
TEST(Http2Connection, Got1xxHookErrorResetsOnlyItsStreamAndTheConnectionStaysUsable) {
  H2TestServer server;
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    // The hinted stream gets no final answer: it stays open until the client resets it.
    if (request.header(":path") == "/hints") {
      control.informational(request.stream_id, 103, {{"link", "</a>"}});
      return;
    }
    control.respond(request.stream_id, text_response("ok"));
  };
  auto conn = connect_to(server);
  HookRecorder hooks;
  hooks.on_1xx = [](int) -> std::optional<Error> {
    return Error(ErrorCode::aborted_by_hook, "hook says no");
  };
  auto response = send(*conn, traced(make_request("GET", "/hints"), hooks));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::aborted_by_hook);
  EXPECT_EQ(response.error().message(), "stream error: stream ID 1; PROTOCOL_ERROR; hook says no");
  EXPECT_EQ(hooks.count("got_1xx_response"), 1u);
  ASSERT_TRUE(server.wait_for(
      [](auto&, auto& events) {
        return std::find(events.begin(), events.end(), "rst 1 PROTOCOL_ERROR") != events.end();
      },
      scaled(2000ms)));
  EXPECT_TRUE(conn->usable());
  auto next = send(*conn, make_request("GET", "/plain"));
  ASSERT_TRUE(next) << next.error().what();
  EXPECT_EQ(next->body().read_all().value(), "ok");
}

// bad-inputs D28: at most five 1xx; the sixth fails the stream and fires no hook.
TEST(Http2Connection, SixInformationalResponsesFailTheStream) {
  H2TestServer server;
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    for (int i = 0; i < 6; ++i) control.informational(request.stream_id, 103);
    control.respond(request.stream_id, text_response("ok"));
  };
  auto conn = connect_to(server);
  HookRecorder hooks;
  auto response = send(*conn, traced(make_request("GET", "/many"), hooks));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::protocol);
  EXPECT_EQ(response.error().message(), "http2: too many 1xx informational responses");
  EXPECT_EQ(hooks.count("got_1xx_response"), 5u);
  EXPECT_TRUE(conn->usable());
}

// trace-semantics §8.3: the HTTP/1 rules apply to HTTP/2.
TEST(Http2Connection, GzipAnswerToTheTransportsAcceptEncodingIsDecodedTransparently) {
  const std::string text(20000, 'z');
  H2TestServer server;
  server.on_request = [&](H2ServerControl& control, const H2Request& request) {
    H2Response response;
    response.body = gzip(text);
    response.headers = {{"content-encoding", "gzip"},
                        {"content-length", std::to_string(response.body.size())}};
    control.respond(request.stream_id, std::move(response));
  };
  auto conn = connect_to(server);
  auto response = send(*conn, make_request("GET", "/gz"), /*gzip=*/true);
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_TRUE(response->uncompressed());
  EXPECT_FALSE(response->header().has("Content-Encoding"));
  EXPECT_FALSE(response->header().has("Content-Length"));
  EXPECT_EQ(response->content_length(), std::nullopt);
  EXPECT_EQ(response->body().read_all().value(), text);

  // Asked for by the caller: returned as is.
  auto raw = send(*conn, make_request("GET", "/gz"), /*gzip=*/false);
  ASSERT_TRUE(raw) << raw.error().what();
  EXPECT_FALSE(raw->uncompressed());
  EXPECT_EQ(raw->body().read_all().value(), gzip(text));
}

// bad-inputs B11 for HTTP/2: END_STREAM before Content-Length is a truncated body.
TEST(Http2Connection, BodyShorterThanContentLengthIsTruncated) {
  H2TestServer server;
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    H2Response response;
    response.headers = {{"content-length", "10"}};
    response.body = "12345";
    control.respond(request.stream_id, std::move(response));
  };
  auto conn = connect_to(server);
  auto response = send(*conn, make_request("GET", "/short"));
  ASSERT_TRUE(response) << response.error().what();
  auto body = response->body().read_all();
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code(), ErrorCode::body_truncated) << body.error().message();
  EXPECT_TRUE(conn->usable());
}

TEST(Http2Connection, BodyLongerThanContentLengthIsAProtocolError) {
  H2TestServer server;
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    H2Response response;
    response.headers = {{"content-length", "3"}};
    response.body = "12345";
    control.respond(request.stream_id, std::move(response));
  };
  auto conn = connect_to(server);
  auto response = send(*conn, make_request("GET", "/long"));
  ASSERT_TRUE(response) << response.error().what();
  auto body = response->body().read_all();
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code(), ErrorCode::protocol) << body.error().message();
  EXPECT_NE(body.error().message().find("more than the declared Content-Length of 3"),
            std::string::npos)
      << body.error().message();
}

TEST(Http2Connection, HeadKeepsContentLengthAsMetadataWithAnEmptyBody) {
  H2TestServer server;
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    H2Response response;
    response.headers = {{"content-length", "123"}};
    response.headers_only = true;
    control.respond(request.stream_id, std::move(response));
  };
  auto conn = connect_to(server);
  auto response = send(*conn, make_request("HEAD", "/h"), /*gzip=*/false);
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(response->content_length(), std::optional<uint64_t>(123));
  EXPECT_EQ(response->body().read_all().value(), "");
}

TEST(Http2Connection, BodilessAnswerHasContentLengthZero) {
  H2TestServer server;
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    H2Response response;
    response.status = 204;
    response.headers_only = true;
    control.respond(request.stream_id, std::move(response));
  };
  auto conn = connect_to(server);
  auto response = send(*conn, make_request("DELETE", "/x"));
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(response->status(), "204 No Content");
  EXPECT_EQ(response->content_length(), std::optional<uint64_t>(0));
  EXPECT_EQ(response->body().read_all().value(), "");
}

// Go's MaxResponseHeaderBytes: the stream fails, the connection stays.
TEST(Http2Connection, ResponseHeadersAboveTheLimitFailOnlyThatStream) {
  H2TestServer server;
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    H2Response response = text_response("ok");
    if (request.header(":path") == "/big")
      response.headers.emplace_back("x-big", std::string(4000, 'b'));
    control.respond(request.stream_id, std::move(response));
  };
  http2::ConnectionOptions options = test_options();
  options.max_response_header_bytes = 1024;
  auto conn = connect_to(server, options);
  auto response = send(*conn, make_request("GET", "/big"));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::headers_too_large) << response.error().message();
  auto next = send(*conn, make_request("GET", "/small"));
  ASSERT_TRUE(next) << next.error().what();
  EXPECT_EQ(next->body().read_all().value(), "ok");
}

// trace-semantics §2 GotConn for HTTP/2 (h2_bundle http2traceGotConn).
TEST(Http2Connection, GotConnFactsAreReusedWasIdleAndIdleTimeAsGoComputesThem) {
  H2TestServer server;
  answer_with_path(server);
  auto conn = connect_to(server);
  const http2::GotConnFacts first = conn->begin_use();
  EXPECT_FALSE(first.reused);
  EXPECT_FALSE(first.was_idle);
  EXPECT_TRUE(conn->first_round_trip_done());
  auto response = send(*conn, make_request("GET", "/1"));
  ASSERT_TRUE(response) << response.error().what();
  ASSERT_EQ(response->body().read_all().value(), "ok /1");

  const http2::GotConnFacts second = conn->begin_use();
  EXPECT_TRUE(second.reused);
  EXPECT_TRUE(second.was_idle);
  EXPECT_GT(second.idle_time, 0ns);
  EXPECT_LT(second.idle_time, scaled(10s));
}

}  // namespace
}  // namespace httptrace::testing
