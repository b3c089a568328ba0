// HTTP/2 through the public Transport: ALPN "h2" against nghttpd and nginx (one connection
// per host shared by concurrent requests, flow control, trailers), and h2c with prior
// knowledge against the scripted H2TestServer for what real servers do not do on demand
// (GOAWAY in flight, RST_STREAM, 103 Early Hints, a silent PING).
#include "httptrace/transport.hpp"

#include <gtest/gtest.h>

#include "httptrace/event_loop.hpp"

#include <atomic>
#include <barrier>
#include <deque>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "http2/h2_fixture.hpp"
#include "http2/nghttpd.hpp"
#include "support/nginx.hpp"
#include "support/pki.hpp"
#include "support/tinyproxy.hpp"
#include "transport/stream_wrapper.hpp"
#include "transport/transport_impl.hpp"

namespace httptrace::testing {
namespace {

class Http2Transport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = std::make_unique<TestPki>();
    leaf_ = pki_->localhost_server();
  }
  static void TearDownTestSuite() { pki_.reset(); }

  static TransportOptions tls_options() {
    TransportOptions options;
    options.proxy = nullptr;
    options.tls.ca_file = pki_->ca_cert().string();
    return options;
  }

  static NghttpdOptions nghttpd_tls() {
    NghttpdOptions options;
    options.tls = leaf_;
    return options;
  }

  static NginxOptions nginx_h2() {
    NginxOptions options;
    options.plain = false;
    options.tls = NginxTlsOptions{};
    options.tls->certificate = leaf_.chain;
    options.tls->private_key = leaf_.key;
    options.tls->http2 = true;
    return options;
  }

  static Request get(const std::string& url, RequestBody body = RequestBody::empty(),
                     std::string_view method = "GET") {
    auto request = Request::make(method, url, std::move(body));
    if (!request) throw std::runtime_error(request.error().message());
    return *request;
  }

  static std::string https(std::uint16_t port, std::string_view path) {
    return "https://127.0.0.1:" + std::to_string(port) + std::string(path);
  }

  static inline std::unique_ptr<TestPki> pki_;
  static inline CertFiles leaf_;
};

// A Transport whose connections are H2TestServers' socketpairs, in order: h2c with prior
// knowledge to "http://127.0.0.1:8080" without a socket.
struct ScriptedTransport {
  explicit ScriptedTransport(std::vector<H2TestServer*> servers, TransportOptions options = {}) {
    options.proxy = nullptr;
    options.http2_prior_knowledge = true;
    transport = std::make_unique<Transport>(std::move(options));
    auto queue = std::make_shared<std::deque<H2TestServer*>>(servers.begin(), servers.end());
    detail::set_fake_dialer(
        *transport,
        [queue, this](std::string_view, uint16_t) -> Result<std::unique_ptr<net::Stream>> {
          ++dials;
          if (queue->empty()) return fail(ErrorCode::connection_refused, "no scripted server left");
          H2TestServer* server = queue->front();
          queue->pop_front();
          return server->take_client_stream();
        });
  }
  std::unique_ptr<Transport> transport;
  std::atomic<int> dials{0};
};

// --- Against nghttpd ---------------------------------------------------------------------------

