#include "tls/tls_stream.hpp"

#include <gtest/gtest.h>

#include "support/script_server.hpp"
#include "tls/tls_test_base.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;

class TlsHandshake : public TlsTest {};

bool iana_style(const std::string& name) {
  return name.rfind("TLS_", 0) == 0 && name.find('-') == std::string::npos;
}

// trace-semantics §5 (i1): the full state, ALPN http/1.1, data both ways.
TEST_F(TlsHandshake, TrustedServerReportsTheFullStateAndCarriesHttp) {
  const CertFiles leaf = pki().localhost_server();
  auto nginx = start_nginx(leaf);
  auto config = make_config(trusting_test_ca(), {"h2", "http/1.1"});

  auto stream = connect(nginx->tls_port(), *config, "localhost");
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  const TLSConnectionState* state = (*stream)->tls();
  ASSERT_NE(state, nullptr);
  EXPECT_TRUE(state->handshake_complete);
  EXPECT_EQ(state->version, 0x0304);
  EXPECT_EQ(state->version_name, "TLS 1.3");
  EXPECT_NE(state->cipher_suite, 0);
  EXPECT_TRUE(iana_style(state->cipher_suite_name)) << state->cipher_suite_name;
  EXPECT_EQ(state->server_name, "localhost");
  EXPECT_EQ(state->negotiated_protocol, "http/1.1");
  EXPECT_FALSE(state->did_resume);
  // nginx sends the chain file: the leaf, then the CA.
  ASSERT_EQ(state->peer_certificates.size(), 2u);
  ASSERT_EQ(state->verified_chains.size(), 1u);
  ASSERT_EQ(state->verified_chains[0].size(), 2u);
  EXPECT_EQ(state->verified_chains[0][0], state->peer_certificates[0]);
  EXPECT_EQ((*stream)->shared_tls().get(), state);

  EXPECT_EQ(log.events(), (std::vector<std::string>{"start", "done ok"}));
  const auto dones = log.dones();
  ASSERT_EQ(dones.size(), 1u);
  EXPECT_EQ(dones[0].state.cipher_suite_name, state->cipher_suite_name);
  EXPECT_EQ(dones[0].state.peer_certificates, state->peer_certificates);
  EXPECT_EQ(dones[0].thread, std::this_thread::get_id());
  EXPECT_EQ(log.start_threads(), std::vector<std::thread::id>{std::this_thread::get_id()});

  const HttpReply reply = http_get(**stream, "/sni");
  EXPECT_EQ(reply.head.rfind("HTTP/1.1 200", 0), 0u) << reply.head;
  EXPECT_EQ(reply.body, "sni=localhost\n");
  EXPECT_EQ(http_get(**stream, "/hello").body, "hello world\n");
}

TEST_F(TlsHandshake, WithoutAlpnNoProtocolIsNegotiated) {
  auto nginx = start_nginx(pki().localhost_server());
  auto stream = connect(nginx->tls_port(), *make_config(trusting_test_ca()), "localhost");
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  EXPECT_EQ((*stream)->tls()->negotiated_protocol, "");
}

TEST_F(TlsHandshake, Http2ServerNegotiatesH2WhenOffered) {
  const CertFiles leaf = pki().localhost_server();
  NginxOptions options;
  options.tls = NginxTlsOptions{};
  options.tls->certificate = leaf.chain;
  options.tls->private_key = leaf.key;
  options.tls->http2 = true;
  NginxServer nginx(options);
  auto stream =
      connect(nginx.tls_port(), *make_config(trusting_test_ca(), {"h2", "http/1.1"}), "localhost");
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  EXPECT_EQ((*stream)->tls()->negotiated_protocol, "h2");
}

// bad-inputs I54 and trace-semantics §5 (i3).
TEST_F(TlsHandshake, CertificateFromAnUnknownAuthorityIsRejected) {
  auto nginx = start_nginx(pki().other_ca_server());
  auto stream = connect(nginx->tls_port(), *make_config(trusting_test_ca()), "localhost");
  expect_tls_failure(stream, "unknown_authority", "x509: certificate signed by unknown authority");
}

TEST_F(TlsHandshake, SelfSignedCertificateIsAnUnknownAuthority) {
  auto nginx = start_nginx(pki().self_signed_server());
  auto stream = connect(nginx->tls_port(), *make_config(trusting_test_ca()), "localhost");
  expect_tls_failure(stream, "unknown_authority", "x509: certificate signed by unknown authority");
}

