// HTTPS through the Transport: trace-semantics §5 (i1), (i1b), (i3), (i4); resumption; the
// handshake timeout; the response's TLS state.
#include "httptrace/transport.hpp"

#include <gtest/gtest.h>

#include "support/nginx.hpp"
#include "support/pki.hpp"
#include "support/script_server.hpp"
#include "transport/fixture.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

class Https : public ::testing::Test {
 protected:
  static NginxOptions tls_options(const CertFiles& leaf) {
    NginxOptions options;
    options.tls = NginxTlsOptions{};
    options.tls->certificate = leaf.chain;
    options.tls->private_key = leaf.key;
    return options;
  }
  std::shared_ptr<Transport> trusting_transport(TransportOptions options = test_options()) {
    options.tls.ca_file = pki.ca_cert().string();
    return make_transport(std::move(options));
  }

  TestPki pki;
  CertFiles leaf = pki.localhost_server();
  NginxServer nginx{tls_options(leaf)};
  std::string authority = "127.0.0.1:" + std::to_string(nginx.tls_port());
};

// (i1) then (i1b): the TLS hooks between connect and got_conn; none on reuse.
TEST_F(Https, NewConnectionHandshakesAndReuseSkipsIt) {
  auto transport = trusting_transport();
  HookRecorder first;
  auto r1 = transport->round_trip(traced("GET", nginx.tls_base_url() + "/hello", first));
  ASSERT_TRUE(r1) << r1.error().what();
  EXPECT_EQ(body_of(*r1), "hello world\n");
  Lines lines = first.lines();
  ASSERT_GE(lines.size(), 6u);
  Lines head(lines.begin(), lines.begin() + 6);
  EXPECT_EQ(head, (Lines{"get_conn " + authority, "connect_start tcp " + authority, "connect_done tcp " + authority,
                         "tls_handshake_start", "tls_handshake_done", "got_conn reused=0 was_idle=0"}));
  ASSERT_EQ(first.tls_states().size(), 1u);
  const TLSConnectionState state = first.tls_states()[0];
  EXPECT_TRUE(state.handshake_complete);
  EXPECT_EQ(state.server_name, "");  // no SNI for an IP literal
  EXPECT_EQ(state.negotiated_protocol, "http/1.1");
  EXPECT_FALSE(state.cipher_suite_name.empty());
  EXPECT_EQ(state.peer_certificates.size(), 2u);  // nginx sends the leaf and our CA
  ASSERT_EQ(state.verified_chains.size(), 1u);
  EXPECT_EQ(state.verified_chains[0].front(), state.peer_certificates.front());  // leaf first
  ASSERT_NE(r1->tls(), nullptr);
  EXPECT_EQ(r1->tls()->version_name, state.version_name);

  HookRecorder second;
  auto r2 = transport->round_trip(traced("GET", nginx.tls_base_url() + "/hello", second));
  ASSERT_TRUE(r2);
  EXPECT_EQ(second.lines_starting("got_conn"), (Lines{"got_conn reused=1 was_idle=1"}));
  EXPECT_EQ(second.count("tls_handshake"), 0u);
  EXPECT_NE(r2->tls(), nullptr);
}

// (i3) An untrusted certificate: the empty state and a typed error; no got_conn.
TEST_F(Https, UnknownAuthorityIsATypedErrorAndNoConnection) {
  auto transport = make_transport();  // the system store does not know our CA
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", nginx.tls_base_url() + "/hello", hooks));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::tls);
  EXPECT_EQ(response.error().tls_kind(), "unknown_authority");
  EXPECT_EQ(hooks.lines_starting("tls_handshake_done"), (Lines{"tls_handshake_done err=tls"}));
  EXPECT_FALSE(hooks.tls_states().at(0).handshake_complete);
  EXPECT_EQ(hooks.count("got_conn"), 0u);
  EXPECT_EQ(transport->pool_stats().open_conns, 0u);
}

// (i4) https:// to a plain HTTP port.
TEST_F(Https, HttpsToAPlainPortSaysSo) {
  NginxServer plain{NginxOptions{}};
  auto transport = trusting_transport();
  auto response =
      transport->round_trip(*Request::make("GET", "https://127.0.0.1:" + std::to_string(plain.port()) + "/hello"));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::tls);
  EXPECT_EQ(response.error().tls_kind(), "not_tls");
  EXPECT_NE(std::string(response.error().what()).find("plain HTTP"), std::string::npos);
}

// Resumption (on by default, our decision): a second connection resumes the session.
TEST_F(Https, SecondConnectionResumesTheSession) {
  auto options = test_options();
  options.disable_keep_alives = true;
  auto transport = trusting_transport(options);
  HookRecorder hooks;
  for (int i = 0; i < 2; ++i) {
    auto response = transport->round_trip(traced("GET", nginx.tls_base_url() + "/hello", hooks));
    ASSERT_TRUE(response) << response.error().what();
    body_of(*response);
  }
  ASSERT_EQ(hooks.tls_states().size(), 2u);
  EXPECT_FALSE(hooks.tls_states()[0].did_resume);
  EXPECT_TRUE(hooks.tls_states()[1].did_resume);
}

// A server that accepts TCP and never speaks TLS: the handshake timeout, then the context's
// deadline when it comes first.
TEST(HttpsTimeouts, SilentServerTimesOutAtTheHandshakeTimeoutOrTheDeadline) {
  ScriptServer silent([](ServerConn& conn) { conn.wait_for_peer_close(scaled(10s)); });
  std::string url = "https://" + silent.authority() + "/";
  {
    auto options = test_options();
    options.tls_handshake_timeout = 200ms;
    auto transport = make_transport(options);
    HookRecorder hooks;
    auto start = std::chrono::steady_clock::now();
    auto response = transport->round_trip(traced("GET", url, hooks));
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code(), ErrorCode::timeout);
    EXPECT_EQ(std::string(response.error().what()), "net/http: TLS handshake timeout");
    EXPECT_LE(std::chrono::steady_clock::now() - start, 200ms + scaled(250ms));
    EXPECT_EQ(hooks.lines_starting("tls_handshake_done"), (Lines{"tls_handshake_done err=timeout"}));
  }
  {
    auto transport = make_transport();
    auto [ctx, cancel] = with_timeout(background(), 200ms);
    auto start = std::chrono::steady_clock::now();
    auto response = transport->round_trip(Request::make("GET", url)->with_context(ctx));
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code(), ErrorCode::deadline_exceeded);
    EXPECT_LE(std::chrono::steady_clock::now() - start, 200ms + scaled(250ms));
  }
}

// An unreadable CA file fails https requests with a clear error, not the construction.
TEST(HttpsConfig, UnreadableCaFileFailsTheRequest) {
  auto options = test_options();
  options.tls.ca_file = "/nonexistent/ca.pem";
  auto transport = make_transport(options);
  auto response = transport->round_trip(*Request::make("GET", "https://127.0.0.1:1/"));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::tls);
  EXPECT_NE(std::string(response.error().what()).find("/nonexistent/ca.pem"), std::string::npos);
}

}  // namespace
}  // namespace httptrace::testing