TEST_F(Http2Transport, NghttpdAnswersOverAlpnH2WithHttp2Hooks) {
  NghttpdServer server(nghttpd_tls());
  Transport transport(tls_options());
  HookRecorder hooks;
  auto response = transport.round_trip(traced(get(https(server.port(), "/hello.txt")), hooks));
  ASSERT_TRUE(response) << response.error().what() << "\n" << server.output();
  EXPECT_EQ(response->proto(), "HTTP/2.0");
  EXPECT_EQ(response->proto_major(), 2);
  ASSERT_NE(response->tls(), nullptr);
  EXPECT_EQ(response->tls()->negotiated_protocol, "h2");
  EXPECT_EQ(response->body().read_all().value(), kNghttpdHello);
  EXPECT_EQ(response->trailer().get(kNghttpdTrailerKey),
            std::optional<std::string_view>(kNghttpdTrailerValue));
  EXPECT_EQ(hooks.count("got_conn reused=0 was_idle=0"), 1u);
  EXPECT_EQ(hooks.count("tls_handshake_start"), 1u);
  EXPECT_EQ(hooks.count("put_idle_conn"), 0u);
  // trace-semantics §5 i2: header fields lower-case, pseudo-headers first.
  auto fields = hooks.lines_starting("wrote_header_field");
  ASSERT_GE(fields.size(), 4u);
  EXPECT_EQ(fields[0],
            "wrote_header_field :authority=[127.0.0.1:" + std::to_string(server.port()) + "]");
  const PoolStats stats = transport.pool_stats();
  EXPECT_EQ(stats.open_conns, 1u);
  EXPECT_EQ(stats.idle_conns, 1u);
  transport.close_idle_connections();
  EXPECT_EQ(transport.pool_stats().open_conns, 0u);
}

void hundred_streams_on_one_connection(Transport& transport, const std::string& url) {
  constexpr int kRequests = 100;
  HookRecorder hooks;
  std::barrier start(kRequests);
  std::vector<std::future<std::string>> bodies;
  for (int i = 0; i < kRequests; ++i) {
    bodies.push_back(std::async(std::launch::async, [&]() -> std::string {
      start.arrive_and_wait();
      auto request = Request::make("GET", url).value();
      auto response = transport.round_trip(
          request.with_context(with_client_trace(request.context(), hooks.trace())));
      if (!response) return "error: " + response.error().message();
      if (response->proto() != "HTTP/2.0") return "proto " + std::string(response->proto());
      auto body = response->body().read_all();
      return body ? *body : "error: " + body.error().message();
    }));
  }
  std::set<std::string> distinct;
  for (auto& body : bodies) distinct.insert(body.get());
  EXPECT_EQ(distinct.size(), 1u) << *distinct.begin();
  EXPECT_EQ(hooks.count("get_conn"), 100u);
  EXPECT_EQ(hooks.count("connect_start"), 1u);
  EXPECT_EQ(hooks.count("tls_handshake_start"), 1u);
  EXPECT_EQ(hooks.count("got_conn reused=0"), 1u);
  EXPECT_EQ(hooks.count("got_conn reused=1"), 99u);
  auto ids = hooks.conn_ids();
  EXPECT_EQ(std::set<uint64_t>(ids.begin(), ids.end()).size(), 1u);
  EXPECT_EQ(transport.pool_stats().open_conns, 1u);
}

TEST_F(Http2Transport, NghttpdServesAHundredConcurrentRequestsOnOneConnection) {
  NghttpdServer server(nghttpd_tls());
  Transport transport(tls_options());
  hundred_streams_on_one_connection(transport, https(server.port(), "/hello.txt"));
}

