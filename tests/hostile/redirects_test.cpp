// bad-inputs.md G45–G49: redirects and credentials (through a Client). Host names are mapped
// to 127.0.0.1 with resolve_overrides, so no DNS is involved.
#include "httptrace/client.hpp"

#include <gtest/gtest.h>

#include "hostile/hostile_fixture.hpp"

namespace httptrace::testing {
namespace {

class Redirects : public Hostile {
 protected:
  // A Client over a transport where a.test and b.test (at each given port) are 127.0.0.1.
  Client client_for(std::initializer_list<uint16_t> ports, ClientOptions options = {}) {
    TransportOptions transport_options = test_options();
    for (uint16_t port : ports) {
      for (std::string host : {"a.test", "b.test"}) {
        transport_options.resolve_overrides[host + ":" + std::to_string(port)] = {
            *IpAddress::parse("127.0.0.1")};
      }
    }
    use_options(transport_options);
    options.transport = transport;
    return Client(options);
  }
};

// Redirects by target: "/start" answers 302 to `location`; everything else answers 200.
ScriptServer::Handler redirect_then_ok(std::string location, std::string status = "302 Found") {
  return [location = std::move(location), status = std::move(status)](ServerConn& conn) {
    while (auto request = conn.read_request()) {
      std::string reply =
          request->target == "/start"
              ? "HTTP/1.1 " + status + "\r\nLocation: " + location + "\r\nContent-Length: 0\r\n\r\n"
              : std::string(kOk);
      if (!conn.write(reply)) return;
    }
  };
}

std::string url_on(std::string_view host, uint16_t port, std::string_view path) {
  return "http://" + std::string(host) + ":" + std::to_string(port) + std::string(path);
}

// G45. A loop stops after 10 redirects; each hop's small body is drained so one connection
// serves them all; large bodies are closed, leaking nothing.
TEST_F(Redirects, LoopStopsAfterTenRedirects) {
  for (std::size_t body_size : {std::size_t{5}, std::size_t{100'000}}) {
    SCOPED_TRACE(body_size);
    ScriptServer server(reply_always(
        "HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: " + std::to_string(body_size) +
        "\r\n\r\n" + std::string(body_size, 'x')));
    Client client = client_for({});
    Exchange x = send_on(client, get(server.url("/loop")));
    EXPECT_ERROR(x, ErrorCode::too_many_redirects);
    ASSERT_TRUE(x.error);
    EXPECT_NE(std::string(x.error->what()).find("stopped after 10 redirects"), std::string::npos);
    ASSERT_TRUE(server.wait_for_requests(10, scaled(2s)));
    EXPECT_EQ(server.requests().size(), 10u);
    EXPECT_EQ(server.connections_accepted(), body_size < 2048 ? 1u : 10u);
    transport->close_idle_connections();
    EXPECT_EQ(transport->pool_stats().open_conns, 0u);
  }
}

// A request to a.test:`port`/start carrying caller-set credentials and one ordinary field.
Request with_credentials(uint16_t port, std::string_view path = "/start") {
  Request request = get(url_on("a.test", port, path));
  request.header().set("Authorization", "Bearer token");
  request.header().set("Cookie", "session=1");
  request.header().set("Proxy-Authorization", "Basic cHJveHk6cHc=");
  request.header().set("X-Custom", "kept");
  return request;
}

struct Credentials {
  bool authorization, cookie, proxy_authorization, custom;
};

Credentials credentials_of(const ScriptRequest& request) {
  return {request.header("Authorization").has_value(), request.header("Cookie").has_value(),
          request.header("Proxy-Authorization").has_value(),
          request.header("X-Custom").has_value()};
}

// The last request a server logged for `target`.
std::optional<ScriptRequest> last_for(const ScriptServer& server, std::string_view target) {
  std::optional<ScriptRequest> found;
  for (const LoggedRequest& logged : server.requests()) {
    if (logged.request.target == target) found = logged.request;
  }
  return found;
}

// G46. Caller-set credentials go only to the initial origin.
TEST_F(Redirects, CredentialsAreDroppedForAnotherHostOrPort) {
  ScriptServer other(reply_always(std::string(kOk)));
  std::string location;
  ScriptServer server([&location](ServerConn& conn) {
    while (auto request = conn.read_request()) {
      std::string reply =
          request->target == "/start"
              ? "HTTP/1.1 302 Found\r\nLocation: " + location + "\r\nContent-Length: 0\r\n\r\n"
              : std::string(kOk);
      if (!conn.write(reply)) return;
    }
  });
  Client client = client_for({server.port(), other.port()});
  struct Case {
    std::string name;
    std::string location;
    const ScriptServer* lands_on;
    bool kept;
  };
  const Case cases[] = {
      {"same origin", "/next", &server, true},
      {"other host", url_on("b.test", server.port(), "/next"), &server, false},
      {"other port", url_on("a.test", other.port(), "/next"), &other, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    location = c.location;
    Exchange x = send_on(client, with_credentials(server.port()));
    ASSERT_TRUE(x.response) << x.describe();
    auto next = last_for(*c.lands_on, "/next");
    ASSERT_TRUE(next);
    Credentials sent = credentials_of(*next);
    EXPECT_EQ(sent.authorization, c.kept);
    EXPECT_EQ(sent.cookie, c.kept);
    EXPECT_FALSE(sent.proxy_authorization);  // only ever for a proxy, never to an origin (H52)
    EXPECT_TRUE(sent.custom);
    auto start = last_for(server, "/start");
    ASSERT_TRUE(start);
    EXPECT_TRUE(credentials_of(*start).authorization);
    EXPECT_FALSE(credentials_of(*start).proxy_authorization);
  }
}

// G46. A change of scheme is a change of origin: http → https drops them too (seen in the
// request check_redirect is given, before any dial).
TEST_F(Redirects, CredentialsAreDroppedForAnotherScheme) {
  ScriptServer server(redirect_then_ok("https://a.test:0/next"));
  std::optional<Credentials> seen;
  ClientOptions options;
  options.check_redirect = [&seen](const Request& next,
                                   std::span<const Request>) -> std::optional<Error> {
    seen = Credentials{next.header().has("Authorization"), next.header().has("Cookie"),
                       next.header().has("Proxy-Authorization"), next.header().has("X-Custom")};
    return use_last_response();
  };
  Client client = client_for({server.port()}, options);
  Exchange x = send_on(client, with_credentials(server.port()));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(x.response->status_code(), 302);
  ASSERT_TRUE(seen);
  EXPECT_FALSE(seen->authorization);
  EXPECT_FALSE(seen->cookie);
  EXPECT_FALSE(seen->proxy_authorization);
  EXPECT_TRUE(seen->custom);
}

// G47. Once dropped, credentials never return, even when later hops stay on one host
// (CVE-2024-45336).
TEST_F(Redirects, DroppedCredentialsNeverReturn) {
  uint16_t port = 0;
  ScriptServer server([&port](ServerConn& conn) {
    while (auto request = conn.read_request()) {
      std::string reply = std::string(kOk);
      if (request->target == "/start") {
        reply = "HTTP/1.1 302 Found\r\nLocation: " + url_on("b.test", port, "/1") +
                "\r\nContent-Length: 0\r\n\r\n";
      } else if (request->target == "/1") {
        reply = "HTTP/1.1 302 Found\r\nLocation: /2\r\nContent-Length: 0\r\n\r\n";
      }
      if (!conn.write(reply)) return;
    }
  });
  port = server.port();
  Client client = client_for({server.port()});
  Exchange x = send_on(client, with_credentials(server.port()));
  ASSERT_TRUE(x.response) << x.describe();
  for (std::string_view hop : {"/1", "/2"}) {
    SCOPED_TRACE(hop);
    auto request = last_for(server, hop);
    ASSERT_TRUE(request);
    EXPECT_FALSE(request->header("Authorization"));
    EXPECT_FALSE(request->header("Cookie"));
    EXPECT_TRUE(request->header("X-Custom"));
  }
}

// G47. "[::1%25.a.test]" is not a.test (CVE-2023-45289): credentials are dropped.
TEST_F(Redirects, ZoneThatLooksLikeASubdomainIsAnotherHost) {
  ScriptServer server(redirect_then_ok("http://[::1%25.a.test]:1/x"));
  std::optional<bool> authorization;
  ClientOptions options;
  options.check_redirect = [&authorization](const Request& next,
                                            std::span<const Request>) -> std::optional<Error> {
    authorization = next.header().has("Authorization");
    return use_last_response();
  };
  Client client = client_for({server.port()}, options);
  Exchange x = send_on(client, with_credentials(server.port()));
  ASSERT_TRUE(x.response) << x.describe();
  ASSERT_TRUE(authorization);
  EXPECT_FALSE(*authorization);
}

// G48. Location: absent or empty → the 3xx is final; unparsable → protocol; another scheme →
// unsupported_scheme without dialing; two different values → protocol.
TEST_F(Redirects, BadLocationsAreHandledWithoutFollowing) {
  struct Case {
    std::string fields;
    std::optional<ErrorCode> error;  // nullopt: the 3xx is returned
    std::string message;
  };
  const Case cases[] = {
      {"", std::nullopt, ""},
      {"Location: \r\n", std::nullopt, ""},
      {"Location: http://[::1\r\n", ErrorCode::protocol, "failed to parse Location header"},
      {"Location: file:///etc/passwd\r\n", ErrorCode::unsupported_scheme, "file"},
      {"Location: ftp://127.0.0.1/x\r\n", ErrorCode::unsupported_scheme, "ftp"},
      {"Location: data:text/plain,hi\r\n", ErrorCode::unsupported_scheme, "data"},
      {"Location: /a\r\nLocation: /b\r\n", ErrorCode::protocol, "Location"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.fields);
    ScriptServer server(
        reply_always("HTTP/1.1 302 Found\r\n" + c.fields + "Content-Length: 3\r\n\r\nabc"));
    Client client = client_for({});
    Exchange x = send_on(client, get(server.url("/start")));
    if (c.error) {
      EXPECT_ERROR(x, *c.error);
      expect_message_contains(x, c.message);
    } else {
      ASSERT_TRUE(x.response) << x.describe();
      EXPECT_EQ(x.response->status_code(), 302);
      EXPECT_EQ(x.body, "abc");
    }
    EXPECT_EQ(server.connections_accepted(), 1u);  // nothing else was dialed
    EXPECT_EQ(x.hooks->count("get_conn"), 1u);
    transport->close_idle_connections();
  }
}

// G49. 301/302/303 turn a POST into a GET without body or Content-* fields.
TEST_F(Redirects, PostBecomesGetWithoutBodyOrContentFields) {
  ScriptServer server(redirect_then_ok("/next"));
  Client client = client_for({});
  auto request = make_request("POST", server.url("/start"), RequestBody::from_string("payload"));
  request.header().set("Content-Type", "text/plain");
  request.header().set("Content-Language", "en");
  Exchange x = send_on(client, request);
  ASSERT_TRUE(x.response) << x.describe();
  auto next = last_for(server, "/next");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->method, "GET");
  EXPECT_EQ(next->body, "");
  EXPECT_FALSE(next->header("Content-Length"));
  EXPECT_FALSE(next->header("Transfer-Encoding"));
  EXPECT_FALSE(next->header("Content-Type"));
  EXPECT_FALSE(next->header("Content-Language"));
}

// G49. 307 keeps method and body: re-sent identically when rewindable, else the 307 is final.
TEST_F(Redirects, TemporaryRedirectResendsOnlyRewindableBodies) {
  ScriptServer server(redirect_then_ok("/next", "307 Temporary Redirect"));
  Client client = client_for({});
  Exchange rewound = send_on(
      client, make_request("POST", server.url("/start"), RequestBody::from_string("payload")));
  ASSERT_TRUE(rewound.response) << rewound.describe();
  EXPECT_EQ(rewound.response->status_code(), 200);
  auto next = last_for(server, "/next");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->method, "POST");
  EXPECT_EQ(next->body, "payload");

  bool done = false;
  auto reader = RequestBody::from_reader(
      [&done](std::span<std::byte> buf) -> Result<std::size_t> {
        if (done) return std::size_t{0};
        done = true;
        std::fill_n(buf.begin(), 7, std::byte{'p'});
        return std::size_t{7};
      },
      7);
  Exchange final_307 = send_on(client, make_request("POST", server.url("/start"), reader));
  ASSERT_TRUE(final_307.response) << final_307.describe();
  EXPECT_EQ(final_307.response->status_code(), 307);
}

// G49. URL userinfo never reaches a Referer or an error message.
TEST_F(Redirects, UserinfoNeverLeaksIntoRefererOrErrors) {
  ScriptServer server([](ServerConn& conn) {
    while (auto request = conn.read_request()) {
      std::string location = request->target == "/start" ? "/next" : "/loop";
      if (!conn.write("HTTP/1.1 302 Found\r\nLocation: " + location +
                      "\r\nContent-Length: 0\r\n\r\n"))
        return;
    }
  });
  Client client = client_for({server.port()});
  const std::string base = "http://user:secret@a.test:" + std::to_string(server.port());
  Exchange x = send_on(client, get(base + "/start"));
  EXPECT_ERROR(x, ErrorCode::too_many_redirects);
  ASSERT_TRUE(x.error);
  const std::string message = x.error->what();
  EXPECT_EQ(message.find("secret"), std::string::npos) << message;
  EXPECT_NE(message.find("user:***@"), std::string::npos) << message;
  auto next = last_for(server, "/next");
  ASSERT_TRUE(next);
  auto referer = next->header("Referer");
  ASSERT_TRUE(referer);
  EXPECT_EQ(*referer, url_on("a.test", server.port(), "/start"));
  for (const LoggedRequest& logged : server.requests()) {
    EXPECT_EQ(logged.request.raw.find("secret"), std::string::npos) << logged.request.raw;
  }
}

}  // namespace
}  // namespace httptrace::testing
