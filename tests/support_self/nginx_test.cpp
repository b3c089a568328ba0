#include "support/nginx.hpp"

#include <signal.h>
#include <zlib.h>

#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "support/fd_count.hpp"
#include "support/loopback.hpp"
#include "support/test_socket.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;

std::string get_request(std::string_view path, std::string_view extra_headers = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         std::string(extra_headers) + "\r\n";
}

RawResponse round_trip(TestSocket& socket, std::string_view request,
                       std::string_view method = "GET") {
  socket.set_read_timeout(scaled(5000ms));
  auto written = socket.write(request);
  if (!written) throw std::runtime_error(written.error().message);
  auto response = socket.read_response(method);
  if (!response) throw std::runtime_error(response.error().message);
  return std::move(*response);
}

std::string gunzip(std::string_view compressed) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error("inflateInit2");
  std::string out;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  int status = Z_OK;
  while (status == Z_OK) {
    char buffer[16384];
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END) throw std::runtime_error("not a complete gzip stream");
  return out;
}

class NginxPlain : public ::testing::Test {
 protected:
  NginxServer nginx_;
  TestSocket socket_ = dial_test_socket(nginx_.port());
};

TEST_F(NginxPlain, HelloAnswersTwiceOnOneKeepAliveConnection) {
  for (int i = 0; i < 2; ++i) {
    const RawResponse response = round_trip(socket_, get_request("/hello"));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "hello world\n");
    EXPECT_EQ(response.header("Content-Type"), "text/plain");
    EXPECT_EQ(response.header("Content-Length"), "12");
    EXPECT_EQ(response.header("Connection"), "keep-alive");
  }
  EXPECT_FALSE(socket_.peer_closed());
}

TEST_F(NginxPlain, BaseUrlNamesTheLoopbackPort) {
  EXPECT_NE(nginx_.port(), 0);
  EXPECT_EQ(nginx_.tls_port(), 0);
  EXPECT_EQ(nginx_.base_url(), "http://127.0.0.1:" + std::to_string(nginx_.port()));
}

TEST_F(NginxPlain, StaticFilesHaveTheDocumentedSizesAndBytes) {
  const std::pair<const char*, std::size_t> files[] = {
      {"16k.bin", kStatic16kSize}, {"1m.bin", kStatic1mSize}, {"text.txt", kStaticTextSize}};
  for (const auto& [name, size] : files) {
    const RawResponse response = round_trip(socket_, get_request("/static/" + std::string(name)));
    ASSERT_EQ(response.status, 200) << name;
    EXPECT_EQ(response.framing.kind, BodyFraming::Kind::length) << name;
    EXPECT_EQ(response.body.size(), size) << name;
    EXPECT_TRUE(response.body == static_file_content(name)) << name;
  }
  const RawResponse bin = round_trip(socket_, get_request("/static/16k.bin"));
  EXPECT_EQ(bin.header("Content-Type"), "application/octet-stream");
}

TEST_F(NginxPlain, TextIsGzippedAndChunkedWhenTheClientAcceptsGzip) {
  const RawResponse response =
      round_trip(socket_, get_request("/static/text.txt", "Accept-Encoding: gzip\r\n"));
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.header("Content-Encoding"), "gzip");
  EXPECT_EQ(response.header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(response.framing.kind, BodyFraming::Kind::chunked);
  EXPECT_FALSE(response.header("Content-Length").has_value());
  EXPECT_LT(response.body.size(), kStaticTextSize / 10);
  EXPECT_EQ(gunzip(response.body), static_file_content("text.txt"));
}

TEST_F(NginxPlain, BinaryFilesAreNeverGzipped) {
  const RawResponse response =
      round_trip(socket_, get_request("/static/16k.bin", "Accept-Encoding: gzip\r\n"));
  EXPECT_FALSE(response.header("Content-Encoding").has_value());
  EXPECT_EQ(response.body.size(), kStatic16kSize);
}

