#include "support/nginx.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "support/http_wire.hpp"
#include "support/loopback.hpp"
#include "support/pki.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;

struct TlsClientOptions {
  std::filesystem::path trust;
  std::string host = "localhost";
  std::string alpn;  // wire format, e.g. "\x02h2\x08http/1.1"
  std::optional<CertFiles> client_cert;
};

// A blocking OpenSSL client over one loopback connection: enough to prove what nginx offers.
class TlsClient {
 public:
  TlsClient(std::uint16_t port, const TlsClientOptions& options) {
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_load_verify_locations(ctx_.get(), options.trust.c_str(), nullptr) != 1) {
      throw std::runtime_error("cannot load " + options.trust.string());
    }
    if (options.client_cert) {
      SSL_CTX_use_certificate_chain_file(ctx_.get(), options.client_cert->chain.c_str());
      SSL_CTX_use_PrivateKey_file(ctx_.get(), options.client_cert->key.c_str(), SSL_FILETYPE_PEM);
    }
    auto fd = connect_loopback(Loopback::ipv4, port, scaled(5000ms));
    if (!fd) throw std::runtime_error("connect: " + errno_text(fd.error()));
    fd_ = std::move(*fd);
    ssl_.reset(SSL_new(ctx_.get()));
    SSL_set_fd(ssl_.get(), fd_.get());
    SSL_set_tlsext_host_name(ssl_.get(), options.host.c_str());
    SSL_set1_host(ssl_.get(), options.host.c_str());
    if (!options.alpn.empty()) {
      SSL_set_alpn_protos(ssl_.get(), reinterpret_cast<const unsigned char*>(options.alpn.data()),
                          static_cast<unsigned>(options.alpn.size()));
    }
    handshake_ok_ = SSL_connect(ssl_.get()) == 1;
    ERR_clear_error();
  }

  bool handshake_ok() const { return handshake_ok_; }
  long verify_result() const { return SSL_get_verify_result(ssl_.get()); }
  std::string alpn() const {
    const unsigned char* data = nullptr;
    unsigned length = 0;
    SSL_get0_alpn_selected(ssl_.get(), &data, &length);
    return std::string(reinterpret_cast<const char*>(data), length);
  }
  std::string version() const { return SSL_get_version(ssl_.get()); }

  // One request, then reads until a whole response has arrived.
  std::optional<RawResponse> get(std::string_view path) {
    const std::string request = "GET " + std::string(path) + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    if (SSL_write(ssl_.get(), request.data(), static_cast<int>(request.size())) <= 0)
      return std::nullopt;
    std::string received;
    for (;;) {
      const auto head = parse_response_head(received, "GET");
      if (head.status == ParseStatus::complete) {
        const auto body =
            parse_body(head.value.framing, std::string_view(received).substr(head.consumed), false);
        if (body.status == ParseStatus::complete) {
          RawResponse response = head.value;
          response.body = body.value.body;
          return response;
        }
      }
      char buffer[16384];
      const int n = SSL_read(ssl_.get(), buffer, sizeof buffer);
      if (n <= 0) return std::nullopt;
      received.append(buffer, static_cast<std::size_t>(n));
    }
  }

 private:
  struct CtxFree {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
  };
  struct SslFree {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
  };
  std::unique_ptr<SSL_CTX, CtxFree> ctx_;
  UniqueFd fd_;
  std::unique_ptr<SSL, SslFree> ssl_;  // freed before fd_ closes (declared after)
  bool handshake_ok_ = false;
};

class NginxTls : public ::testing::Test {
 protected:
  NginxOptions tls_options(bool http2 = false) {
    NginxOptions options;
    options.tls = NginxTlsOptions{};
    options.tls->certificate = leaf_.chain;
    options.tls->private_key = leaf_.key;
    options.tls->http2 = http2;
    return options;
  }
  TlsClientOptions client_options() {
    TlsClientOptions options;
    options.trust = pki_.ca_cert();
    return options;
  }

  TestPki pki_;
  CertFiles leaf_ = pki_.localhost_server();
};