TEST_F(Http2Transport, NghttpdMovesTenMebibytesEachWayUnderFlowControl) {
  NghttpdServer server(nghttpd_tls());
  std::string ten(10 << 20, '\0');
  for (std::size_t i = 0; i < ten.size(); ++i)
    ten[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  std::ofstream(server.document_root() / "ten.bin", std::ios::binary) << ten;
  Transport transport(tls_options());

  auto download = transport.round_trip(get(https(server.port(), "/ten.bin")));
  ASSERT_TRUE(download) << download.error().what();
  auto downloaded = download->body().read_all();
  ASSERT_TRUE(downloaded) << downloaded.error().what();
  EXPECT_TRUE(*downloaded == ten);

  auto upload = transport.round_trip(
      get(https(server.port(), "/echo"), RequestBody::from_string(ten), "POST"));
  ASSERT_TRUE(upload) << upload.error().what();
  auto echoed = upload->body().read_all();
  ASSERT_TRUE(echoed) << echoed.error().what();
  EXPECT_EQ(echoed->size(), ten.size());
  EXPECT_TRUE(*echoed == ten);
  EXPECT_EQ(upload->trailer().get(kNghttpdTrailerKey),
            std::optional<std::string_view>(kNghttpdTrailerValue));
  EXPECT_EQ(transport.pool_stats().open_conns, 1u);
}

// --- Against nginx with http2 on ---------------------------------------------------------------

TEST_F(Http2Transport, NginxAnswersOverH2AndAHundredStreamsShareOneConnection) {
  NginxServer nginx(nginx_h2());
  Transport transport(tls_options());
  auto response = transport.round_trip(get(https(nginx.tls_port(), "/hello")));
  ASSERT_TRUE(response) << response.error().what() << "\n" << nginx.error_log();
  EXPECT_EQ(response->proto(), "HTTP/2.0");
  EXPECT_EQ(response->body().read_all().value(), "hello world\n");
  transport.close_idle_connections();
  EXPECT_EQ(transport.pool_stats().open_conns, 0u);
  hundred_streams_on_one_connection(transport, https(nginx.tls_port(), "/hello"));
}

TEST_F(Http2Transport, ForceAttemptHttp2OffSpeaksHttp11ToAnH2CapableServer) {
  NginxServer nginx(nginx_h2());
  TransportOptions options = tls_options();
  options.force_attempt_http2 = false;
  Transport transport(options);
  auto response = transport.round_trip(get(https(nginx.tls_port(), "/hello")));
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(response->proto(), "HTTP/1.1");
  EXPECT_EQ(response->tls()->negotiated_protocol, "http/1.1");
}

// As Go: TLS to the target through a CONNECT tunnel offers "h2" like a direct connection.
TEST_F(Http2Transport, H2WorksThroughAConnectTunnel) {
  if (!Tinyproxy::available()) GTEST_SKIP() << "tinyproxy is not installed";
  NginxServer nginx(nginx_h2());
  Tinyproxy proxy;
  TransportOptions options = tls_options();
  options.proxy = proxy_url(Url::parse(proxy.url()).value());
  Transport transport(options);
  HookRecorder hooks;
  for (int i = 0; i < 2; ++i) {
    auto response = transport.round_trip(traced(get(https(nginx.tls_port(), "/hello")), hooks));
    ASSERT_TRUE(response) << response.error().what() << "\n" << proxy.log();
    EXPECT_EQ(response->proto(), "HTTP/2.0");
    EXPECT_EQ(response->body().read_all().value(), "hello world\n");
  }
  EXPECT_EQ(hooks.count("connect_start"), 1u);
  EXPECT_EQ(hooks.lines_starting("get_conn"),
            std::vector<std::string>(2, "get_conn 127.0.0.1:" + std::to_string(proxy.port())));
  EXPECT_EQ(hooks.count("got_conn reused=1"), 1u);
}

// event_loop.hpp: the EventLoop speaks HTTP/1.1 only — "h2" is never offered, even when listed.
TEST_F(Http2Transport, TheEventLoopNeverOffersH2) {
  NginxServer nginx(nginx_h2());
  TransportOptions options = tls_options();
  options.tls.alpn = {"h2", "http/1.1"};
  EventLoop loop(options);
  std::optional<EventLoop::Completion> done;
  loop.submit(get(https(nginx.tls_port(), "/hello")),
              [&](EventLoop::Completion& c) { done = std::move(c); });
  loop.run();
  ASSERT_TRUE(done.has_value());
  ASSERT_TRUE(done->response) << done->response.error().what();
  EXPECT_EQ(done->response->proto(), "HTTP/1.1");
  EXPECT_EQ(done->response->tls()->negotiated_protocol, "http/1.1");
  EXPECT_EQ(done->body_bytes, 12u);
}

// --- Against the scripted server (h2c with prior knowledge) ------------------------------------

TEST_F(Http2Transport, GoawayInFlightRetriesTheUnprocessedStreamOnANewConnection) {
  H2TestServer first;
  first.on_request = [](H2ServerControl& control, const H2Request& request) {
    if (request.header(":path") == "/one") {
      control.respond(request.stream_id, text_response("one"));
    } else {
      control.goaway(1);  // the second stream (3) was never processed
    }
  };
  H2TestServer second;
  answer_with_path(second);
  ScriptedTransport scripted({&first, &second});
  auto one = scripted.transport->round_trip(get("http://127.0.0.1:8080/one"));
  ASSERT_TRUE(one) << one.error().what();
  EXPECT_EQ(one->proto(), "HTTP/2.0");
  EXPECT_EQ(one->body().read_all().value(), "one");

  HookRecorder hooks;
  auto two = scripted.transport->round_trip(traced(get("http://127.0.0.1:8080/two"), hooks));
  ASSERT_TRUE(two) << two.error().what();
  EXPECT_EQ(two->body().read_all().value(), "ok /two");
  EXPECT_EQ(scripted.dials.load(), 2);
  EXPECT_EQ(hooks.count("get_conn"), 2u);
  EXPECT_EQ(
      hooks.lines_starting("got_conn"),
      (std::vector<std::string>{"got_conn reused=1 was_idle=1", "got_conn reused=0 was_idle=0"}));
}

TEST_F(Http2Transport, GoawayAfterANonReplayableBodyWasSentIsNotRetried) {
  H2TestServer first;
  first.on_request = [](H2ServerControl& control, const H2Request&) { control.goaway(0); };
  H2TestServer second;
  answer_with_path(second);
  ScriptedTransport scripted({&first, &second});
  auto sent = std::make_shared<bool>(false);
  auto body = RequestBody::from_reader(
      [sent](std::span<std::byte> buf) -> Result<std::size_t> {
        if (*sent) return std::size_t{0};
        *sent = true;
        buf[0] = std::byte{'x'};
        return std::size_t{1};
      },
      1);
  auto response = scripted.transport->round_trip(get("http://127.0.0.1:8080/upload", body, "POST"));
  ASSERT_FALSE(response);
  EXPECT_FALSE(response.error().maybe_sent());
  EXPECT_EQ(scripted.dials.load(), 1);
}

TEST_F(Http2Transport, StreamResetIsATypedErrorAndTheConnectionStaysShared) {
  H2TestServer server;
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    if (request.header(":path") == "/reset") {
      control.reset(request.stream_id, NGHTTP2_INTERNAL_ERROR);
    } else {
      control.respond(request.stream_id, text_response("fine"));
    }
  };
  ScriptedTransport scripted({&server});
  auto reset = scripted.transport->round_trip(get("http://127.0.0.1:8080/reset"));
  ASSERT_FALSE(reset);
  EXPECT_EQ(reset.error().code(), ErrorCode::protocol);
  EXPECT_NE(reset.error().message().find("INTERNAL_ERROR"), std::string::npos)
      << reset.error().message();
  HookRecorder hooks;
  auto next = scripted.transport->round_trip(traced(get("http://127.0.0.1:8080/next"), hooks));
  ASSERT_TRUE(next) << next.error().what();
  EXPECT_EQ(next->body().read_all().value(), "fine");
  EXPECT_EQ(scripted.dials.load(), 1);
  EXPECT_EQ(hooks.count("got_conn reused=1"), 1u);
}

