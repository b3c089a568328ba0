#include "tls/tls_stream.hpp"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "support/script_server.hpp"
#include "support/time_bounds.hpp"
#include "tls/tls_test_base.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A server that accepts TCP and never says a word (bad-inputs F40).
class SilentServer : public TlsTest {
 protected:
  std::promise<void> hello_received;
  ScriptServer server{[this](ServerConn& conn) {
    if (conn.read_some() && conn.id() == 0) hello_received.set_value();
    conn.wait_for_peer_close(std::chrono::seconds(30));
  }};
  std::shared_ptr<tls::ClientConfig> config = make_config(trusting_test_ca());
};

TEST_F(SilentServer, ContextDeadlineEndsTheHandshakeOnTime) {
  auto [ctx, cancel] = with_timeout(background(), 300ms);
  const auto start = Clock::now();
  auto stream = connect(server.port(), *config, "localhost", ctx);
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(stream.has_value());
  EXPECT_EQ(stream.error().code(), ErrorCode::deadline_exceeded) << stream.error().message();
  EXPECT_EQ(stream.error().op(), "tls handshake");
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 300ms + scaled(250ms));
  expect_failed_hooks(stream.error());
}

TEST_F(SilentServer, HandshakeTimeoutIsATimeoutNamingTheHandshake) {
  const auto start = Clock::now();
  auto stream = connect(server.port(), *config, "localhost", background(), 300ms);
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(stream.has_value());
  EXPECT_EQ(stream.error().code(), ErrorCode::timeout);
  EXPECT_TRUE(stream.error().is_timeout());
  EXPECT_EQ(stream.error().op(), "tls handshake");
  EXPECT_EQ(stream.error().message(), "net/http: TLS handshake timeout");
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 300ms + scaled(250ms));
  expect_failed_hooks(stream.error());
}

TEST_F(SilentServer, EarlierContextDeadlineWinsOverTheHandshakeTimeout) {
  auto [ctx, cancel] = with_timeout(background(), 200ms);
  auto stream = connect(server.port(), *config, "localhost", ctx, 5s);
  ASSERT_FALSE(stream.has_value());
  EXPECT_EQ(stream.error().code(), ErrorCode::deadline_exceeded);
}

TEST_F(SilentServer, CancelEndsTheHandshake) {
  auto [ctx, cancel] = with_cancel(background());
  Clock::time_point canceled_at;
  std::thread canceller([&, cancel = cancel] {
    // Once the ClientHello is out, the handshake waits for the server's reply.
    hello_received.get_future().wait();
    canceled_at = Clock::now();
    cancel();
  });
  auto stream = connect(server.port(), *config, "localhost", ctx);
  const auto returned_at = Clock::now();
  canceller.join();
  ASSERT_FALSE(stream.has_value());
  EXPECT_EQ(stream.error().code(), ErrorCode::canceled);
  EXPECT_LT(returned_at - canceled_at, scaled(250ms));
  expect_failed_hooks(stream.error());
}

TEST_F(SilentServer, ContextAlreadyDoneFailsAtOnceWithBothHooks) {
  auto [ctx, cancel] = with_cancel(background());
  cancel();
  auto stream = connect(server.port(), *config, "localhost", ctx);
  ASSERT_FALSE(stream.has_value());
  EXPECT_EQ(stream.error().code(), ErrorCode::canceled);
  expect_failed_hooks(stream.error());
}

TEST_F(SilentServer, ZeroHandshakeTimeoutMeansNone) {
  auto [ctx, cancel] = with_timeout(background(), 300ms);
  auto stream = connect(server.port(), *config, "localhost", ctx, 0ns);
  ASSERT_FALSE(stream.has_value());
  EXPECT_EQ(stream.error().code(), ErrorCode::deadline_exceeded);
}

}  // namespace
}  // namespace httptrace::testing
