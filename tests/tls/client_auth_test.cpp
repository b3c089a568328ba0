#include "tls/tls_stream.hpp"

#include <gtest/gtest.h>

#include <atomic>

#include "support/script_server.hpp"
#include "support/tls_server.hpp"
#include "tls/tls_test_base.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;

// Servers that request a client certificate and refuse the handshake without one — what nginx
// does not do (it completes the handshake and answers 400).
class ClientAuth : public TlsTest {
 protected:
  void start(int max_version, bool required, int tickets = 2) {
    leaf_ = pki().localhost_server();
    TlsServerOptions options;
    options.certificate = leaf_.chain;
    options.private_key = leaf_.key;
    options.max_version = max_version;
    options.client_ca = pki().ca_cert();
    options.require_client_certificate = required;
    options.tickets = tickets;
    context_ = std::make_unique<TlsServerContext>(options);
    server_ = std::make_unique<ScriptServer>([this](ServerConn& conn) {
      ServerTls tls(*context_, conn);
      if (!tls.handshake()) return;
      if (tls.client_certificate_verified()) verified_clients_.fetch_add(1);
      if (!tls.read_until("\r\n\r\n")) return;
      (void)tls.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
      tls.close_notify();
    });
  }

  TlsOptions with_client_certificate(const CertFiles& client) {
    TlsOptions options = trusting_test_ca();
    options.cert_file = client.cert.string();
    options.key_file = client.key.string();
    return options;
  }

  CertFiles leaf_;
  std::unique_ptr<TlsServerContext> context_;
  std::unique_ptr<ScriptServer> server_;
  std::atomic<int> verified_clients_{0};
};

// TLS 1.3 servers refuse after the client's Finished: handshake() waits for that verdict.
TEST_F(ClientAuth, Tls13ServerRefusingAMissingCertificateFailsTheHandshake) {
  start(TLS1_3_VERSION, true);
  auto stream = connect(server_->port(), *make_config(trusting_test_ca()), "localhost");
  expect_tls_failure(stream, "certificate_required", "the server requires a client certificate");
}

TEST_F(ClientAuth, Tls12ServerRefusingAMissingCertificateFailsTheHandshake) {
  start(TLS1_2_VERSION, true);
  auto stream = connect(server_->port(), *make_config(trusting_test_ca()), "localhost");
  expect_tls_failure(stream, "certificate_required", "the server requires a client certificate");
}

TEST_F(ClientAuth, Tls13ClientCertificateIsAcceptedAndDataFlows) {
  start(TLS1_3_VERSION, true);
  auto stream =
      connect(server_->port(), *make_config(with_client_certificate(pki().client())), "localhost");
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  EXPECT_EQ(http_get(**stream, "/").body, "ok\n");
  EXPECT_EQ(verified_clients_.load(), 1);
}

TEST_F(ClientAuth, Tls12ClientCertificateIsAcceptedAndDataFlows) {
  start(TLS1_2_VERSION, true);
  auto stream =
      connect(server_->port(), *make_config(with_client_certificate(pki().client())), "localhost");
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  EXPECT_EQ((*stream)->tls()->version, 0x0303);
  EXPECT_EQ(http_get(**stream, "/").body, "ok\n");
  EXPECT_EQ(verified_clients_.load(), 1);
}

TEST_F(ClientAuth, CertificateFromAnotherAuthorityIsRejectedByTheServer) {
  start(TLS1_3_VERSION, true);
  CertSpec spec;
  spec.name = "foreign-client";
  spec.dns_names = {"foreign-client"};
  spec.purpose = CertPurpose::client;
  spec.issuer = CertIssuer::other_ca;
  auto stream = connect(server_->port(), *make_config(with_client_certificate(pki().issue(spec))),
                        "localhost");
  expect_tls_failure(stream, "handshake", "the server rejected the client certificate");
}

// A server that merely asks (optional) and sends no tickets leaves the verdict open: the
// handshake succeeds once the verdict window passes in silence.
TEST_F(ClientAuth, OptionalCertificateRequestWithoutTicketsStillSucceeds) {
  start(TLS1_3_VERSION, false, 0);
  auto stream = connect(server_->port(), *make_config(trusting_test_ca()), "localhost");
  ASSERT_TRUE(stream.has_value()) << stream.error().message();
  EXPECT_EQ(http_get(**stream, "/").body, "ok\n");
  EXPECT_EQ(verified_clients_.load(), 0);
}

}  // namespace
}  // namespace httptrace::testing
