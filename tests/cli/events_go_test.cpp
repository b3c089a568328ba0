// `httptrace events` against Go 1.19: the same requests through our CLI and through Go's
// net/http with every hook set (tests/go/events.go) must print the same event stream, apart
// from times, ports, the User-Agent value and error wording — and the departures listed in
// trace-semantics "Our decisions". Skipped when Go is not installed.
#include <algorithm>
#include <filesystem>
#include <regex>

#include <gtest/gtest.h>

#include "cli/cli_runner.hpp"
#include "support/dnsmasq.hpp"
#include "support/nginx.hpp"
#include "support/pki.hpp"
#include "support/script_server.hpp"
#include "support/temp_dir.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;

class EventsVersusGo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (run_command({"/usr/bin/env", "go", "version"}).exit_code != 0) return;
    dir_ = new TempDir("go-events");
    std::string binary = (dir_->path() / "go-events").string();
    auto built = run_command({"/usr/bin/env", "GOFLAGS=-mod=mod", "go", "build", "-o", binary, "."},
                             HTTPTRACE_GO_EVENTS_DIR);
    if (built.exit_code == 0) go_events_ = binary;
    else build_error_ = built.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (go_events_.empty() && build_error_.empty()) GTEST_SKIP() << "Go is not installed";
    ASSERT_TRUE(build_error_.empty()) << build_error_;
  }

  // Our stream and Go's for the same arguments, normalised.
  void expect_same_stream(std::vector<std::string> args, const std::string& url) {
    std::vector<std::string> ours_argv{cli_path(), "events"};
    ours_argv.insert(ours_argv.end(), args.begin(), args.end());
    ours_argv.push_back(url);
    std::vector<std::string> go_argv{go_events_};
    go_argv.insert(go_argv.end(), args.begin(), args.end());
    go_argv.push_back(url);
    CommandResult ours = run_command(ours_argv);
    CommandResult go = run_command(go_argv);
    EXPECT_EQ(ours.exit_code, go.exit_code) << ours.err << go.err;
    EXPECT_EQ(normalise(ours.out), normalise(go.out)) << "ours:\n" << ours.out << "\nGo:\n" << go.out;
  }

  static std::string normalise(const std::string& stream) {
    static const std::regex t_us(R"(,"t_us":\d+)");
    static const std::regex idle(R"("idle_time_us":\d+)");
    static const std::regex port(R"((127\.0\.0\.1|\[::1\]):\d+)");
    // HTTP/2 sends it lower-case (trace-semantics §5 i2).
    static const std::regex user_agent(R"re("key":"(User-Agent|user-agent)","values":\["[^"]*"\])re");
    static const std::regex err(R"("err":"(\\.|[^"\\])*")");
    static const std::regex cipher(R"("cipher_suite":"[A-Z0-9_]+")");
    std::string out = std::regex_replace(stream, t_us, "");
    out = std::regex_replace(out, idle, R"("idle_time_us":0)");
    out = std::regex_replace(out, port, "$1:P");
    out = std::regex_replace(out, user_agent, R"("key":"$1","values":["UA"])");
    out = std::regex_replace(out, err, R"("err":"ERR")");
    out = std::regex_replace(out, cipher, R"("cipher_suite":"C")");  // each side picks its own
    return order_writer_before_reader(out);
  }

  // trace-semantics §2.1 item 4: Go's writer goroutine (wrote_headers, wait_100_continue,
  // wrote_request) and reader goroutine (got_first_response_byte, got_100_continue,
  // got_1xx_response) race, while ours come in the order things happened. Within each run of
  // such events, keep each chain's own order but not their interleaving: writer events first.
  static std::string order_writer_before_reader(const std::string& stream) {
    auto chain = [](const std::string& line) {
      for (const char* writer : {"wrote_headers", "wait_100_continue", "wrote_request"}) {
        if (line.find("\"event\":\"" + std::string(writer) + "\"") != std::string::npos) return 1;
      }
      for (const char* reader : {"got_first_response_byte", "got_100_continue", "got_1xx_response"}) {
        if (line.find("\"event\":\"" + std::string(reader) + "\"") != std::string::npos) return 2;
      }
      return 0;
    };
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t end; (end = stream.find('\n', start)) != std::string::npos; start = end + 1) {
      lines.push_back(stream.substr(start, end - start));
    }
    for (std::size_t i = 0; i < lines.size();) {
      std::size_t j = i;
      while (j < lines.size() && chain(lines[j]) != 0) ++j;
      std::stable_sort(lines.begin() + i, lines.begin() + j,
                       [&](const std::string& a, const std::string& b) { return chain(a) < chain(b); });
      i = j == i ? i + 1 : j;
    }
    std::string out;
    for (const std::string& line : lines) out += line + "\n";
    return out;
  }

  static inline TempDir* dir_ = nullptr;
  static inline std::string go_events_;
  static inline std::string build_error_;
};

// (a) then (c): a new connection, then the idle one reused.
TEST_F(EventsVersusGo, NewThenReusedConnection) {
  NginxServer nginx{NginxOptions{}};
  expect_same_stream({"--repeat", "2"}, nginx.base_url() + "/hello");
}

// (d) POST with a body; (k) bodiless and closing responses.
TEST_F(EventsVersusGo, PostHeadAndBodilessResponses) {
  NginxServer nginx{NginxOptions{}};
  expect_same_stream({"-d", "some body"}, nginx.base_url() + "/upload");
  expect_same_stream({"-X", "HEAD", "--repeat", "2"}, nginx.base_url() + "/static/16k.bin");
  expect_same_stream({"--repeat", "2"}, nginx.base_url() + "/status/204");
  expect_same_stream({"--repeat", "2"}, nginx.base_url() + "/close");
  expect_same_stream({"--disable-keepalive", "--repeat", "2"}, nginx.base_url() + "/hello");
  expect_same_stream({"--repeat", "2"}, nginx.base_url() + "/static/text.txt");  // transparent gzip
}

