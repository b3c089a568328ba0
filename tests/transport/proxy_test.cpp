// Proxies through the Transport (the proxies issue's done-when): tinyproxy on loopback with and
// without Basic auth, and scripted proxies for what tinyproxy will not do; trace-semantics §5
// (j1), (j2) and bad-inputs H. Tests choose the proxy explicitly: the environment's rules
// never proxy loopback targets.
#include "httptrace/transport.hpp"

#include <mutex>

#include <openssl/ssl.h>

#include <gtest/gtest.h>

#include "support/nginx.hpp"
#include "support/pki.hpp"
#include "support/script_server.hpp"
#include "support/tinyproxy.hpp"
#include "support/tls_server.hpp"
#include "transport/fixture.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

std::shared_ptr<Transport> via(const std::string& proxy, TransportOptions options = test_options()) {
  options.proxy = proxy_url(*Url::parse(proxy));
  return make_transport(std::move(options));
}

class Proxy : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Tinyproxy::available()) GTEST_SKIP() << "tinyproxy is not installed";
  }
};

// (j1) Plain http through the proxy: get_conn and got_conn name the proxy, the
// Proxy-Authorization from the proxy URL goes last.
TEST_F(Proxy, HttpThroughTheProxyIsForwarded) {
  Tinyproxy proxy({std::pair{std::string("user"), std::string("pw")}});
  NginxServer nginx{NginxOptions{}};
  auto transport = via(proxy.url());
  const std::string proxy_authority = "127.0.0.1:" + std::to_string(proxy.port());
  HookRecorder hooks;
  auto r1 = transport->round_trip(traced("GET", nginx.base_url() + "/hello", hooks));
  ASSERT_TRUE(r1) << r1.error().what() << "\n" << proxy.log();
  EXPECT_EQ(body_of(*r1), "hello world\n");
  EXPECT_EQ(hooks.lines_starting("get_conn"), (Lines{"get_conn " + proxy_authority}));
  EXPECT_EQ(hooks.remote_addrs().at(0), proxy_authority);
  EXPECT_EQ(hooks.lines_starting("wrote_header_field"),
            (Lines{"wrote_header_field Host=[127.0.0.1:" + std::to_string(nginx.port()) + "]",
                   "wrote_header_field User-Agent=[httptrace/0.1]", "wrote_header_field Accept-Encoding=[gzip]",
                   "wrote_header_field Proxy-Authorization=[Basic dXNlcjpwdw==]"}));
}

// (j2) https through the proxy: CONNECT (untraced), then TLS to the target; got_conn names the
// proxy.
TEST_F(Proxy, HttpsGoesThroughAConnectTunnel) {
  Tinyproxy proxy({std::pair{std::string("user"), std::string("pw")}});
  TestPki pki;
  CertFiles leaf = pki.localhost_server();
  NginxOptions options;
  options.tls = NginxTlsOptions{};
  options.tls->certificate = leaf.chain;
  options.tls->private_key = leaf.key;
  NginxServer nginx{options};
  auto transport_options = test_options();
  transport_options.tls.ca_file = pki.ca_cert().string();
  auto transport = via(proxy.url(), transport_options);
  const std::string proxy_authority = "127.0.0.1:" + std::to_string(proxy.port());
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", nginx.tls_base_url() + "/hello", hooks));
  ASSERT_TRUE(response) << response.error().what() << "\n" << proxy.log();
  EXPECT_EQ(body_of(*response), "hello world\n");
  Lines lines = hooks.lines();
  ASSERT_GE(lines.size(), 6u);
  EXPECT_EQ(Lines(lines.begin(), lines.begin() + 6),
            (Lines{"get_conn " + proxy_authority, "connect_start tcp " + proxy_authority,
                   "connect_done tcp " + proxy_authority, "tls_handshake_start", "tls_handshake_done",
                   "got_conn reused=0 was_idle=0"}));
  EXPECT_EQ(hooks.remote_addrs().at(0), proxy_authority);
  EXPECT_EQ(hooks.count("wrote_header_field Proxy-Authorization"), 0u);  // never inside the tunnel
  ASSERT_NE(response->tls(), nullptr);
}

