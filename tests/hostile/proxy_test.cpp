// bad-inputs.md H50–H53 and F44: hostile proxies. A ScriptServer plays the proxy: it reads the
// CONNECT (or the absolute-form request) and answers as each case needs; where a tunnel must
// carry TLS, the same connection then speaks TLS itself as the origin would.
#include "httptrace/transport.hpp"

#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "hostile/hostile_fixture.hpp"
#include "support/pki.hpp"
#include "support/tls_server.hpp"
#include "transport/proxy_rules.hpp"

namespace httptrace::testing {
namespace {

class Proxies : public Hostile {
 protected:
  static void SetUpTestSuite() {
    pki_ = std::make_unique<TestPki>();
    leaf_ = pki_->localhost_server("proxy-origin");
  }
  static void TearDownTestSuite() { pki_.reset(); }

  // A transport sending everything through `proxy` ("http://[user:pw@]127.0.0.1:P"), trusting
  // the test CA.
  void use_proxy(const std::string& proxy) {
    TransportOptions options = test_options();
    options.proxy = proxy_url(*Url::parse(proxy));
    options.tls.ca_file = pki_->ca_cert().string();
    use_options(options);
  }

  static TlsServerOptions origin_tls() {
    TlsServerOptions options;
    options.certificate = leaf_.chain;
    options.private_key = leaf_.key;
    return options;
  }