TEST_F(TlsHandshake, SystemTrustStoreDoesNotTrustTheTestCa) {
  auto nginx = start_nginx(pki().localhost_server());
  auto stream = connect(nginx->tls_port(), *make_config(TlsOptions{}), "localhost");
  expect_tls_failure(stream, "unknown_authority", "x509: certificate signed by unknown authority");
}

TEST_F(TlsHandshake, WrongHostNameIsANameMismatch) {
  auto nginx = start_nginx(pki().localhost_server());
  auto stream = connect(nginx->tls_port(), *make_config(trusting_test_ca()), "b.test");
  expect_tls_failure(stream, "name_mismatch",
                     "x509: certificate is valid for localhost, not b.test");
}

TEST_F(TlsHandshake, ExpiredCertificateIsRejected) {
  auto nginx = start_nginx(pki().expired_server());
  auto stream = connect(nginx->tls_port(), *make_config(trusting_test_ca()), "localhost");
  expect_tls_failure(stream, "expired", "x509: certificate has expired: current time ");
}

TEST_F(TlsHandshake, NotYetValidCertificateIsRejected) {
  auto nginx = start_nginx(pki().not_yet_valid_server());
  auto stream = connect(nginx->tls_port(), *make_config(trusting_test_ca()), "localhost");
  expect_tls_failure(stream, "not_yet_valid", "x509: certificate is not yet valid");
}

// Go ignores the Common Name since 1.15; so do we (X509_CHECK_FLAG_NEVER_CHECK_SUBJECT).
TEST_F(TlsHandshake, CommonNameOnlyCertificateIsANameMismatch) {
  auto nginx = start_nginx(pki().cn_only_server("localhost"));
  auto stream = connect(nginx->tls_port(), *make_config(trusting_test_ca()), "localhost");
  expect_tls_failure(stream, "name_mismatch",
                     "x509: certificate relies on legacy Common Name field, use SANs instead");
}

// bad-inputs I55: no SNI for IP literals; an IP URL needs an IP SAN.
TEST_F(TlsHandshake, IpLiteralSendsNoSniAndIsVerifiedAgainstTheIpSan) {
  auto nginx = start_nginx(pki().localhost_server());
  auto stream = connect(nginx->tls_port(), *make_config(trusting_test_ca()), "127.0.0.1");
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  EXPECT_EQ((*stream)->tls()->server_name, "");
  EXPECT_EQ(log.dones().at(0).state.server_name, "");
  EXPECT_EQ(http_get(**stream, "/sni", "127.0.0.1").body, "sni=\n");
}

TEST_F(TlsHandshake, Ipv6LiteralIsVerifiedAgainstTheIpSan) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback";
  const CertFiles leaf = pki().localhost_server();
  NginxOptions options;
  options.ipv6 = true;
  options.tls = NginxTlsOptions{};
  options.tls->certificate = leaf.chain;
  options.tls->private_key = leaf.key;
  NginxServer nginx(options);
  const ClientTrace trace = log.trace();
  auto stream = tls::handshake(
      connect_tcp(nginx.tls_port(), Loopback::ipv6), *make_config(trusting_test_ca()),
      tls::HandshakeParams{"[::1]", nginx.tls_port()}, background(), &trace);
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  EXPECT_EQ((*stream)->tls()->server_name, "");
}

TEST_F(TlsHandshake, IpLiteralMissingFromTheSansIsANameMismatch) {
  auto nginx = start_nginx(pki().localhost_server());
  // The socket goes to 127.0.0.1; the URL said 127.0.0.2.
  auto stream = connect(nginx->tls_port(), *make_config(trusting_test_ca()), "127.0.0.2");
  expect_tls_failure(stream, "name_mismatch",
                     "x509: certificate is valid for 127.0.0.1, ::1, not 127.0.0.2");
}

TEST_F(TlsHandshake, CertificateWithoutIpSansCannotServeAnIpLiteral) {
  CertSpec spec;
  spec.name = "dns-only";
  spec.dns_names = {"localhost"};
  auto nginx = start_nginx(pki().issue(spec));
  auto stream = connect(nginx->tls_port(), *make_config(trusting_test_ca()), "127.0.0.1");
  expect_tls_failure(stream, "name_mismatch", "doesn't contain any IP SANs");
}

