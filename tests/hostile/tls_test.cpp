// bad-inputs.md I54–I56 through the Transport, plus the TLS halves of B18 (a bare FIN ends an
// unframed body), F40 (a silent TLS server) and G46 (https → http drops credentials). Our own
// OpenSSL server (tests/support/tls_server.hpp) plays the peer.
#include "httptrace/transport.hpp"

#include <atomic>
#include <memory>

#include <gtest/gtest.h>

#include "hostile/hostile_fixture.hpp"
#include "support/pki.hpp"
#include "support/tls_server.hpp"

namespace httptrace::testing {
namespace {

class Tls : public Hostile {
 protected:
  static void SetUpTestSuite() { pki_ = std::make_unique<TestPki>(); }
  static void TearDownTestSuite() { pki_.reset(); }
  static TestPki& pki() { return *pki_; }

  // A transport trusting the test CA (or trusting nothing, insecure), where localhost:P is
  // 127.0.0.1.
  static TransportOptions tls_options(uint16_t port, bool insecure = false) {
    TransportOptions options = test_options();
    options.tls.ca_file = pki().ca_cert().string();
    options.tls.insecure_skip_verify = insecure;
    options.resolve_overrides["localhost:" + std::to_string(port)] = {
        *IpAddress::parse("127.0.0.1")};
    return options;
  }

  static std::string https(std::string_view host, uint16_t port, std::string_view path = "/") {
    return "https://" + std::string(host) + ":" + std::to_string(port) + std::string(path);
  }

 private:
  static inline std::unique_ptr<TestPki> pki_;
};

// A TLS server that answers each connection's first request with `reply`; `close_notify`
// decides how it closes. Counts requests that arrived over a completed handshake.
TlsServerOptions server_options(const CertFiles& leaf, int max_version) {
  TlsServerOptions options;
  options.certificate = leaf.chain;
  options.private_key = leaf.key;
  options.max_version = max_version;
  return options;
}

CertSpec dns_only(std::string name, std::string dns_name) {
  CertSpec spec;
  spec.name = std::move(name);
  spec.dns_names = {std::move(dns_name)};
  return spec;
}

struct TlsReplyServer {
  TlsReplyServer(const CertFiles& leaf, std::string reply_bytes, bool close_notify = true,
                 int max_version = 0)
      : context(server_options(leaf, max_version)),
        reply(std::move(reply_bytes)),
        server([this, close_notify](ServerConn& conn) {
          ServerTls tls(context, conn, scaled(5s));
          if (!tls.handshake()) return;
          if (!tls.read_until("\r\n\r\n")) return;
          ++requests;
          (void)tls.write(this->reply);
          if (close_notify) tls.close_notify();
        }) {}

