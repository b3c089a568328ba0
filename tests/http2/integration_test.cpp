// http2::ClientConnection against real HTTP/2 servers on 127.0.0.1: nghttpd (TLS with ALPN h2,
// and h2c with prior knowledge) and nginx with http2 on.
#include "http2/client_connection.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstring>
#include <thread>

#include "http2/h2_fixture.hpp"
#include "http2/nghttpd.hpp"
#include "support/fd_count.hpp"
#include "support/nginx.hpp"
#include "support/nginx_content.hpp"
#include "support/pki.hpp"
#include "tls/client_config.hpp"
#include "tls/tls_fixtures.hpp"
#include "tls/tls_stream.hpp"

namespace httptrace::testing {
namespace {

using Lines = std::vector<std::string>;

// A TCP connection as the transport's dialer makes it: TCP_NODELAY, as Go (without it, small
// frames such as WINDOW_UPDATE meet delayed ACKs and uploads crawl).
std::unique_ptr<net::Stream> dial(std::uint16_t port) {
  auto fd = connect_loopback(Loopback::ipv4, port, std::chrono::seconds(5));
  if (!fd)
    throw std::runtime_error("connect to port " + std::to_string(port) + ": " +
                             errno_text(fd.error()));
  const int on = 1;
  ::setsockopt(fd->get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return std::make_unique<net::TcpStream>(fd->release());
}

class Http2Integration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = std::make_unique<TestPki>();
    leaf_ = pki_->localhost_server();
  }
  static void TearDownTestSuite() { pki_.reset(); }

  // TLS to 127.0.0.1:port offering only "h2"; fails the test unless h2 was negotiated.
  static std::shared_ptr<http2::ClientConnection> connect_tls(
      std::uint16_t port, http2::ConnectionOptions options = test_options()) {
    TlsOptions tls;
    tls.ca_file = pki_->ca_cert().string();
    auto config = tls::ClientConfig::make(tls, {"h2"});
    if (!config) throw std::runtime_error(config.error().message());
    auto stream = tls::handshake(dial(port), **config, tls::HandshakeParams{"localhost", port},
                                 background(), nullptr);
    if (!stream) throw std::runtime_error("handshake: " + stream.error().message());
    if ((*stream)->tls()->negotiated_protocol != "h2")
      throw std::runtime_error("ALPN did not pick h2");
    auto conn =
        http2::ClientConnection::start(std::move(*stream), std::move(options), background());
    if (!conn) throw std::runtime_error("start: " + conn.error().message());
    return *conn;
  }

  static std::shared_ptr<http2::ClientConnection> connect_cleartext(std::uint16_t port) {
    auto conn = http2::ClientConnection::start(dial(port), test_options(), background());
    if (!conn) throw std::runtime_error("start: " + conn.error().message());
    return *conn;
  }

