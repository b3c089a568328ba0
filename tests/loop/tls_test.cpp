// HTTPS through the EventLoop against nginx with our test PKI: trace-semantics §5 (i1), (i1b),
// (i3) — the non-blocking handshake fires the TLS hooks as the blocking one does.
#include "httptrace/event_loop.hpp"

#include <gtest/gtest.h>

#include "loop/loop_fixture.hpp"
#include "support/nginx.hpp"
#include "support/pki.hpp"

namespace httptrace::testing {
namespace {

using Lines = std::vector<std::string>;

class LoopHttps : public ::testing::Test {
 protected:
  static NginxOptions tls_options(const CertFiles& leaf) {
    NginxOptions options;
    options.tls = NginxTlsOptions{};
    options.tls->certificate = leaf.chain;
    options.tls->private_key = leaf.key;
    return options;
  }
  TransportOptions trusting() {
    TransportOptions options = test_options();
    options.tls.ca_file = pki.ca_cert().string();
    return options;
  }

  TestPki pki;
  CertFiles leaf = pki.localhost_server();
  NginxServer nginx{tls_options(leaf)};
  std::string authority = "127.0.0.1:" + std::to_string(nginx.tls_port());
};

TEST_F(LoopHttps, NewConnectionHandshakesAndReuseSkipsIt) {
  EventLoop loop(trusting());
  HookRecorder first;
  LoopOutcome r1 = send_on(loop, traced("GET", nginx.tls_base_url() + "/hello", first));
  ASSERT_TRUE(r1.ok()) << r1.error().what();
  EXPECT_EQ(r1.body, "hello world\n");
  Lines lines = first.lines();
  ASSERT_GE(lines.size(), 6u);
  EXPECT_EQ(Lines(lines.begin(), lines.begin() + 6),
            (Lines{"get_conn " + authority, "connect_start tcp " + authority,
                   "connect_done tcp " + authority, "tls_handshake_start", "tls_handshake_done",
                   "got_conn reused=0 was_idle=0"}));
  EXPECT_EQ(lines.back(), "put_idle_conn");
  ASSERT_EQ(first.tls_states().size(), 1u);
  const TLSConnectionState state = first.tls_states()[0];
  EXPECT_TRUE(state.handshake_complete);
  EXPECT_EQ(state.negotiated_protocol, "http/1.1");
  ASSERT_EQ(state.verified_chains.size(), 1u);
  ASSERT_NE(r1->tls(), nullptr);
  EXPECT_EQ(r1->tls()->version_name, state.version_name);

  // Many reuses: TLS 1.3 session tickets arrive on the idle connection and must not kill it.
  for (int i = 0; i < 5; ++i) {
    HookRecorder again;
    LoopOutcome r = send_on(loop, traced("GET", nginx.tls_base_url() + "/hello", again));
    ASSERT_TRUE(r.ok()) << r.error().what();
    EXPECT_EQ(r.body, "hello world\n");
    EXPECT_EQ(again.count("tls_handshake_start"), 0u);
    EXPECT_EQ(again.lines_starting("got_conn"), (Lines{"got_conn reused=1 was_idle=1"}));
  }
  // A 1 MiB body over TLS: decrypted records buffered inside OpenSSL are read without waiting
  // for the socket.
  LoopOutcome big =
      send_on(loop, *Request::make("GET", nginx.tls_base_url() + "/static/1m.bin"), nullptr, {});
  ASSERT_TRUE(big.ok()) << big.error().what();
  EXPECT_EQ(big.body_bytes, 1u << 20);
}

TEST_F(LoopHttps, UntrustedCertificateFailsTheHandshake) {
  EventLoop loop(test_options());  // the system store does not know our CA
  HookRecorder hooks;
  LoopOutcome out = send_on(loop, traced("GET", nginx.tls_base_url() + "/hello", hooks));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), ErrorCode::tls);
  EXPECT_EQ(out.error().tls_kind(), "unknown_authority");
  EXPECT_EQ(hooks.lines_starting("tls_handshake_done"), (Lines{"tls_handshake_done err=tls"}));
  EXPECT_EQ(hooks.count("got_conn"), 0u);
  EXPECT_EQ(loop.pool_stats().open_conns, 0u);
}

TEST_F(LoopHttps, ManyConcurrentHandshakesOnOneLoop) {
  auto options = trusting();
  options.max_idle_conns_per_host = 16;
  EventLoop loop(options);
  int ok = 0;
  for (int i = 0; i < 16; ++i) {
    loop.submit(*Request::make("GET", nginx.tls_base_url() + "/hello"),
                [&](EventLoop::Completion& c) {
                  EXPECT_TRUE(c.response) << c.response.error().what();
                  if (c.response && c.body_bytes == 12) ++ok;
                });
  }
  loop.run();
  EXPECT_EQ(ok, 16);
  EXPECT_EQ(loop.pool_stats().idle_conns, 16u);
}

}  // namespace
}  // namespace httptrace::testing
