// Client redirects: trace-semantics §5 (m) and §8.4, with the credential rules of "Our
// decisions" and bad-inputs G45–G49.
#include "httptrace/client.hpp"

#include <gtest/gtest.h>

#include "support/nginx.hpp"
#include "support/script_server.hpp"
#include "transport/fixture.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

Client client_over(std::shared_ptr<Transport> transport, ClientOptions options = {}) {
  options.transport = std::move(transport);
  return Client(std::move(options));
}

// A server whose responses depend on the path: "/to?<location>&<status>" redirects.
ScriptServer redirector() {
  return ScriptServer([](ServerConn& conn) {
    while (auto request = conn.read_request()) {
      const std::string& target = request->target;
      if (target.rfind("/to/", 0) == 0) {
        // /to/<status>/<location...>
        std::string rest = target.substr(4);
        std::string status = rest.substr(0, 3);
        std::string location = rest.substr(4);
        conn.write("HTTP/1.1 " + status + " Moved\r\nLocation: " + location + "\r\nContent-Length: 0\r\n\r\n");
        continue;
      }
      std::string echo = request->method + " " + target + " body=" + request->body;
      for (const auto& [name, value] : request->headers) echo += "\n" + name + ": " + value;
      conn.write("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(echo.size()) + "\r\n\r\n" + echo);
    }
  });
}

TEST(Redirect, FollowsOnOneTraceReusingTheConnection) {
  NginxServer nginx{NginxOptions{}};
  const std::string authority = "127.0.0.1:" + std::to_string(nginx.port());
  Client client = client_over(make_transport());
  HookRecorder hooks;
  auto response = client.send(traced("GET", nginx.base_url() + "/redirect", hooks));
  ASSERT_TRUE(response) << response.error().what();
  hooks.mark("returned");
  EXPECT_EQ(body_of(*response), "hello world\n");
  EXPECT_EQ(response->request().url().path(), "/hello");
  EXPECT_EQ(hooks.lines(),
            (Lines{"get_conn " + authority, "connect_start tcp " + authority, "connect_done tcp " + authority,
                   "got_conn reused=0 was_idle=0", "wrote_header_field Host=[" + authority + "]",
                   "wrote_header_field User-Agent=[httptrace/0.1]", "wrote_header_field Accept-Encoding=[gzip]",
                   "wrote_headers", "wrote_request", "got_first_response_byte", "put_idle_conn",
                   "get_conn " + authority, "got_conn reused=1 was_idle=1",
                   "wrote_header_field Host=[" + authority + "]", "wrote_header_field User-Agent=[httptrace/0.1]",
                   "wrote_header_field Referer=[" + nginx.base_url() + "/redirect]",
                   "wrote_header_field Accept-Encoding=[gzip]", "wrote_headers", "wrote_request",
                   "got_first_response_byte", "## returned", "put_idle_conn"}));
}

TEST(Redirect, PostBecomesGetOn303AndStaysPostWithBodyOn307) {
  ScriptServer server = redirector();
  Client client = client_over(make_transport());
  auto post = [&](std::string status) {
    auto request = Request::make("POST", server.url("/to/" + status + "//final"), RequestBody::from_string("data"));
    request->header().set("Content-Type", "text/plain");
    auto response = client.send(*request);
    EXPECT_TRUE(response) << response.error().what();
    return response ? body_of(*response) : std::string();
  };
  std::string after_303 = post("303");
  EXPECT_EQ(after_303.substr(0, after_303.find('\n')), "GET /final body=");
  EXPECT_EQ(after_303.find("Content-Type"), std::string::npos);  // content headers dropped
  EXPECT_EQ(after_303.find("Content-Length"), std::string::npos);
  std::string after_307 = post("307");
  EXPECT_EQ(after_307.substr(0, after_307.find('\n')), "POST /final body=data");
  EXPECT_NE(after_307.find("Content-Type: text/plain"), std::string::npos);
}

TEST(Redirect, Status307WithANonRewindableBodyReturnsTheRedirect) {
  ScriptServer server = redirector();
  Client client = client_over(make_transport());
  bool done = false;
  auto body = RequestBody::from_reader(
      [&done](std::span<std::byte> buf) -> Result<std::size_t> {
        if (done) return std::size_t{0};
        done = true;
        buf[0] = std::byte{'x'};
        return std::size_t{1};
      },
      1);
  auto response = client.send(*Request::make("POST", server.url("/to/307//final"), body));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status_code(), 307);
}

TEST(Redirect, CredentialsDroppedAcrossOriginsAndNeverRestored) {
  ScriptServer a = redirector();
  ScriptServer b = redirector();
  Client client = client_over(make_transport());
  // a → b → a: the last hop is the initial origin again, yet the credentials stay dropped.
  std::string back = a.url("/final");
  std::string via_b = b.url("/to/302/" + back);
  auto request = Request::make("GET", a.url("/to/302/" + via_b));
  request->header().set("Authorization", "Bearer secret");
  request->header().set("Cookie", "c=1");
  request->header().set("X-Custom", "kept");
  auto response = client.send(*request);
  ASSERT_TRUE(response) << response.error().what();
  std::string echo = body_of(*response);
  EXPECT_EQ(echo.find("secret"), std::string::npos) << echo;
  EXPECT_EQ(echo.find("Cookie"), std::string::npos) << echo;
  EXPECT_NE(echo.find("X-Custom: kept"), std::string::npos) << echo;
  // b saw no credentials either.
  for (const auto& logged : b.requests()) {
    EXPECT_FALSE(logged.request.header("Authorization"));
  }
}