  static Request request_to(std::string_view scheme, std::uint16_t port, std::string_view method,
                            std::string_view path, RequestBody body = RequestBody::empty()) {
    auto request = Request::make(
        method, std::string(scheme) + "://localhost:" + std::to_string(port) + std::string(path),
        std::move(body));
    if (!request) throw std::runtime_error(request.error().message());
    return *request;
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

  static inline std::unique_ptr<TestPki> pki_;
  static inline CertFiles leaf_;
};

// trace-semantics §5 (i2) against nghttp2's server: the hooks, the TLS state, the trailer.
TEST_F(Http2Integration, NghttpdOverTlsAnswersAGetWithGoHookOrder) {
  NghttpdServer server(nghttpd_tls());
  auto conn = connect_tls(server.port());
  HookRecorder hooks;
  const Request request = traced(request_to("https", server.port(), "GET", "/hello.txt"), hooks);
  auto response = send(*conn, request, /*gzip=*/true);
  ASSERT_TRUE(response) << response.error().what() << "\n" << server.output();
  const std::string authority = "localhost:" + std::to_string(server.port());
  EXPECT_EQ(
      hooks.lines(),
      (Lines{"wrote_header_field :authority=[" + authority + "]",
             "wrote_header_field :method=[GET]", "wrote_header_field :path=[/hello.txt]",
             "wrote_header_field :scheme=[https]", "wrote_header_field accept-encoding=[gzip]",
             "wrote_header_field user-agent=[httptrace-test]", "wrote_headers", "wrote_request",
             "got_first_response_byte"}));
  EXPECT_EQ(response->proto(), "HTTP/2.0");
  EXPECT_EQ(response->status(), "200 OK");
  ASSERT_NE(response->tls(), nullptr);
  EXPECT_EQ(response->tls()->negotiated_protocol, "h2");
  EXPECT_EQ(response->content_length(), std::optional<uint64_t>(kNghttpdHello.size()));
  EXPECT_EQ(response->body().read_all().value(), kNghttpdHello);
  EXPECT_EQ(response->trailer().get(kNghttpdTrailerKey),
            std::optional<std::string_view>(kNghttpdTrailerValue));
}

TEST_F(Http2Integration, NghttpdCleartextWithPriorKnowledge) {
  NghttpdOptions options;
  NghttpdServer server(options);
  auto conn = connect_cleartext(server.port());
  auto response = send(*conn, request_to("http", server.port(), "GET", "/big.bin"));
  ASSERT_TRUE(response) << response.error().what() << "\n" << server.output();
  EXPECT_EQ(response->tls(), nullptr);
  auto body = response->body().read_all();
  ASSERT_TRUE(body) << body.error().what();
  EXPECT_EQ(*body == nghttpd_big_content(), true);
  auto missing = send(*conn, request_to("http", server.port(), "GET", "/nope"));
  ASSERT_TRUE(missing) << missing.error().what();
  EXPECT_EQ(missing->status_code(), 404);
  EXPECT_TRUE(missing->body().discard());
}

TEST_F(Http2Integration, NghttpdEchoesLargeUploadsBothFromMemoryAndAReader) {
  NghttpdServer server(nghttpd_tls());
  auto conn = connect_tls(server.port());
  const std::string upload = nghttpd_big_content();
  auto echoed = send(*conn, request_to("https", server.port(), "POST", "/hello.txt",
                                       RequestBody::from_string(upload)));
  ASSERT_TRUE(echoed) << echoed.error().what() << "\n" << server.output();
  auto body = echoed->body().read_all();
  ASSERT_TRUE(body) << body.error().what();
  EXPECT_EQ(*body == upload, true);
  std::size_t offset = 0;
  auto reader = RequestBody::from_reader(
      [&](std::span<std::byte> buf) -> Result<std::size_t> {
        const std::size_t n = std::min<std::size_t>({buf.size(), 1000, upload.size() - offset});
        std::memcpy(buf.data(), upload.data() + offset, n);
        offset += n;
        return n;
      },
      std::uint64_t{upload.size()});
  auto streamed = send(*conn, request_to("https", server.port(), "PUT", "/hello.txt", reader));
  ASSERT_TRUE(streamed) << streamed.error().what();
  auto streamed_body = streamed->body().read_all();
  ASSERT_TRUE(streamed_body) << streamed_body.error().what();
  EXPECT_EQ(*streamed_body == upload, true);
}

TEST_F(Http2Integration, NghttpdServesManyThreadsOnOneConnectionWithinItsStreamLimit) {
  NghttpdOptions options = nghttpd_tls();
  options.max_concurrent_streams = 4;
  NghttpdServer server(options);
  auto conn = connect_tls(server.port());
  const std::string big = nghttpd_big_content();
  constexpr int kThreads = 24;
  std::vector<std::thread> threads;
  std::vector<std::string> outcomes(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto response =
          send(*conn, request_to("https", server.port(), "GET", i % 2 ? "/big.bin" : "/hello.txt"));
      std::string& outcome = outcomes[static_cast<std::size_t>(i)];
      if (!response) {
        outcome = "error: " + response.error().message();
        return;
      }
      auto body = response->body().read_all();
      outcome = !body ? "error: " + body.error().message()
                : *body == (i % 2 ? big : std::string(kNghttpdHello)) ? "ok"
                                                                      : "mismatch";
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::string& outcome : outcomes) EXPECT_EQ(outcome, "ok");
  EXPECT_EQ(conn->active_streams(), 0u);
  EXPECT_TRUE(conn->ping(background()));
}

TEST_F(Http2Integration, ClosingReleasesTheConnectionsDescriptor) {
  NghttpdServer server(nghttpd_tls());
  auto warm = connect_tls(server.port());
  ASSERT_TRUE(send(*warm, request_to("https", server.port(), "GET", "/hello.txt")));
  warm.reset();
  const int baseline = open_fd_count();
  auto conn = connect_tls(server.port());
  auto response = send(*conn, request_to("https", server.port(), "GET", "/hello.txt"));
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(response->body().read_all().value(), kNghttpdHello);
  conn->close();
  EXPECT_FALSE(conn->usable());
  conn.reset();
  EXPECT_EQ(wait_for_fd_count(baseline, scaled(1000ms)), baseline);
}

TEST_F(Http2Integration, NginxWithHttp2ServesTheFixtureLocations) {
  NginxServer nginx(nginx_h2());
  auto conn = connect_tls(nginx.tls_port());
  HookRecorder hooks;
  auto hello = send(*conn, traced(request_to("https", nginx.tls_port(), "GET", "/hello"), hooks));
  ASSERT_TRUE(hello) << hello.error().what() << "\n" << nginx.error_log();
  EXPECT_EQ(hello->proto(), "HTTP/2.0");
  EXPECT_EQ(hello->header().get("Content-Type"), std::optional<std::string_view>("text/plain"));
  EXPECT_EQ(hello->body().read_all().value(), "hello world\n");
  EXPECT_EQ(hooks.lines().back(), "got_first_response_byte");

  auto binary = send(*conn, request_to("https", nginx.tls_port(), "GET", "/static/1m.bin"));
  ASSERT_TRUE(binary) << binary.error().what();
  EXPECT_EQ(binary->content_length(), std::optional<uint64_t>(kStatic1mSize));
  EXPECT_EQ(binary->body().read_all().value() == static_file_content("1m.bin"), true);

  // trace-semantics §8.3: the transport's gzip is decoded, the caller sees plain text.
  auto text =
      send(*conn, request_to("https", nginx.tls_port(), "GET", "/static/text.txt"), /*gzip=*/true);
  ASSERT_TRUE(text) << text.error().what();
  EXPECT_TRUE(text->uncompressed());
  EXPECT_FALSE(text->header().has("Content-Encoding"));
  EXPECT_EQ(text->body().read_all().value() == static_file_content("text.txt"), true);

  auto status = send(*conn, request_to("https", nginx.tls_port(), "GET", "/status/404"));
  ASSERT_TRUE(status) << status.error().what();
  EXPECT_EQ(status->status(), "404 Not Found");
  EXPECT_EQ(status->body().read_all().value(), "status 404\n");
}

TEST_F(Http2Integration, NginxTakesAnUploadWithExpectContinue) {
  NginxServer nginx(nginx_h2());
  auto conn = connect_tls(nginx.tls_port());
  HookRecorder hooks;
  Request request = request_to("https", nginx.tls_port(), "POST", "/upload",
                               RequestBody::from_string(std::string(300000, 'u')));
  request.header().add("Expect", "100-continue");
  auto response = send(*conn, traced(request, hooks));
  ASSERT_TRUE(response) << response.error().what() << "\n" << nginx.error_log();
  EXPECT_EQ(response->status_code(), 200);
  EXPECT_EQ(response->body().read_all().value(), "ok\n");
  EXPECT_EQ(hooks.count("wait_100_continue"), 1u);
  EXPECT_EQ(hooks.lines_starting("wrote_request"), Lines{"wrote_request"});
}

TEST_F(Http2Integration, NginxServesConcurrentStreamsFromManyThreads) {
  NginxServer nginx(nginx_h2());
  auto conn = connect_tls(nginx.tls_port());
  const std::string expected = static_file_content("16k.bin");
  constexpr int kThreads = 32;
  std::vector<std::thread> threads;
  std::vector<std::string> outcomes(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 5; ++round) {
        auto response =
            send(*conn, request_to("https", nginx.tls_port(), "GET", "/static/16k.bin"));
        std::string& outcome = outcomes[static_cast<std::size_t>(i)];
        if (!response) {
          outcome = "error: " + response.error().message();
          return;
        }
        auto body = response->body().read_all();
        outcome = body && *body == expected ? "ok" : "bad body";
        if (outcome != "ok") return;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::string& outcome : outcomes) EXPECT_EQ(outcome, "ok");
}

}  // namespace
}  // namespace httptrace::testing