TEST_F(Http2Transport, EarlyHintsReachGot1xxResponseBeforeTheFinalHead) {
  H2TestServer server;
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    control.informational(request.stream_id, 103, {{"link", "</style.css>; rel=preload"}});
    control.respond(request.stream_id, text_response("hinted"));
  };
  ScriptedTransport scripted({&server});
  HookRecorder hooks;
  auto response = scripted.transport->round_trip(traced(get("http://127.0.0.1:8080/page"), hooks));
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(response->status_code(), 200);
  EXPECT_EQ(response->body().read_all().value(), "hinted");
  EXPECT_EQ(hooks.lines_starting("got_1xx_response"),
            std::vector<std::string>{"got_1xx_response 103 Link=[</style.css>; rel=preload]"});
}

// trace-semantics §5 f3: a got_1xx_response error resets only its stream.
TEST_F(Http2Transport, A1xxHookErrorResetsOnlyItsStream) {
  H2TestServer server;
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    if (request.header(":path") == "/hinted") control.informational(request.stream_id, 103);
    control.respond(request.stream_id, text_response("body"));
  };
  ScriptedTransport scripted({&server});
  ClientTrace refuse;
  refuse.got_1xx_response = [](int, const Header&) -> std::optional<Error> {
    return Error(ErrorCode::aborted_by_hook, "no hints wanted");
  };
  Request hinted = get("http://127.0.0.1:8080/hinted");
  auto refused = scripted.transport->round_trip(
      hinted.with_context(with_client_trace(hinted.context(), refuse)));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::aborted_by_hook);
  EXPECT_NE(refused.error().message().find("no hints wanted"), std::string::npos)
      << refused.error().message();
  HookRecorder hooks;
  auto next = scripted.transport->round_trip(traced(get("http://127.0.0.1:8080/plain"), hooks));
  ASSERT_TRUE(next) << next.error().what();
  EXPECT_EQ(next->body().read_all().value(), "body");
  EXPECT_EQ(scripted.dials.load(), 1);
  EXPECT_EQ(hooks.count("got_conn reused=1"), 1u);
}