  static inline std::unique_ptr<TestPki> pki_;
  static inline CertFiles leaf_;
};

std::string proxy_at(const ScriptServer& proxy, std::string_view userinfo = "") {
  return "http://" + std::string(userinfo) + proxy.authority();
}

// H50. A refused CONNECT is a proxy error with the proxy's status; its body is never shown as
// an origin's response; the connection is closed.
TEST_F(Proxies, RefusedConnectIsAProxyErrorNeverAResponse) {
  struct Case {
    std::string reply;
    int status;
  };
  const std::string html = "<html>log in at the proxy</html>";
  const Case cases[] = {
      {"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: "
       "Basic\r\nContent-Length: " +
           std::to_string(html.size()) + "\r\n\r\n" + html,
       407},
      {"HTTP/1.1 400\r\nContent-Length: 0\r\n\r\n", 400},
      {"HTTP/1.1 502 Bad Gateway\r\n\r\n" + html, 502},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reply.substr(0, 40));
    std::atomic<bool> closed{false};
    ScriptServer proxy([&](ServerConn& conn) {
      if (!conn.read_request_head() || !conn.write(c.reply)) return;
      closed = conn.wait_for_peer_close(scaled(5s));
    });
    use_proxy(proxy_at(proxy));
    Exchange x = exchange(get("https://127.0.0.1:443/"));
    ASSERT_FALSE(x.response) << x.describe();
    EXPECT_ERROR(x, ErrorCode::proxy);
    ASSERT_TRUE(x.error);
    EXPECT_EQ(x.error->proxy_status(), c.status);
    EXPECT_EQ(x.error->message().find("log in at the proxy"), std::string::npos) << x.error->what();
    ASSERT_TRUE(proxy.wait_for_handlers_finished(1, scaled(2s)));
    EXPECT_TRUE(closed);
    expect_closed();
    expect_consistent_trace(x, Pooling::never);
  }
}

// H50 (Go TestMissingStatusNoPanic): a reply without a status code fails cleanly.
TEST_F(Proxies, ConnectReplyWithoutAStatusFailsCleanly) {
  for (std::string reply : {"HTTP/1.1\r\n\r\n", "HTTP/1.1 \r\n\r\n", "\r\n\r\n", ""}) {
    SCOPED_TRACE(::testing::PrintToString(reply));
    ScriptServer proxy(reply_once(reply));
    use_proxy(proxy_at(proxy));
    Exchange x = exchange(get("https://127.0.0.1:443/"));
    ASSERT_FALSE(x.response) << x.describe();
    ASSERT_TRUE(x.error);
    EXPECT_TRUE(x.error->code() == ErrorCode::proxy || x.error->code() == ErrorCode::protocol)
        << x.describe();
    expect_closed();
  }
}

// H51. Garbage after "200" where the ServerHello should be is a TLS error, never data.
TEST_F(Proxies, GarbageInsideTheTunnelIsATlsError) {
  ScriptServer proxy(
      reply_and_hold("HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200 OK\r\n\r\nfake"));
  use_proxy(proxy_at(proxy));
  Exchange x = exchange(get("https://127.0.0.1:443/"));
  ASSERT_FALSE(x.response) << x.describe();
  EXPECT_ERROR(x, ErrorCode::tls);
  expect_closed();
  expect_consistent_trace(x, Pooling::never);
}

// H51, H52. Content-Length and Transfer-Encoding on a CONNECT 200 are ignored; the proxy
// credentials go on the CONNECT only, never inside the tunnel (a caller's included).
TEST_F(Proxies, ConnectSuccessIgnoresFramingAndKeepsCredentialsOutOfTheTunnel) {
  TlsServerContext context(origin_tls());
  std::mutex mu;
  std::string connect_head, tunneled_request;
  ScriptServer proxy([&](ServerConn& conn) {
    auto head = conn.read_request_head();
    if (!head) return;
    {
      std::lock_guard lock(mu);
      connect_head = head->raw;
    }
    if (!conn.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"))
      return;
    ServerTls tls(context, conn, scaled(5s));
    if (!tls.handshake()) return;
    auto request = tls.read_until("\r\n\r\n");
    if (!request) return;
    {
      std::lock_guard lock(mu);
      tunneled_request = *request;
    }
    (void)tls.write(std::string(kOk));
    tls.close_notify();
  });
  use_proxy(proxy_at(proxy, "user:pw@"));
  Request request = get("https://127.0.0.1:443/secret");
  request.header().set("Proxy-Authorization", "Basic Y2FsbGVyOnNlY3JldA==");
  Exchange x = exchange(request);
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(x.body, "ok");
  std::lock_guard lock(mu);
  EXPECT_EQ(connect_head.rfind("CONNECT 127.0.0.1:443 HTTP/1.1\r\n", 0), 0u) << connect_head;
  EXPECT_NE(connect_head.find("Proxy-Authorization: Basic dXNlcjpwdw==\r\n"), std::string::npos)
      << connect_head;
  EXPECT_EQ(tunneled_request.rfind("GET /secret HTTP/1.1\r\n", 0), 0u) << tunneled_request;
  EXPECT_EQ(tunneled_request.find("Proxy-Authorization"), std::string::npos) << tunneled_request;
}

// H52. Requests with different proxy credentials never share a connection.
TEST_F(Proxies, DifferentProxyCredentialsNeverShareAConnection) {
  ScriptServer proxy([](ServerConn& conn) {
    while (auto request = conn.read_request()) {
      if (!conn.write(kOk)) return;
    }
  });
  TransportOptions options = test_options();
  const std::string alice = "http://alice:a@" + proxy.authority();
  const std::string bob = "http://bob:b@" + proxy.authority();
  options.proxy = [&](const Request& request) -> Result<std::optional<Url>> {
    return std::optional<Url>(*Url::parse(request.header().has("X-Bob") ? bob : alice));
  };
  use_options(options);
  const std::string target = "http://origin.test:80/";
  Exchange first = exchange(get(target));
  ASSERT_TRUE(first.response) << first.describe();
  Request as_bob = get(target);
  as_bob.header().set("X-Bob", "1");
  Exchange second = exchange(as_bob);
  ASSERT_TRUE(second.response) << second.describe();
  Exchange third = exchange(get(target));
  ASSERT_TRUE(third.response) << third.describe();

  ASSERT_TRUE(proxy.wait_for_requests(3, scaled(2s)));
  auto requests = proxy.requests();
  EXPECT_EQ(requests[0].request.target, "http://origin.test:80/");  // absolute form
  EXPECT_EQ(requests[0].request.header("Proxy-Authorization"), "Basic YWxpY2U6YQ==");
  EXPECT_EQ(requests[1].request.header("Proxy-Authorization"), "Basic Ym9iOmI=");
  EXPECT_NE(requests[1].conn_id, requests[0].conn_id);
  EXPECT_EQ(requests[2].conn_id, requests[0].conn_id);  // alice's connection again
  EXPECT_EQ(proxy.connections_accepted(), 2u);
}

// H53. Which targets go through a proxy (the rules behind proxy_from_environment).
TEST(ProxyRulesHostile, ZoneDressedAsASubdomainIsProxied) {
  ProxySettings settings;
  settings.http_proxy = "http://127.0.0.1:3128";
  settings.https_proxy = "http://127.0.0.1:3128";
  settings.no_proxy = "*.example.com";
  ProxyRules rules(settings);
  auto proxied = [&](std::string_view url) {
    auto proxy = rules.proxy_for(*Url::parse(url));
    EXPECT_TRUE(proxy) << url;
    return proxy && proxy->has_value();
  };
  EXPECT_TRUE(proxied("http://[::1%25.example.com]:80/"));  // CVE-2025-22870
  EXPECT_FALSE(proxied("http://www.example.com/"));
  EXPECT_TRUE(proxied("http://example.org/"));
  EXPECT_FALSE(proxied("http://localhost:8080/"));  // loopback is never proxied
  EXPECT_FALSE(proxied("http://127.0.0.1/"));
  EXPECT_FALSE(proxied("https://[::1]:443/"));
}

TEST(ProxyRulesHostile, HttpProxyIsRefusedInACgiEnvironment) {
  ProxySettings settings;
  settings.http_proxy = "http://attacker.test:3128";
  settings.https_proxy = "http://127.0.0.1:3128";
  settings.cgi = true;  // REQUEST_METHOD set: HTTP_PROXY may come from a request header (httpoxy)
  ProxyRules rules(settings);
  auto http = rules.proxy_for(*Url::parse("http://example.org/"));
  ASSERT_FALSE(http);
  auto https = rules.proxy_for(*Url::parse("https://example.org/"));
  ASSERT_TRUE(https) << https.error().what();
  EXPECT_TRUE(https->has_value());
}

// F44 (Go issue 28012). A proxy that reads the CONNECT and never answers: canceling the
// request aborts the CONNECT promptly and the proxy sees the close.
TEST_F(Proxies, CancelAbortsAnUnansweredConnect) {
  std::atomic<bool> connect_read{false}, closed{false};
  ScriptServer proxy([&](ServerConn& conn) {
    if (!conn.read_request_head()) return;
    connect_read = true;
    closed = conn.wait_for_peer_close(scaled(5s));
  });
  use_proxy(proxy_at(proxy));
  auto [ctx, cancel] = with_cancel(background());
  std::atomic<Clock::time_point> canceled_at{};
  std::thread canceller([&, cancel = cancel] {
    while (!connect_read) std::this_thread::yield();
    canceled_at = Clock::now();
    cancel();
  });
  Exchange x = exchange(get("https://127.0.0.1:443/", ctx));
  const auto returned = Clock::now();
  canceller.join();
  EXPECT_ERROR(x, ErrorCode::canceled);
  EXPECT_LE(returned - canceled_at.load(), scaled(50ms));
  ASSERT_TRUE(proxy.wait_for_handlers_finished(1, scaled(2s)));
  EXPECT_TRUE(closed);
  expect_consistent_trace(x, Pooling::never);
}

// J58 through a plain proxy (curl CVE-2014-8150): the absolute-form target is checked like any
// request target; the proxy receives nothing.
TEST_F(Proxies, RequestTargetWithSpaceNeverReachesAPlainProxy) {
  ScriptServer proxy(reply_always(std::string(kOk)));
  use_proxy(proxy_at(proxy));
  Exchange x = exchange(get("http://origin.test/?q=a b"));
  EXPECT_ERROR(x, ErrorCode::invalid_request);
  EXPECT_EQ(x.hooks->count("get_conn"), 0u);
  EXPECT_EQ(proxy.connections_accepted(), 0u);
}

}  // namespace
}  // namespace httptrace::testing