// Wrong credentials: the CONNECT's refusal is a typed error carrying the proxy's status; a
// plain-http request's refusal is that request's answer (as in Go). tinyproxy 1.11 refuses with
// 401 where RFC 9110 says 407; the scripted proxy below checks 407 exactly.
TEST_F(Proxy, WrongCredentialsGive407) {
  Tinyproxy proxy({std::pair{std::string("user"), std::string("pw")}});
  std::string wrong = "http://user:nope@127.0.0.1:" + std::to_string(proxy.port());
  auto transport = via(wrong);
  auto tunneled = transport->round_trip(*Request::make("GET", "https://127.0.0.1:9/"));
  ASSERT_FALSE(tunneled);
  EXPECT_EQ(tunneled.error().code(), ErrorCode::proxy);
  EXPECT_TRUE(tunneled.error().proxy_status() == 407 || tunneled.error().proxy_status() == 401)
      << tunneled.error().what();
  EXPECT_EQ(std::string(tunneled.error().what()).find("nope"), std::string::npos);  // no credentials in messages
  NginxServer nginx{NginxOptions{}};
  auto plain = transport->round_trip(*Request::make("GET", nginx.base_url() + "/hello"));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status_code(), tunneled.error().proxy_status());
}

TEST_F(Proxy, ProxyDownIsAConnectError) {
  std::string url;
  {
    ScriptServer closed([](ServerConn&) {});
    url = closed.url("");
  }
  auto transport = via(url);
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", "http://127.0.0.1:9/", hooks));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::connection_refused);
  EXPECT_EQ(std::string(response.error().what()).rfind("proxyconnect tcp: ", 0), 0u) << response.error().what();
  EXPECT_EQ(hooks.count("got_conn"), 0u);
}

TEST_F(Proxy, NoProxyListBypassesTheProxy) {
  Tinyproxy proxy;
  NginxServer nginx{NginxOptions{}};
  auto options = test_options();
  options.proxy = proxy_url(*Url::parse(proxy.url()), "localhost, 127.0.0.1");
  auto transport = make_transport(options);
  HookRecorder hooks;
  auto response = transport->round_trip(traced("GET", nginx.base_url() + "/hello", hooks));
  ASSERT_TRUE(response);
  EXPECT_EQ(hooks.lines_starting("get_conn"), (Lines{"get_conn 127.0.0.1:" + std::to_string(nginx.port())}));
}

// Scripted proxies (no tinyproxy needed).

// (j1) The absolute form on the wire, and one keep-alive connection to the proxy serving two
// targets (Go's key for plain http through a proxy omits the target).
TEST(ScriptedProxy, AbsoluteFormAndOneConnectionForEveryTarget) {
  ScriptServer proxy([](ServerConn& conn) {
    while (conn.read_request()) conn.write(kOk);
  });
  auto transport = via("http://u:p@" + proxy.authority());
  HookRecorder first, second;
  auto r1 = transport->round_trip(traced("GET", "http://a.test:81/one?x=1", first));
  ASSERT_TRUE(r1) << r1.error().what();
  body_of(*r1);
  auto r2 = transport->round_trip(traced("GET", "http://b.test/two", second));
  ASSERT_TRUE(r2) << r2.error().what();
  EXPECT_EQ(second.lines_starting("got_conn"), (Lines{"got_conn reused=1 was_idle=1"}));
  EXPECT_EQ(first.count("dns_"), 0u);  // the proxy resolves the target, not us
  ASSERT_TRUE(proxy.wait_for_requests(2, scaled(2s)));
  auto requests = proxy.requests();
  EXPECT_EQ(requests[0].request.target, "http://a.test:81/one?x=1");
  EXPECT_EQ(requests[0].request.header("Host"), "a.test:81");
  EXPECT_EQ(requests[0].request.header("Proxy-Authorization"), "Basic dTpw");
  EXPECT_EQ(requests[1].request.target, "http://b.test/two");
  EXPECT_EQ(requests[1].conn_id, requests[0].conn_id);
}