  TlsServerContext context;
  std::string reply;  // may be changed before the first connection
  std::atomic<int> requests{0};
  ScriptServer server;
};

void expect_tls_kind(const Exchange& x, std::string_view kind) {
  EXPECT_ERROR(x, ErrorCode::tls);
  if (const Error* error = x.final_error()) {
    EXPECT_EQ(error->tls_kind(), kind) << error->what();
  }
}

// I54, I56 (mitmproxy = a certificate from another CA). Rejected before any request byte.
TEST_F(Tls, UntrustedOrWrongCertificatesAreRejectedBeforeTheRequest) {
  struct Case {
    std::string name;
    CertFiles leaf;
    std::string host;
    std::string kind;
  };
  const Case cases[] = {
      {"self-signed", pki().self_signed_server(), "127.0.0.1", "unknown_authority"},
      {"other CA (an intercepting proxy)", pki().other_ca_server(), "127.0.0.1",
       "unknown_authority"},
      {"expired", pki().expired_server(), "127.0.0.1", "expired"},
      {"not yet valid", pki().not_yet_valid_server(), "127.0.0.1", "not_yet_valid"},
      {"wrong host", pki().issue(dns_only("wrong-host", "example.com")), "localhost",
       "name_mismatch"},
      {"CN only", pki().cn_only_server("localhost"), "localhost", "name_mismatch"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TlsReplyServer peer(c.leaf, std::string(kOk));
    use_options(tls_options(peer.server.port()));
    Exchange x = exchange(get(https(c.host, peer.server.port())));
    expect_tls_kind(x, c.kind);
    EXPECT_EQ(x.hooks->count("wrote_headers"), 0u);
    EXPECT_EQ(peer.requests.load(), 0);
    expect_consistent_trace(x, Pooling::never);
  }
}

// I55. An IP-literal URL needs an IP SAN; a DNS SAN for "localhost" does not do.
TEST_F(Tls, IpUrlNeedsAnIpSubjectAltName) {
  TlsReplyServer peer(pki().issue(dns_only("dns-only", "localhost")), std::string(kOk));
  use_options(tls_options(peer.server.port()));
  Exchange x = exchange(get(https("127.0.0.1", peer.server.port())));
  expect_tls_kind(x, "name_mismatch");
}

// I55. SNI is the URL's host name; none for an IP literal.
TEST_F(Tls, SniIsTheUrlHostAndAbsentForIpLiterals) {
  TlsReplyServer peer(pki().localhost_server(), std::string(kOk));
  use_options(tls_options(peer.server.port()));
  for (auto [host, sni] :
       {std::pair<std::string, std::string>{"localhost", "localhost"}, {"127.0.0.1", ""}}) {
    SCOPED_TRACE(host);
    Exchange x = exchange(get(https(host, peer.server.port())));
    ASSERT_TRUE(x.response) << x.describe();
    ASSERT_NE(x.response->tls(), nullptr);
    EXPECT_EQ(x.response->tls()->server_name, sni);
  }
}

// I55. TLS 1.2 is the floor: a server offering only 1.0/1.1 is refused.
TEST_F(Tls, ServerWithOnlyOldVersionsIsRefused) {
  TlsReplyServer peer(pki().localhost_server(), std::string(kOk), true, TLS1_1_VERSION);
  SSL_CTX_set_security_level(peer.context.get(), 0);  // let the server offer TLS 1.0/1.1 at all
  TransportOptions options = tls_options(peer.server.port());
  options.tls.min_version = 0x0301;  // asking for less does not lower the floor
  use_options(options);
  Exchange x = exchange(get(https("127.0.0.1", peer.server.port())));
  expect_tls_kind(x, "protocol_version");
  EXPECT_EQ(peer.requests.load(), 0);
}

// I56. An insecure transport and a verifying one never share: the verifying one still
// rejects the certificate the insecure one accepted.
TEST_F(Tls, InsecureAndVerifyingRequestsNeverShareAConnection) {
  TlsReplyServer peer(pki().self_signed_server("self-signed-shared"), std::string(kOk));
  auto insecure = make_transport(tls_options(peer.server.port(), true));
  Exchange lax = exchange_on(*insecure, get(https("127.0.0.1", peer.server.port())));
  ASSERT_TRUE(lax.response) << lax.describe();
  EXPECT_EQ(lax.body, "ok");
  use_options(tls_options(peer.server.port()));
  Exchange strict = exchange(get(https("127.0.0.1", peer.server.port())));
  expect_tls_kind(strict, "unknown_authority");
  insecure->close_idle_connections();
}

// B18 over TLS: an unframed body ends complete only with close_notify; a bare FIN is a
// truncation, never a short success.
TEST_F(Tls, UnframedBodyNeedsCloseNotify) {
  for (bool close_notify : {true, false}) {
    SCOPED_TRACE(close_notify ? "close_notify" : "bare FIN");
    TlsReplyServer peer(pki().localhost_server(), "HTTP/1.1 200 OK\r\n\r\nabc", close_notify);
    use_options(tls_options(peer.server.port()));
    Exchange x = exchange(get(https("127.0.0.1", peer.server.port())));
    ASSERT_TRUE(x.response) << x.describe();
    EXPECT_EQ(x.body, "abc");
    if (close_notify) {
      EXPECT_TRUE(x.body_eof) << x.describe();
    } else {
      EXPECT_ERROR(x, ErrorCode::body_truncated);
    }
    expect_consistent_trace(x, Pooling::never);
  }
}

// F40, TLS half: a server that accepts TCP and never speaks hits the handshake timeout.
TEST_F(Tls, SilentServerHitsTheHandshakeTimeout) {
  ScriptServer server([](ServerConn& conn) { conn.wait_for_peer_close(scaled(5s)); });
  TransportOptions options = tls_options(server.port());
  options.tls_handshake_timeout = 300ms;
  use_options(options);
  Exchange x = exchange(get(https("127.0.0.1", server.port())));
  EXPECT_ERROR(x, ErrorCode::timeout);
  ASSERT_TRUE(x.error);
  EXPECT_EQ(x.error->op(), "tls handshake");
  EXPECT_NE(x.error->message().find("TLS handshake timeout"), std::string::npos) << x.error->what();
  EXPECT_LE(x.elapsed, 300ms + kDeadlineSlack);
  expect_consistent_trace(x, Pooling::never);
}

// G46, https → http on the same host and port: the origin changed, credentials go.
TEST_F(Tls, DowngradeRedirectDropsCredentials) {
  TlsReplyServer redirecting(pki().localhost_server(), "");
  redirecting.reply = "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:" +
                      std::to_string(redirecting.server.port()) +
                      "/next\r\nContent-Length: 0\r\n\r\n";
  use_options(tls_options(redirecting.server.port()));
  std::optional<bool> authorization;
  ClientOptions client_options;
  client_options.transport = transport;
  client_options.check_redirect =
      [&authorization](const Request& next, std::span<const Request>) -> std::optional<Error> {
    authorization = next.header().has("Authorization") || next.header().has("Cookie");
    return use_last_response();
  };
  Client client(client_options);
  Request request = get(https("127.0.0.1", redirecting.server.port()));
  request.header().set("Authorization", "Bearer token");
  request.header().set("Cookie", "session=1");
  Exchange x = send_on(client, request);
  ASSERT_TRUE(x.response) << x.describe();
  ASSERT_TRUE(authorization);
  EXPECT_FALSE(*authorization);
}

}  // namespace
}  // namespace httptrace::testing