// (l) header order with assorted caller fields.
TEST_F(EventsVersusGo, HeaderFieldOrder) {
  NginxServer nginx{NginxOptions{}};
  expect_same_stream({"-H", "X-Zed: z", "-H", "X-Multi: a", "-H", "Accept: */*", "-H", "X-Multi: b", "-H",
                      "Content-Type: text/plain", "-H", "Connection: close", "-d", "x"},
                     nginx.base_url() + "/upload");
  expect_same_stream({"-H", "Host: virtual.test", "-H", "Range: bytes=0-3"}, nginx.base_url() + "/hello");
}

// (m) a redirect followed on one trace.
TEST_F(EventsVersusGo, RedirectFollowed) {
  NginxServer nginx{NginxOptions{}};
  expect_same_stream({"-L"}, nginx.base_url() + "/redirect");
  expect_same_stream({}, nginx.base_url() + "/redirect");  // not followed: the 302 is the answer
  expect_same_stream({"-L", "-X", "POST", "-d", "x"}, nginx.base_url() + "/status/303");
}

// (e1) Expect: 100-continue answered with 100 then 200; (e2) never answered (1 s timer).
TEST_F(EventsVersusGo, ExpectContinue) {
  ScriptServer server([](ServerConn& conn) {
    while (auto head = conn.read_request_head()) {
      bool silent = head->target == "/silent";
      if (!silent) conn.write("HTTP/1.1 100 Continue\r\n\r\n");
      if (!conn.read_body(*head)) return;
      conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  });
  expect_same_stream({"-H", "Expect: 100-continue", "-d", "some body"}, server.url("/continue"));
  expect_same_stream({"-H", "Expect: 100-continue", "-d", "some body"}, server.url("/silent"));
}

// (f1) 103 Early Hints; (f2) an unsolicited 100 then 103.
TEST_F(EventsVersusGo, InformationalResponses) {
  ScriptServer server([](ServerConn& conn) {
    while (auto request = conn.read_request()) {
      if (request->target == "/unsolicited") conn.write("HTTP/1.1 100 Continue\r\n\r\n");
      conn.write("HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\nLink: </b>\r\n\r\n"
                 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  });
  expect_same_stream({"--repeat", "2"}, server.url("/hints"));
  expect_same_stream({}, server.url("/unsolicited"));
}

// (g) connection refused.
TEST_F(EventsVersusGo, ConnectionRefused) {
  std::string url;
  {
    ScriptServer closed([](ServerConn&) {});
    url = closed.url("/");
  }
  expect_same_stream({}, url);
}

// (i1), (i1b) a new TLS connection, then the idle one reused; (i3) an unknown authority.
TEST_F(EventsVersusGo, TlsNewThenReused) {
  TestPki pki;
  CertFiles leaf = pki.localhost_server();
  NginxOptions options;
  options.tls = NginxTlsOptions{};
  options.tls->certificate = leaf.chain;
  options.tls->private_key = leaf.key;
  NginxServer nginx{options};
  expect_same_stream({"--cacert", pki.ca_cert().string(), "--repeat", "2"}, nginx.tls_base_url() + "/hello");
  expect_same_stream({}, nginx.tls_base_url() + "/hello");
}

// (i2) HTTP/2 negotiated through ALPN (Go 1.19 offers "h2" by default): a new connection, then
// the same one for the next stream; transparent gzip. (No upload: nginx answers /upload without
// reading the body, and Go's body writer then races the answer — "http2: aborting request body
// write" or not, run by run.)
TEST_F(EventsVersusGo, Http2OverAlpnNewThenReused) {
  TestPki pki;
  CertFiles leaf = pki.localhost_server();
  NginxOptions options;
  options.tls = NginxTlsOptions{};
  options.tls->certificate = leaf.chain;
  options.tls->private_key = leaf.key;
  options.tls->http2 = true;
  NginxServer nginx{options};
  const std::string ca = pki.ca_cert().string();
  expect_same_stream({"--cacert", ca, "--repeat", "2"}, nginx.tls_base_url() + "/hello");
  expect_same_stream({"--cacert", ca, "--repeat", "2"}, nginx.tls_base_url() + "/static/text.txt");
}

// (b) a name answered by a loopback DNS server, (h) NXDOMAIN — both sides asking dnsmasq.
TEST_F(EventsVersusGo, NamesThroughALoopbackDnsServer) {
  if (!Dnsmasq::available()) GTEST_SKIP() << "dnsmasq is not installed";
  NginxServer nginx{NginxOptions{}};
  Dnsmasq dns("127.0.0.1 app.test\n");
  const std::string port = std::to_string(nginx.port());
  expect_same_stream({"--dns-servers", dns.server(), "--repeat", "2"}, "http://app.test:" + port + "/hello");
  expect_same_stream({"--dns-servers", dns.server()}, "http://nx.test:" + port + "/hello");
}

// (n) the reused connection dies after reading the second request: a GET is retried.
TEST_F(EventsVersusGo, RetryOnDeadReusedConnection) {
  {
    ScriptServer server([](ServerConn& conn) {
      if (conn.id() % 2 == 0) {  // each client's first connection dies after one answer
        if (!conn.read_request()) return;
        conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        conn.read_request();
        conn.close();
        return;
      }
      while (conn.read_request()) conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    });
    expect_same_stream({"--repeat", "2"}, server.url("/"));
  }
}

}  // namespace
}  // namespace httptrace::testing
