#include "tls/tls_stream.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <future>

#include "support/fd_count.hpp"
#include "support/nginx_content.hpp"
#include "support/script_server.hpp"
#include "support/tls_server.hpp"
#include "tls/tls_test_base.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;

// What the scripted TLS server does once the handshake is over.
enum class Ending { close_notify, bare_close, stay_open };

class TlsStreamTest : public TlsTest {
 protected:
  // A TLS server answering one request with `response`, then ending as told. With no request
  // expected (`wait_for_request` false) it answers right after the handshake.
  void start(std::string response, Ending ending, int max_version = 0,
             bool wait_for_request = true) {
    leaf_ = pki().localhost_server();
    TlsServerOptions options;
    options.certificate = leaf_.chain;
    options.private_key = leaf_.key;
    options.max_version = max_version;
    context_ = std::make_unique<TlsServerContext>(options);
    server_ = std::make_unique<ScriptServer>(
        [this, response, ending, wait_for_request](ServerConn& conn) {
          ServerTls tls(*context_, conn);
          if (!tls.handshake()) return;
          if (wait_for_request && !tls.read_until("\r\n\r\n")) return;
          if (!response.empty() && !tls.write(response)) return;
          if (ending == Ending::close_notify) tls.close_notify();
          if (ending == Ending::stay_open) (void)tls.read_until("never");
        });
  }

  Result<std::unique_ptr<net::Stream>> connect_to_server() {
    return connect(server_->port(), *make_config(trusting_test_ca()), "localhost");
  }

  static void send_request(net::Stream& stream) {
    const std::string request = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    auto [ctx, cancel] = with_timeout(background(), scaled(5000ms));
    auto wrote = stream.write(std::as_bytes(std::span(request)), ctx);
    ASSERT_TRUE(wrote.has_value()) << wrote.error().message();
  }

  // Waits until the socket under `stream` is readable (something arrived).
  static bool socket_readable(const net::Stream& stream) {
    pollfd p{stream.fd(), POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(scaled(5000ms).count())) == 1;
  }

  CertFiles leaf_;
  std::unique_ptr<TlsServerContext> context_;
  std::unique_ptr<ScriptServer> server_;
};

// bad-inputs 18: a close-delimited body over TLS is complete only with close_notify.
TEST_F(TlsStreamTest, CloseNotifyEndsTheStreamCleanly) {
  start("HTTP/1.1 200 OK\r\n\r\nabc", Ending::close_notify);
  auto stream = connect_to_server();
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  send_request(**stream);
  const ReadToEnd got = read_to_end(**stream);
  EXPECT_EQ(got.bytes, "HTTP/1.1 200 OK\r\n\r\nabc");
  EXPECT_FALSE(got.error.has_value()) << got.error->message();
}

TEST_F(TlsStreamTest, CloseWithoutCloseNotifyIsATruncatedBody) {
  start("HTTP/1.1 200 OK\r\n\r\nabc", Ending::bare_close);
  auto stream = connect_to_server();
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  send_request(**stream);
  const ReadToEnd got = read_to_end(**stream);
  EXPECT_EQ(got.bytes, "HTTP/1.1 200 OK\r\n\r\nabc");
  ASSERT_TRUE(got.error.has_value()) << "a bare FIN was taken for the end of the data";
  EXPECT_EQ(got.error->code(), ErrorCode::body_truncated);
  EXPECT_EQ(got.error->op(), "read");
  EXPECT_NE(got.error->message().find("without close_notify"), std::string::npos)
      << got.error->message();
  // Sticky: the next read says the same.
  std::byte more[8];
  auto again = (*stream)->try_read(more);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::body_truncated);
}

TEST_F(TlsStreamTest, Tls12CloseWithoutCloseNotifyIsATruncatedBodyToo) {
  start("HTTP/1.1 200 OK\r\n\r\nabc", Ending::bare_close, TLS1_2_VERSION);
  auto stream = connect_to_server();
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  send_request(**stream);
  const ReadToEnd got = read_to_end(**stream);
  EXPECT_EQ(got.bytes, "HTTP/1.1 200 OK\r\n\r\nabc");
  ASSERT_TRUE(got.error.has_value());
  EXPECT_EQ(got.error->code(), ErrorCode::body_truncated);
}

// TLS 1.3 tickets arrive after the handshake; an idle connection that only received them is
// alive, and the tickets it processed make the next handshake resume.
TEST_F(TlsStreamTest, IdleConnectionThatReceivedSessionTicketsIsAlive) {
  start("", Ending::stay_open, TLS1_3_VERSION, false);
  auto config = make_config(trusting_test_ca());
  auto stream = connect(server_->port(), *config, "localhost");
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  ASSERT_EQ((*stream)->tls()->version, 0x0304);
  ASSERT_TRUE(socket_readable(**stream)) << "no session ticket arrived";
  EXPECT_TRUE((*stream)->idle_alive());
  EXPECT_FALSE((*stream)->has_buffered_input());
  EXPECT_GT(config->session_cache()->size(), 0u);

  auto second = connect(server_->port(), *config, "localhost");
  ASSERT_TRUE(second.has_value()) << second.error().message();
  EXPECT_TRUE((*second)->tls()->did_resume);
}

TEST_F(TlsStreamTest, IdleConnectionTheServerClosedWithCloseNotifyIsDead) {
  start("", Ending::close_notify, TLS1_3_VERSION, false);
  auto stream = connect_to_server();
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  ASSERT_TRUE(server_->wait_for_handlers_finished(1, scaled(5000ms)));
  EXPECT_FALSE((*stream)->idle_alive());
}