TEST_F(Http2Transport, AnIdleConnectionThatMissesItsPingIsReplaced) {
  H2TestServer::Options silent;
  silent.ack_pings = false;
  H2TestServer first(silent);
  answer_with_path(first);
  H2TestServer second;
  answer_with_path(second);
  ScriptedTransport scripted({&first, &second});
  H2Conns::Settings& settings = detail::TransportAccess::impl(*scripted.transport).h2->settings();
  settings.ping_after_idle = 0ns;
  settings.connection.ping_timeout = 100ms;
  auto one = scripted.transport->round_trip(get("http://127.0.0.1:8080/one"));
  ASSERT_TRUE(one) << one.error().what();
  EXPECT_EQ(one->body().read_all().value(), "ok /one");
  auto two = scripted.transport->round_trip(get("http://127.0.0.1:8080/two"));
  ASSERT_TRUE(two) << two.error().what();
  EXPECT_EQ(two->body().read_all().value(), "ok /two");
  EXPECT_EQ(scripted.dials.load(), 2);
  EXPECT_EQ(scripted.transport->pool_stats().open_conns, 1u);
}

TEST_F(Http2Transport, AMaxConcurrentStreamsLimitOpensAnotherConnectionInsteadOfWaiting) {
  H2TestServer::Options one_stream;
  one_stream.max_concurrent_streams = 1;
  H2TestServer first(one_stream);
  first.on_request = [](H2ServerControl& control, const H2Request& request) {
    H2Response response = text_response("first");
    response.leave_open = true;  // the stream keeps the connection's only slot
    control.respond(request.stream_id, std::move(response));
  };
  H2TestServer second(one_stream);
  answer_with_path(second);
  ScriptedTransport scripted({&first, &second});
  auto held = scripted.transport->round_trip(get("http://127.0.0.1:8080/held"));
  ASSERT_TRUE(held) << held.error().what();
  auto other = scripted.transport->round_trip(get("http://127.0.0.1:8080/other"));
  ASSERT_TRUE(other) << other.error().what();
  EXPECT_EQ(other->body().read_all().value(), "ok /other");
  EXPECT_EQ(scripted.dials.load(), 2);
  EXPECT_EQ(scripted.transport->pool_stats().open_conns, 2u);
}

}  // namespace
}  // namespace httptrace::testing