// bad-inputs H50: a refusal's body is never shown as the origin's; a status without a reason.
TEST(ScriptedProxy, RefusedConnectIsAProxyErrorWhateverItsBody) {
  for (std::string answer : {std::string("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Type: text/html\r\n"
                                         "Content-Length: 21\r\n\r\n<html>login</html>\r\n"),
                             std::string("HTTP/1.1 400\r\n\r\n")}) {
    ScriptServer proxy([answer](ServerConn& conn) {
      if (conn.read_request_head()) conn.write(answer);
      conn.wait_for_peer_close(scaled(5s));
    });
    auto transport = via(proxy.url(""));
    auto response = transport->round_trip(*Request::make("GET", "https://127.0.0.1:9/"));
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code(), ErrorCode::proxy);
    EXPECT_EQ(response.error().proxy_status(), answer.find("407") != std::string::npos ? 407 : 400);
    EXPECT_EQ(std::string(response.error().what()).find("login"), std::string::npos);
    ASSERT_TRUE(proxy.wait_for_handlers_finished(1, scaled(5s)));  // the connection was closed
  }
}

// bad-inputs H52: proxy credentials only on the CONNECT; the CONNECT line and Host.
TEST(ScriptedProxy, CredentialsGoOnTheConnectOnly) {
  ScriptServer proxy([](ServerConn& conn) {
    if (conn.read_request_head()) conn.write("HTTP/1.1 403 Forbidden\r\n\r\n");
  });
  auto transport = via("http://u:p@" + proxy.authority());
  auto request = Request::make("GET", "https://target.test:8443/secret");
  request->header().set("Proxy-Authorization", "Basic caller-set");
  auto response = transport->round_trip(*request);
  ASSERT_FALSE(response);
  ASSERT_TRUE(proxy.wait_for_requests(1, scaled(2s)));
  const ScriptRequest seen = proxy.requests()[0].request;
  EXPECT_EQ(seen.method, "CONNECT");
  EXPECT_EQ(seen.target, "target.test:8443");
  EXPECT_EQ(seen.header("Host"), "target.test:8443");
  EXPECT_EQ(seen.header("Proxy-Authorization"), "Basic dTpw");
}

// bad-inputs F44: a proxy that reads the CONNECT and never answers; the context is canceled:
// the CONNECT is aborted and the proxy reads EOF.
TEST(ScriptedProxy, CancelWhileTheProxySitsOnTheConnect) {
  std::atomic<bool> saw_close{false};
  ScriptServer proxy([&](ServerConn& conn) {
    if (conn.read_request_head()) saw_close = conn.wait_for_peer_close(scaled(5s));
  });
  auto transport = via(proxy.url(""));
  auto [ctx, cancel] = with_cancel(background());
  std::thread canceller([&, cancel = cancel] {
    proxy.wait_for_requests(1, scaled(2s));
    cancel();
  });
  auto start = std::chrono::steady_clock::now();
  auto response = transport->round_trip(Request::make("GET", "https://127.0.0.1:9/")->with_context(ctx));
  canceller.join();
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::canceled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, scaled(2s));
  ASSERT_TRUE(proxy.wait_for_handlers_finished(1, scaled(5s)));
  EXPECT_TRUE(saw_close);
}

