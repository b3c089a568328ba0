// Proxy selection from the environment: trace-semantics §8.2 and bad-inputs H53, table-driven.
#include "transport/proxy_rules.hpp"

#include <gtest/gtest.h>

namespace httptrace {
namespace {

std::string proxy_for(const ProxySettings& settings, const std::string& url) {
  auto target = Url::parse(url);
  EXPECT_TRUE(target) << url;
  auto proxy = ProxyRules(settings).proxy_for(*target);
  if (!proxy) return "error: " + proxy.error().message();
  return *proxy ? (*proxy)->to_string() : "direct";
}

TEST(ProxyRules, SchemesPickTheirOwnVariable) {
  ProxySettings s;
  s.http_proxy = "http://hp:1";
  s.https_proxy = "https://sp:2";
  EXPECT_EQ(proxy_for(s, "http://example.com/"), "http://hp:1");
  EXPECT_EQ(proxy_for(s, "https://example.com/"), "https://sp:2");
  ProxySettings only_http;
  only_http.http_proxy = "http://hp:1";
  EXPECT_EQ(proxy_for(only_http, "https://example.com/"), "direct");
}

TEST(ProxyRules, ValuesWithoutASchemeGetHttp) {
  ProxySettings s;
  s.http_proxy = "proxy.local:3128";
  EXPECT_EQ(proxy_for(s, "http://example.com/"), "http://proxy.local:3128");
  s.http_proxy = "socks5://s:1080";
  EXPECT_EQ(proxy_for(s, "http://example.com/"), "socks5://s:1080");
}

TEST(ProxyRules, LocalhostAndLoopbackAreNeverProxiedByTheEnvironment) {
  ProxySettings s;
  s.http_proxy = "http://hp:1";
  for (const char* url : {"http://localhost/", "http://localhost:8080/", "http://127.0.0.1/", "http://127.9.9.9:80/",
                          "http://[::1]:80/"}) {
    EXPECT_EQ(proxy_for(s, url), "direct") << url;
  }
  s.never_proxy_loopback = false;  // an explicit proxy is used for loopback too
  EXPECT_EQ(proxy_for(s, "http://127.0.0.1/"), "http://hp:1");
}

TEST(ProxyRules, NoProxyForms) {
  struct Case {
    const char* no_proxy;
    const char* url;
    bool proxied;
  };
  const Case cases[] = {
      {"*", "http://example.com/", false},
      {"example.com", "http://example.com/", false},
      {"example.com", "http://www.example.com/", false},   // domain and subdomains
      {"example.com", "http://notexample.com/", true},
      {".example.com", "http://example.com/", true},       // subdomains only
      {".example.com", "http://a.example.com/", false},
      {"*.example.com", "http://example.com/", true},
      {"*.example.com", "http://a.b.example.com/", false},
      {"example.com:8080", "http://example.com:8080/", false},
      {"example.com:8080", "http://example.com/", true},  // the port must match
      {"10.0.0.1", "http://10.0.0.1/", false},
      {"10.0.0.1", "http://10.0.0.2/", true},
      {"10.0.0.1:81", "http://10.0.0.1:81/", false},
      {"10.0.0.1:81", "http://10.0.0.1/", true},
      {"10.0.0.0/8", "http://10.20.30.40/", false},
      {"10.0.0.0/8", "http://11.0.0.1/", true},
      {"2001:db8::/32", "http://[2001:db8::5]/", false},
      {"[2001:db8::1]:443", "https://[2001:db8::1]/", false},
      {" Example.COM , other.test ", "http://other.test/", false},
      {"foo.test,,bar.test", "http://bar.test/", false},
      {":80", "http://x.test/", true},  // malformed, ignored
      // CVE-2025-22870: an IPv6 zone is no part of a domain name.
      {"*.example.com", "http://[::1%25.example.com]/", true},
  };
  for (const Case& c : cases) {
    ProxySettings s;
    s.http_proxy = "http://hp:1";
    s.https_proxy = "http://hp:1";
    s.no_proxy = c.no_proxy;
    EXPECT_EQ(proxy_for(s, c.url), c.proxied ? "http://hp:1" : "direct") << c.no_proxy << " / " << c.url;
  }
}

TEST(ProxyRules, CgiRefusesHttpProxy) {
  ProxySettings s;
  s.http_proxy = "http://hp:1";
  s.https_proxy = "http://hp:1";
  s.cgi = true;
  EXPECT_EQ(proxy_for(s, "http://example.com/"),
            "error: refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy");
  EXPECT_EQ(proxy_for(s, "https://example.com/"), "http://hp:1");
}

TEST(ProxyRules, EnvironmentUpperCaseWins) {
  setenv("HTTP_PROXY", "http://upper:1", 1);
  setenv("http_proxy", "http://lower:2", 1);
  setenv("no_proxy", "skip.test", 1);
  unsetenv("NO_PROXY");
  unsetenv("REQUEST_METHOD");
  ProxySettings s = ProxySettings::from_environment();
  EXPECT_EQ(s.http_proxy, "http://upper:1");
  EXPECT_EQ(s.no_proxy, "skip.test");
  EXPECT_FALSE(s.cgi);
  unsetenv("HTTP_PROXY");
  EXPECT_EQ(ProxySettings::from_environment().http_proxy, "http://lower:2");
  unsetenv("http_proxy");
  unsetenv("no_proxy");
}

}  // namespace
}  // namespace httptrace