TEST_F(NginxTls, HandshakeVerifiesAgainstTheTestCa) {
  NginxServer nginx(tls_options());
  EXPECT_EQ(nginx.tls_base_url(), "https://127.0.0.1:" + std::to_string(nginx.tls_port()));
  TlsClient client(nginx.tls_port(), client_options());
  ASSERT_TRUE(client.handshake_ok());
  EXPECT_EQ(client.verify_result(), X509_V_OK);
  const auto response = client.get("/hello");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello world\n");
}

TEST_F(NginxTls, RedirectAbsUsesHttpsAndTheTlsPort) {
  NginxServer nginx(tls_options());
  TlsClient client(nginx.tls_port(), client_options());
  const auto response = client.get("/redirect-abs");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->header("Location"), nginx.tls_base_url() + "/hello");
}

TEST_F(NginxTls, HandshakeFailsWhenTheClientTrustsAnotherCa) {
  NginxServer nginx(tls_options());
  TlsClientOptions options = client_options();
  options.trust = pki_.other_ca_cert();
  TlsClient client(nginx.tls_port(), options);
  EXPECT_FALSE(client.handshake_ok());
  // The chain file sends the issuing CA along, so the verifier meets an untrusted root.
  EXPECT_EQ(client.verify_result(), X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
}

TEST_F(NginxTls, Http2OffersH2ThroughAlpn) {
  NginxServer nginx(tls_options(true));
  TlsClientOptions options = client_options();
  options.alpn = std::string("\x02h2\x08http/1.1", 12);
  TlsClient client(nginx.tls_port(), options);
  ASSERT_TRUE(client.handshake_ok());
  EXPECT_EQ(client.alpn(), "h2");
}

TEST_F(NginxTls, WithoutHttp2AlpnSelectsHttp11) {
  NginxServer nginx(tls_options(false));
  TlsClientOptions options = client_options();
  options.alpn = std::string("\x02h2\x08http/1.1", 12);
  TlsClient client(nginx.tls_port(), options);
  ASSERT_TRUE(client.handshake_ok());
  EXPECT_EQ(client.alpn(), "http/1.1");
}

TEST_F(NginxTls, ProtocolsAreConfigurable) {
  NginxOptions options = tls_options();
  options.tls->protocols = "TLSv1.2";
  NginxServer nginx(options);
  TlsClient client(nginx.tls_port(), client_options());
  ASSERT_TRUE(client.handshake_ok());
  EXPECT_EQ(client.version(), "TLSv1.2");
}

TEST_F(NginxTls, RequiredClientCertificateRejectsAnonymousRequests) {
  NginxOptions options = tls_options();
  options.tls->client_certs = NginxTlsOptions::ClientCerts::required;
  options.tls->client_ca = pki_.ca_cert();
  NginxServer nginx(options);

  TlsClient anonymous(nginx.tls_port(), client_options());
  const auto refused = anonymous.get("/hello");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 400);  // "No required SSL certificate was sent"

  TlsClientOptions with_cert = client_options();
  with_cert.client_cert = pki_.client();
  TlsClient authenticated(nginx.tls_port(), with_cert);
  ASSERT_TRUE(authenticated.handshake_ok());
  const auto accepted = authenticated.get("/hello");
  ASSERT_TRUE(accepted.has_value());
  EXPECT_EQ(accepted->status, 200);
}

TEST_F(NginxTls, OptionalClientCertificateLetsAnonymousRequestsThrough) {
  NginxOptions options = tls_options();
  options.tls->client_certs = NginxTlsOptions::ClientCerts::optional;
  options.tls->client_ca = pki_.ca_cert();
  NginxServer nginx(options);
  TlsClient anonymous(nginx.tls_port(), client_options());
  const auto response = anonymous.get("/hello");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
}

TEST_F(NginxTls, PlainAndTlsListenersRunSideBySide) {
  NginxOptions options = tls_options();
  NginxServer nginx(options);
  EXPECT_NE(nginx.port(), 0);
  EXPECT_NE(nginx.tls_port(), 0);
  EXPECT_NE(nginx.port(), nginx.tls_port());
}

TEST_F(NginxTls, TlsWithoutCertificateIsRejected) {
  NginxOptions options;
  options.tls = NginxTlsOptions{};
  EXPECT_THROW(NginxServer{options}, std::invalid_argument);
}

}  // namespace
}  // namespace httptrace::testing