TEST_F(TlsHandshake, WildcardCoversOneLabelButPartialWildcardsMatchNothing) {
  CertSpec spec;
  spec.name = "wildcards";
  spec.dns_names = {"*.wild.test", "x*.partial.test"};
  auto nginx = start_nginx(pki().issue(spec));
  auto config = make_config(trusting_test_ca());

  auto wild = connect(nginx->tls_port(), *config, "a.wild.test");
  EXPECT_TRUE(wild.has_value()) << wild.error().message();

  log.clear();
  auto partial = connect(nginx->tls_port(), *config, "xy.partial.test");
  expect_tls_failure(partial, "name_mismatch", "not xy.partial.test");
}

TEST_F(TlsHandshake, ServerNameOverrideReplacesSniAndTheVerifiedName) {
  CertSpec spec;
  spec.name = "override";
  spec.dns_names = {"override.test"};
  auto nginx = start_nginx(pki().issue(spec));
  TlsOptions options = trusting_test_ca();
  options.server_name = "override.test";
  auto stream = connect(nginx->tls_port(), *make_config(options), "127.0.0.1");
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  EXPECT_EQ((*stream)->tls()->server_name, "override.test");
  EXPECT_EQ(http_get(**stream, "/sni", "127.0.0.1").body, "sni=override.test\n");
}

TEST_F(TlsHandshake, InsecureSkipVerifyAcceptsAnyCertificateAndReportsNoVerifiedChain) {
  auto nginx = start_nginx(pki().other_ca_server());
  TlsOptions options;
  options.insecure_skip_verify = true;
  auto stream = connect(nginx->tls_port(), *make_config(options), "wrong.test");
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  EXPECT_FALSE((*stream)->tls()->peer_certificates.empty());
  EXPECT_TRUE((*stream)->tls()->verified_chains.empty());
  EXPECT_EQ(http_get(**stream, "/hello").body, "hello world\n");
}

// bad-inputs I56: the insecure config never weakens a verifying one.
TEST_F(TlsHandshake, VerifyingConfigStillRejectsAfterAnInsecureOneConnected) {
  auto nginx = start_nginx(pki().other_ca_server());
  TlsOptions insecure = trusting_test_ca();
  insecure.insecure_skip_verify = true;
  auto insecure_config = make_config(insecure);
  auto verifying_config = make_config(trusting_test_ca());
  EXPECT_NE(insecure_config->identity(), verifying_config->identity());

  auto first = connect(nginx->tls_port(), *insecure_config, "localhost");
  ASSERT_TRUE(first.has_value()) << first.error().message();
  EXPECT_EQ(http_get(**first, "/hello").body, "hello world\n");  // tickets arrive
  log.clear();
  auto second = connect(nginx->tls_port(), *verifying_config, "localhost");
  expect_tls_failure(second, "unknown_authority", "x509: certificate signed by unknown authority");
}

TEST_F(TlsHandshake, Tls12OnlyServerIsReportedAsTls12) {
  auto nginx = start_nginx(pki().localhost_server(), "TLSv1.2");
  auto stream =
      connect(nginx->tls_port(), *make_config(trusting_test_ca(), {"http/1.1"}), "localhost");
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  EXPECT_EQ((*stream)->tls()->version, 0x0303);
  EXPECT_EQ((*stream)->tls()->version_name, "TLS 1.2");
  // TLS 1.2 suites carry the key exchange in their IANA name.
  EXPECT_EQ((*stream)->tls()->cipher_suite_name.rfind("TLS_ECDHE_ECDSA_WITH_", 0), 0u)
      << (*stream)->tls()->cipher_suite_name;
  EXPECT_EQ((*stream)->tls()->negotiated_protocol, "http/1.1");
  EXPECT_EQ(http_get(**stream, "/hello").body, "hello world\n");
}

TEST_F(TlsHandshake, Tls13OnlyServerIsReportedAsTls13) {
  auto nginx = start_nginx(pki().localhost_server(), "TLSv1.3");
  auto stream = connect(nginx->tls_port(), *make_config(trusting_test_ca()), "localhost");
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  EXPECT_EQ((*stream)->tls()->version, 0x0304);
  EXPECT_EQ(http_get(**stream, "/hello").body, "hello world\n");
}

TEST_F(TlsHandshake, MinimumTls13AgainstATls12OnlyServerIsAProtocolVersionError) {
  auto nginx = start_nginx(pki().localhost_server(), "TLSv1.2");
  TlsOptions options = trusting_test_ca();
  options.min_version = 0x0304;
  auto stream = connect(nginx->tls_port(), *make_config(options), "localhost");
  expect_tls_failure(stream, "protocol_version", "this client allows TLS 1.3 and up");
}