TEST_F(TlsStreamTest, IdleConnectionTheServerDroppedIsDead) {
  start("", Ending::bare_close, TLS1_2_VERSION, false);
  auto stream = connect_to_server();
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  ASSERT_TRUE(server_->wait_for_handlers_finished(1, scaled(5000ms)));
  EXPECT_FALSE((*stream)->idle_alive());
}

// bad-inputs E35: bytes nobody asked for end an idle connection.
TEST_F(TlsStreamTest, IdleConnectionThatReceivedUnsolicitedDataIsDead) {
  start("HTTP/1.1 408 Request Timeout\r\n\r\n", Ending::stay_open, TLS1_3_VERSION, false);
  auto stream = connect_to_server();
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  ASSERT_TRUE(socket_readable(**stream));
  // Tickets and the 408 may arrive apart; once the 408 is in, the connection is dead.
  bool alive = true;
  for (int i = 0; i < 50 && alive; ++i) {
    alive = (*stream)->idle_alive();
    if (alive) {
      ASSERT_TRUE(socket_readable(**stream));
    }
  }
  EXPECT_FALSE(alive);
}

TEST_F(TlsStreamTest, BufferedPlaintextIsReportedAndReadWithoutWaiting) {
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  start(response, Ending::stay_open);
  auto stream = connect_to_server();
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  send_request(**stream);
  auto [ctx, cancel] = with_timeout(background(), scaled(5000ms));
  std::byte first[4];
  auto n = (*stream)->read(first, ctx);
  ASSERT_TRUE(n.has_value()) << n.error().message();
  ASSERT_EQ(*n, 4u);
  // The rest of the record sits decrypted in OpenSSL, not in the socket.
  EXPECT_TRUE((*stream)->has_buffered_input());
  auto ready = (*stream)->wait(true, false, ctx, std::nullopt);
  ASSERT_TRUE(ready.has_value());
  EXPECT_TRUE(ready->readable);
  std::byte rest[256];
  auto m = (*stream)->try_read(rest);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(*m, response.size() - 4);
}

TEST_F(TlsStreamTest, ReadHonoursTheOperationDeadline) {
  start("", Ending::stay_open);
  auto stream = connect_to_server();
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  send_request(**stream);
  std::byte buffer[16];
  const auto start_time = std::chrono::steady_clock::now();
  auto n = (*stream)->read(buffer, background(), std::chrono::steady_clock::now() + 200ms);
  const auto elapsed = std::chrono::steady_clock::now() - start_time;
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().code(), ErrorCode::timeout);
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 200ms + scaled(250ms));
}

TEST_F(TlsStreamTest, ClosedStreamFailsReadsAndWrites) {
  start("", Ending::stay_open);
  auto stream = connect_to_server();
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  (*stream)->close();
  std::byte buffer[16];
  EXPECT_FALSE((*stream)->try_read(buffer).has_value());
  const net::ConstBuffer part = std::as_bytes(std::span("x", 1));
  EXPECT_FALSE((*stream)->try_write(std::span(&part, 1)).has_value());
  EXPECT_FALSE((*stream)->idle_alive());
}

class TlsStreamNginx : public TlsTest {};

TEST_F(TlsStreamNginx, MegabytesFlowBothWays) {
  auto nginx = start_nginx(pki().localhost_server());
  auto stream = connect(nginx->tls_port(), *make_config(trusting_test_ca()), "localhost");
  ASSERT_TRUE(stream.has_value()) << stream.error().message();

  const HttpReply download = http_get(**stream, "/static/1m.bin");
  EXPECT_EQ(download.body == static_file_content("1m.bin"), true) << "1 MiB body differs";

  // An upload in many parts of odd sizes: records gather small parts; partial writes resume.
  const std::string body(3 * 1024 * 1024 + 17, 'u');
  const std::string head =
      "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n";
  std::vector<net::ConstBuffer> parts{std::as_bytes(std::span(head))};
  for (std::size_t at = 0; at < body.size(); at += 7001) {
    parts.push_back(
        std::as_bytes(std::span(body)).subspan(at, std::min<std::size_t>(7001, body.size() - at)));
  }
  auto [ctx, cancel] = with_timeout(background(), scaled(10000ms));
  auto wrote = (*stream)->write(parts, ctx);
  ASSERT_TRUE(wrote.has_value()) << wrote.error().message();
  std::string reply;
  std::byte buffer[4096];
  while (reply.find("ok\n") == std::string::npos) {
    auto n = (*stream)->read(buffer, ctx);
    ASSERT_TRUE(n.has_value()) << n.error().message();
    ASSERT_GT(*n, 0u);
    reply.append(reinterpret_cast<const char*>(buffer), *n);
  }
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
}

// bad-inputs I3: every descriptor is released, whatever the outcome.
TEST_F(TlsStreamNginx, NoDescriptorOutlivesItsStream) {
  auto good = start_nginx(pki().localhost_server());
  auto bad = start_nginx(pki().other_ca_server());
  auto config = make_config(trusting_test_ca());
  const int baseline = open_fd_count();
  for (int round = 0; round < 3; ++round) {
    auto ok = connect(good->tls_port(), *config, "localhost");
    ASSERT_TRUE(ok.has_value()) << ok.error().message();
    EXPECT_EQ(http_get(**ok, "/hello").body, "hello world\n");
    auto refused = connect(bad->tls_port(), *config, "localhost");
    EXPECT_FALSE(refused.has_value());
    auto plain = connect(good->port(), *config, "localhost");
    EXPECT_FALSE(plain.has_value());
  }
  EXPECT_EQ(wait_for_fd_count(baseline, scaled(1000ms)), baseline);
}

}  // namespace
}  // namespace httptrace::testing