TEST_F(NginxPlain, UploadReadsTheBodyAndKeepsTheConnectionAlive) {
  const std::string body(1024 * 1024, 'u');
  const RawResponse response =
      round_trip(socket_, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok\n");
  EXPECT_EQ(response.header("Connection"), "keep-alive");
  const RawResponse next = round_trip(socket_, get_request("/hello"));
  EXPECT_EQ(next.body, "hello world\n");
}

TEST_F(NginxPlain, ChunkedUploadKeepsTheConnectionAlive) {
  const RawResponse response =
      round_trip(socket_,
                 "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok\n");
  EXPECT_EQ(round_trip(socket_, get_request("/hello")).status, 200);
}

TEST_F(NginxPlain, RedirectIsRelativeAndRedirectAbsNamesTheSameServer) {
  const RawResponse relative = round_trip(socket_, get_request("/redirect"));
  EXPECT_EQ(relative.status, 302);
  EXPECT_EQ(relative.header("Location"), "/hello");
  const RawResponse absolute = round_trip(socket_, get_request("/redirect-abs"));
  EXPECT_EQ(absolute.status, 302);
  EXPECT_EQ(absolute.header("Location"), nginx_.base_url() + "/hello");
}

TEST_F(NginxPlain, StatusLocationsAnswerTheirStatusAndKeepTheConnection) {
  for (const int status :
       {200, 201, 204, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 417, 500, 502, 503}) {
    const RawResponse response =
        round_trip(socket_, get_request("/status/" + std::to_string(status)));
    EXPECT_EQ(response.status, status);
    EXPECT_EQ(response.header("Connection"), "keep-alive") << status;
    if (status >= 300 && status < 400 && status != 304) {
      EXPECT_EQ(response.header("Location"), "/hello") << status;
    } else if (status != 204 && status != 304) {
      EXPECT_EQ(response.body, "status " + std::to_string(status) + "\n");
    }
  }
  EXPECT_FALSE(socket_.peer_closed());
}

TEST_F(NginxPlain, UnauthorizedCarriesAChallenge) {
  const RawResponse response = round_trip(socket_, get_request("/status/401"));
  EXPECT_EQ(response.header("WWW-Authenticate"), "Basic realm=\"httptrace\"");
}

TEST_F(NginxPlain, CloseAnswersConnectionCloseAndCloses) {
  const RawResponse response = round_trip(socket_, get_request("/close"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("Connection"), "close");
  EXPECT_TRUE(socket_.wait_for_peer_close(scaled(5000ms)));
}

TEST_F(NginxPlain, HeadHasNoBody) {
  const RawResponse response =
      round_trip(socket_, "HEAD /static/16k.bin HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD");
  EXPECT_EQ(response.header("Content-Length"), std::to_string(kStatic16kSize));
  EXPECT_TRUE(response.body.empty());
  EXPECT_EQ(round_trip(socket_, get_request("/hello")).body, "hello world\n");
}

TEST_F(NginxPlain, ErrorLogIsReadable) {
  EXPECT_NE(nginx_.error_log().find("nginx/"), std::string::npos);
  EXPECT_NE(nginx_.config().find("keepalive_requests 100000;"), std::string::npos);
}

TEST(Nginx, ExtraServerConfigIsApplied) {
  NginxOptions options;
  options.extra_server_config = "location = /extra { return 200 \"extra\\n\"; }";
  NginxServer nginx(options);
  TestSocket socket = dial_test_socket(nginx.port());
  EXPECT_EQ(round_trip(socket, get_request("/extra")).body, "extra\n");
}

TEST(Nginx, ARejectedConfigThrowsWithTheErrorLog) {
  NginxOptions options;
  options.extra_server_config = "no_such_directive on;";
  try {
    NginxServer nginx(options);
    FAIL() << "nginx started with a bad config";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown directive \"no_such_directive\""),
              std::string::npos)
        << e.what();
  }
}

TEST(Nginx, APortThatStaysTakenIsRetriedThenReported) {
  // An extra listener on a port we hold fails every attempt the way a lost race would.
  auto held = bind_loopback(Loopback::ipv4, 0, 1);
  ASSERT_TRUE(held.has_value());
  NginxOptions options;
  options.extra_server_config =
      "listen " + loopback_authority(Loopback::ipv4, local_port(held->get())) + ";";
  const auto start = std::chrono::steady_clock::now();
  try {
    NginxServer nginx(options);
    FAIL() << "nginx started on a taken port";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("Address already in use"), std::string::npos) << e.what();
  }
  // Each attempt ends at nginx's first failed bind, not after its 2.5 s of retries.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(Nginx, OptionsWithoutAListenerAreRejected) {
  NginxOptions options;
  options.plain = false;
  EXPECT_THROW(NginxServer{options}, std::invalid_argument);
}

TEST(Nginx, StopEndsTheProcessAndFreesThePort) {
  NginxServer nginx;
  const pid_t pid = nginx.pid();
  const std::uint16_t port = nginx.port();
  nginx.stop();
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  const auto refused = connect_loopback(Loopback::ipv4, port, scaled(1000ms));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), ECONNREFUSED);
  nginx.stop();  // idempotent
}

TEST(Nginx, DestructionRemovesTheTempDir) {
  std::filesystem::path dir;
  {
    NginxServer nginx;
    dir = nginx.error_log_path().parent_path();
    ASSERT_TRUE(std::filesystem::exists(dir / "nginx.conf"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(Nginx, FdsReturnToBaselineAfterDestruction) {
  const int baseline = open_fd_count();
  {
    NginxServer nginx;
    TestSocket socket = dial_test_socket(nginx.port());
    EXPECT_EQ(round_trip(socket, get_request("/hello")).status, 200);
  }
  EXPECT_EQ(wait_for_fd_count(baseline, scaled(2000ms)), baseline);
}

TEST(Nginx, Ipv6ListenerAnswersOnTheSamePort) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback on this machine";
  NginxOptions options;
  options.ipv6 = true;
  NginxServer nginx(options);
  EXPECT_EQ(nginx.base_url_v6(), "http://[::1]:" + std::to_string(nginx.port()));
  TestSocket v6 = dial_test_socket(nginx.port(), Loopback::ipv6);
  EXPECT_EQ(round_trip(v6, get_request("/hello")).body, "hello world\n");
  TestSocket v4 = dial_test_socket(nginx.port(), Loopback::ipv4);
  EXPECT_EQ(round_trip(v4, get_request("/hello")).body, "hello world\n");
}

TEST(Nginx, TwoServersGetDifferentPorts) {
  NginxServer a;
  NginxServer b;
  EXPECT_NE(a.port(), b.port());
}

}  // namespace
}  // namespace httptrace::testing