// The ALPN list a client offered, in its wire form; the server then picks "h2" if offered.
int record_alpn_and_prefer_h2(SSL*, const unsigned char** out, unsigned char* outlen,
                              const unsigned char* in, unsigned int inlen, void* arg) {
  auto* offered = static_cast<std::string*>(arg);
  offered->assign(reinterpret_cast<const char*>(in), inlen);
  static constexpr unsigned char kServerPrefers[] = "\x02h2\x08http/1.1";
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kServerPrefers, sizeof kServerPrefers - 1, in,
                            inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// HTTP/2 is for origins: TLS to an https proxy offers only http/1.1, so a proxy that speaks h2
// still gets the HTTP/1.1 request (absolute form or CONNECT) it must answer.
TEST(ScriptedProxy, HttpsProxyIsNeverOfferedH2) {
  TestPki pki;
  CertFiles leaf = pki.localhost_server();
  TlsServerOptions tls_options;
  tls_options.certificate = leaf.chain;
  tls_options.private_key = leaf.key;
  TlsServerContext tls_context(tls_options);
  std::string offered;
  SSL_CTX_set_alpn_select_cb(tls_context.get(), record_alpn_and_prefer_h2, &offered);
  ScriptServer proxy([&](ServerConn& conn) {
    ServerTls tls(tls_context, conn);
    if (!tls.handshake()) return;
    if (!tls.read_until("\r\n\r\n")) return;
    (void)tls.write(std::string(kOk));
    tls.close_notify();
  });
  auto options = test_options();
  options.tls.ca_file = pki.ca_cert().string();
  ASSERT_TRUE(options.force_attempt_http2);
  auto transport = via("https://" + proxy.authority(), options);
  auto response = transport->round_trip(*Request::make("GET", "http://origin.test/x"));
  ASSERT_TRUE(response) << response.error().what();
  EXPECT_EQ(response->proto_major(), 1);
  EXPECT_EQ(body_of(*response), "ok");
  EXPECT_EQ(offered, std::string("\x08http/1.1"));
}

// An https:// proxy URL: TLS to the proxy first (its own pair of TLS hooks), then the request in
// absolute form — or the CONNECT — inside that TLS.
TEST(ScriptedProxy, HttpsProxyUrlSpeaksTlsToTheProxy) {
  TestPki pki;
  CertFiles leaf = pki.localhost_server();
  TlsServerOptions tls_options;
  tls_options.certificate = leaf.chain;
  tls_options.private_key = leaf.key;
  TlsServerContext tls_context(tls_options);
  std::vector<std::string> heads;
  std::mutex heads_mu;
  ScriptServer proxy([&](ServerConn& conn) {
    ServerTls tls(tls_context, conn);
    if (!tls.handshake()) return;
    auto head = tls.read_until("\r\n\r\n");
    if (!head) return;
    {
      std::lock_guard lock(heads_mu);
      heads.push_back(*head);
    }
    if (head->rfind("CONNECT ", 0) == 0) {
      (void)tls.write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    } else {
      (void)tls.write(std::string(kOk));
    }
    tls.close_notify();
  });
  auto options = test_options();
  options.tls.ca_file = pki.ca_cert().string();
  auto transport = via("https://u:p@" + proxy.authority(), options);
  HookRecorder hooks;
  auto plain = transport->round_trip(traced("GET", "http://origin.test/x", hooks));
  ASSERT_TRUE(plain) << plain.error().what();
  EXPECT_EQ(body_of(*plain), "ok");
  Lines lines = hooks.lines();
  ASSERT_GE(lines.size(), 6u);
  EXPECT_EQ(Lines(lines.begin() + 3, lines.begin() + 6),
            (Lines{"tls_handshake_start", "tls_handshake_done", "got_conn reused=0 was_idle=0"}));
  auto tunneled = transport->round_trip(*Request::make("GET", "https://origin.test/y"));
  ASSERT_FALSE(tunneled);
  EXPECT_EQ(tunneled.error().proxy_status(), 403);
  std::lock_guard lock(heads_mu);
  ASSERT_EQ(heads.size(), 2u);
  EXPECT_EQ(heads[0].rfind("GET http://origin.test/x HTTP/1.1\r\n", 0), 0u) << heads[0];
  EXPECT_NE(heads[0].find("Proxy-Authorization: Basic dTpw"), std::string::npos);
  EXPECT_EQ(heads[1].rfind("CONNECT origin.test:443 HTTP/1.1\r\n", 0), 0u) << heads[1];
}

// A direct request never carries a caller's Proxy-Authorization (bad-inputs H52).
TEST(ScriptedProxy, DirectRequestsDropACallersProxyAuthorization) {
  ScriptServer origin([](ServerConn& conn) {
    while (conn.read_request()) conn.write(kOk);
  });
  auto transport = make_transport();
  auto request = Request::make("GET", origin.url("/"));
  request->header().set("Proxy-Authorization", "Basic secret");
  ASSERT_TRUE(transport->round_trip(*request));
  ASSERT_TRUE(origin.wait_for_requests(1, scaled(2s)));
  EXPECT_FALSE(origin.requests()[0].request.header("Proxy-Authorization"));
}

}  // namespace
}  // namespace httptrace::testing