TEST(Redirect, CredentialsKeptOnTheSameOrigin) {
  ScriptServer server = redirector();
  Client client = client_over(make_transport());
  auto request = Request::make("GET", server.url("/to/302/") + "/final");
  request->header().set("Authorization", "Bearer secret");
  auto response = client.send(*request);
  ASSERT_TRUE(response);
  EXPECT_NE(body_of(*response).find("Authorization: Bearer secret"), std::string::npos);
}

TEST(Redirect, LoopStopsAfterTenRedirects) {
  ScriptServer server([](ServerConn& conn) {
    while (conn.read_request()) conn.write("HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n");
  });
  Client client = client_over(make_transport());
  HookRecorder hooks;
  auto response = client.send(traced("GET", server.url("/loop"), hooks));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), ErrorCode::too_many_redirects);
  EXPECT_NE(std::string(response.error().what()).find("stopped after 10 redirects"), std::string::npos);
  EXPECT_EQ(hooks.count("get_conn"), 10u);
  EXPECT_EQ(server.connections_accepted(), 1u);  // every hop drained and reused the connection
}

TEST(Redirect, BadLocationsAreTypedErrorsOrFinalResponses) {
  ScriptServer server([](ServerConn& conn) {
    while (auto request = conn.read_request()) {
      std::string head = "HTTP/1.1 302 Found\r\nContent-Length: 0\r\n";
      if (request->target == "/garbage") head += "Location: http://[::1\r\n";
      if (request->target == "/ftp") head += "Location: ftp://127.0.0.1/x\r\n";
      if (request->target == "/two") head += "Location: /a\r\nLocation: /b\r\n";
      if (request->target == "/empty") head += "Location: \r\n";
      conn.write(head + "\r\n");
    }
  });
  Client client = client_over(make_transport());
  auto garbage = client.get(server.url("/garbage"));
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code(), ErrorCode::protocol);
  EXPECT_NE(std::string(garbage.error().what()).find("failed to parse Location header"), std::string::npos);
  auto ftp = client.get(server.url("/ftp"));
  ASSERT_FALSE(ftp);
  EXPECT_EQ(ftp.error().code(), ErrorCode::unsupported_scheme);
  auto two = client.get(server.url("/two"));
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().code(), ErrorCode::protocol);
  auto none = client.get(server.url("/none"));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status_code(), 302);
  auto empty = client.get(server.url("/empty"));
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status_code(), 302);
}

TEST(Redirect, CheckRedirectCanReturnTheLastResponseOrStop) {
  ScriptServer server = redirector();
  ClientOptions options;
  std::vector<std::size_t> via_sizes;
  options.check_redirect = [&](const Request& next, std::span<const Request> via) -> std::optional<Error> {
    via_sizes.push_back(via.size());
    if (next.url().path() == "/stop") return Error(ErrorCode::invalid_request, "not there");
    return use_last_response();
  };
  Client client = client_over(make_transport(), options);
  auto last = client.get(server.url("/to/301//final"));
  ASSERT_TRUE(last);
  EXPECT_EQ(last->status_code(), 301);
  auto stopped = client.get(server.url("/to/302//stop"));
  ASSERT_FALSE(stopped);
  EXPECT_NE(std::string(stopped.error().what()).find("not there"), std::string::npos);
  EXPECT_EQ(via_sizes, (std::vector<std::size_t>{1, 1}));
}

TEST(Redirect, UserinfoNeverReachesRefererOrErrors) {
  ScriptServer server = redirector();
  Client client = client_over(make_transport());
  std::string url = server.url("/to/302//final");
  url.insert(url.find("//") + 2, "user:pass@");
  auto response = client.get(url);
  ASSERT_TRUE(response) << response.error().what();
  std::string echo = body_of(*response);
  EXPECT_NE(echo.find("Referer: http://127.0.0.1"), std::string::npos) << echo;
  EXPECT_EQ(echo.find("pass"), std::string::npos) << echo;
}

TEST(Redirect, ClientTimeoutCoversEveryHopAndTheBody) {
  ScriptServer server([](ServerConn& conn) {
    while (auto request = conn.read_request()) {
      if (request->target == "/first") {
        conn.write("HTTP/1.1 302 Found\r\nLocation: /slow\r\nContent-Length: 0\r\n\r\n");
      } else {
        conn.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        conn.wait_for_peer_close(scaled(10s));
        return;
      }
    }
  });
  ClientOptions options;
  options.timeout = 300ms;
  Client client = client_over(make_transport(), options);
  auto start = std::chrono::steady_clock::now();
  auto response = client.get(server.url("/first"));
  ASSERT_TRUE(response);
  auto body = response->body().read_all();
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code(), ErrorCode::deadline_exceeded);
  EXPECT_LE(std::chrono::steady_clock::now() - start, 300ms + scaled(250ms));
}

TEST(Redirect, ErrorsNameTheMethodAndRedactedUrlLikeGo) {
  std::string url;
  {
    ScriptServer closed([](ServerConn&) {});
    url = closed.url("/x");
  }
  Client client = client_over(make_transport());
  std::string with_user = url;
  with_user.insert(with_user.find("//") + 2, "u:pw@");
  auto response = client.send(*Request::make("POST", with_user));
  ASSERT_FALSE(response);
  std::string what = response.error().what();
  EXPECT_EQ(what.rfind("Post \"http://u:***@127.0.0.1", 0), 0u) << what;
  EXPECT_EQ(what.find("pw"), std::string::npos);
  EXPECT_EQ(response.error().code(), ErrorCode::connection_refused);
}

}  // namespace
}  // namespace httptrace::testing