TEST_F(TlsHandshake, MaximumTls12AgainstATls13OnlyServerIsAProtocolVersionError) {
  auto nginx = start_nginx(pki().localhost_server(), "TLSv1.3");
  TlsOptions options = trusting_test_ca();
  options.max_version = 0x0303;
  auto stream = connect(nginx->tls_port(), *make_config(options), "localhost");
  expect_tls_failure(stream, "protocol_version", "this client allows TLS 1.2 only");
}

// bad-inputs I55: TLS 1.2 is the floor even when asked for less. SECLEVEL=0 lets nginx's
// OpenSSL really offer TLS 1.0 and 1.1.
TEST_F(TlsHandshake, ServerOfferingOnlyTls11IsAProtocolVersionErrorEvenWhenTls10IsAllowed) {
  auto nginx =
      start_nginx(pki().localhost_server(), "TLSv1 TLSv1.1", "ssl_ciphers DEFAULT@SECLEVEL=0;\n");
  TlsOptions options = trusting_test_ca();
  options.min_version = 0x0301;
  auto config = make_config(options);
  EXPECT_EQ(config->min_version(), 0x0303);
  auto stream = connect(nginx->tls_port(), *config, "localhost");
  expect_tls_failure(stream, "protocol_version", "no TLS version in common");
}

TEST_F(TlsHandshake, ClientCertificateIsPresentedWhenTheServerRequiresOne) {
  const CertFiles leaf = pki().localhost_server();
  const CertFiles client = pki().client();
  NginxOptions options;
  options.tls = NginxTlsOptions{};
  options.tls->certificate = leaf.chain;
  options.tls->private_key = leaf.key;
  options.tls->client_certs = NginxTlsOptions::ClientCerts::required;
  options.tls->client_ca = pki().ca_cert();
  NginxServer nginx(options);
  TlsOptions tls_options = trusting_test_ca();
  tls_options.cert_file = client.chain.string();
  tls_options.key_file = client.key.string();
  auto stream = connect(nginx.tls_port(), *make_config(tls_options), "localhost");
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  // nginx answers 400 "No required SSL certificate was sent" when none came.
  const HttpReply reply = http_get(**stream, "/hello");
  EXPECT_EQ(reply.head.rfind("HTTP/1.1 200", 0), 0u) << reply.head;
}

// trace-semantics §5 (i4): https:// to a plain-HTTP port.
TEST_F(TlsHandshake, PlainHttpPortIsNotTls) {
  auto nginx = start_nginx(pki().localhost_server());
  auto stream = connect(nginx->port(), *make_config(trusting_test_ca()), "localhost");
  expect_tls_failure(stream, "not_tls",
                     "server answered plain HTTP to a TLS handshake (http:// URL?)");
}

TEST_F(TlsHandshake, ServerSpeakingAnotherProtocolIsNotTls) {
  ScriptServer server([](ServerConn& conn) {
    (void)conn.write("SSH-2.0-OpenSSH_9.2\r\n");
    conn.wait_for_peer_close(std::chrono::seconds(10));
  });
  auto stream = connect(server.port(), *make_config(trusting_test_ca()), "localhost");
  expect_tls_failure(stream, "not_tls", "tls: first record does not look like a TLS handshake");
}

TEST_F(TlsHandshake, ServerClosingDuringTheHandshakeIsAHandshakeError) {
  ScriptServer server([](ServerConn& conn) {
    (void)conn.read_some();
    conn.close();
  });
  auto stream = connect(server.port(), *make_config(trusting_test_ca()), "localhost");
  expect_tls_failure(stream, "handshake", "closed the connection during the handshake");
}

TEST_F(TlsHandshake, ServerResettingDuringTheHandshakeReportsTheReset) {
  ScriptServer server([](ServerConn& conn) {
    (void)conn.read_some();
    conn.reset();
  });
  auto stream = connect(server.port(), *make_config(trusting_test_ca()), "localhost");
  ASSERT_FALSE(stream.has_value());
  EXPECT_EQ(stream.error().code(), ErrorCode::connection_reset) << stream.error().message();
  EXPECT_EQ(stream.error().op(), "tls handshake");
  EXPECT_NE(stream.error().message().find("reset by peer"), std::string::npos)
      << stream.error().message();
  expect_failed_hooks(stream.error());
}

TEST_F(TlsHandshake, EmptyHostIsAProgrammingError) {
  auto nginx = start_nginx(pki().localhost_server());
  EXPECT_THROW((void)connect(nginx->tls_port(), *make_config(trusting_test_ca()), ""),
               std::invalid_argument);
  EXPECT_TRUE(log.events().empty());
}

}  // namespace
}  // namespace httptrace::testing
