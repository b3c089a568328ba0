// `httptrace stat` against nginx on loopback: the JSON contract (docs/cli.md "stat --json"),
// the phase arithmetic of timeline.md for fresh, reused, redirected, TLS and failed requests,
// HAR 1.2, -o, --slo and the pretty view's contents.
#include "cli/cli_json.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/dnsmasq.hpp"
#include "support/loopback.hpp"
#include "support/nginx.hpp"
#include "support/nginx_content.hpp"
#include "support/pki.hpp"
#include "support/temp_dir.hpp"

namespace httptrace::testing {
namespace {

using nlohmann::json;

// A port bound but not listening while it lives: connecting to it is refused.
class RefusingPort {
 public:
  RefusingPort() : fd_(bind_loopback(Loopback::ipv4, 0, -1).value()) {}
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(local_port(fd_.get())) + "/";
  }

 private:
  UniqueFd fd_;
};

json stat_json(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"stat", "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult result = run_cli(argv);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::vector<json> lines = json_lines(result.out);
  EXPECT_EQ(lines.size(), 1u) << result.out;
  return lines.empty() ? json() : lines.front();
}

// timeline.md: phases add up to the total (the contract says within 1%; they are whole
// microseconds, so exact up to printing) and present marks are in order.
void expect_consistent(const json& hop) {
  const json& t = hop.at("timings_ms");
  const double total = t.at("total").get<double>();
  EXPECT_NEAR(sum_of_phases(t), total, std::max(0.01 * total, 0.0015)) << hop.dump();
  const json& m = hop.at("marks_ms");
  EXPECT_DOUBLE_EQ(m.at("total").get<double>(), total);
  double last = 0;
  for (const char* key :
       {"namelookup", "connect", "appconnect", "pretransfer", "starttransfer", "total"}) {
    if (m.at(key).is_null()) continue;
    EXPECT_GE(m.at(key).get<double>(), last) << key << " in " << m.dump();
    last = m.at(key).get<double>();
  }
  if (!m.at("posttransfer").is_null()) {
    EXPECT_GE(m.at("posttransfer").get<double>(), m.at("pretransfer").get<double>());
    EXPECT_LE(m.at("posttransfer").get<double>(), m.at("total").get<double>());
  }
}

class StatCommand : public ::testing::Test {
 protected:
  NginxServer nginx{NginxOptions{}};
  TempDir dir{"stat-test"};
};

TEST_F(StatCommand, JsonCarriesEveryContractField) {
  const json j = stat_json({nginx.base_url() + "/hello"});
  EXPECT_EQ(j.at("schema_version"), 1);
  EXPECT_EQ(j.at("url"), nginx.base_url() + "/hello");
  EXPECT_EQ(j.at("status"), 200);
  EXPECT_EQ(j.at("proto"), "HTTP/1.1");
  EXPECT_EQ(j.at("remote_addr"), "127.0.0.1:" + std::to_string(nginx.port()));
  EXPECT_TRUE(j.at("local_addr").get<std::string>().starts_with("127.0.0.1:"));
  EXPECT_EQ(j.at("reused"), false);
  EXPECT_TRUE(j.at("tls").is_null());
  for (const char* key :
       {"pool_wait", "dns", "connect", "tls", "send", "wait", "receive", "total"}) {
    EXPECT_TRUE(j.at("timings_ms").contains(key)) << key;
  }
  for (const char* key : {"namelookup", "connect", "appconnect", "pretransfer", "posttransfer",
                          "starttransfer", "total"}) {
    EXPECT_TRUE(j.at("marks_ms").contains(key)) << key;
  }
  // An IP literal needs no lookup and plain HTTP no handshake: absent, not 0.
  EXPECT_TRUE(j.at("timings_ms").at("dns").is_null());
  EXPECT_TRUE(j.at("timings_ms").at("tls").is_null());
  EXPECT_TRUE(j.at("marks_ms").at("appconnect").is_null());
  EXPECT_FALSE(j.at("timings_ms").at("connect").is_null());
  EXPECT_EQ(j.at("redirect_ms"), 0.0);
  EXPECT_EQ(j.at("body_bytes"), 12);
  EXPECT_EQ(j.at("headers").at("Content-Length"), json::array({"12"}));
  ASSERT_EQ(j.at("hops").size(), 1u);
  EXPECT_EQ(j.at("hops")[0].at("timings_ms"), j.at("timings_ms"));
  expect_consistent(j);
}

TEST_F(StatCommand, RepeatShowsColdThenWarmOnOneConnection) {
  CommandResult result = run_cli({"stat", "--json", "--repeat", "2", nginx.base_url() + "/hello"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<json> lines = json_lines(result.out);
  ASSERT_EQ(lines.size(), 2u);
  const json& cold = lines[0];
  const json& warm = lines[1];
  EXPECT_EQ(cold.at("request"), 0);
  EXPECT_EQ(warm.at("request"), 1);
  EXPECT_EQ(cold.at("reused"), false);
  EXPECT_EQ(warm.at("reused"), true);
  EXPECT_EQ(cold.at("connection_id"), warm.at("connection_id"));
  EXPECT_FALSE(cold.at("timings_ms").at("connect").is_null());
  EXPECT_TRUE(warm.at("timings_ms").at("connect").is_null());
  EXPECT_TRUE(warm.at("marks_ms").at("connect").is_null());
  EXPECT_GE(warm.at("idle_ms").get<double>(), 0.0);
  expect_consistent(cold);
  expect_consistent(warm);
}

TEST_F(StatCommand, RedirectGivesOneHopEachAndTheTimeBeforeTheFinalOne) {
  const json j = stat_json({"-L", nginx.base_url() + "/redirect"});
  ASSERT_EQ(j.at("hops").size(), 2u);
  const json& first = j.at("hops")[0];
  const json& second = j.at("hops")[1];
  EXPECT_EQ(first.at("status"), 302);
  EXPECT_EQ(first.at("url"), nginx.base_url() + "/redirect");
  EXPECT_EQ(second.at("status"), 200);
  EXPECT_EQ(j.at("status"), 200);
  EXPECT_EQ(j.at("url"), nginx.base_url() + "/hello");
  EXPECT_EQ(second.at("reused"), true);
  // An intermediate hop ends where the next one starts (timeline.md "Hops").
  EXPECT_NEAR(j.at("redirect_ms").get<double>(), first.at("timings_ms").at("total").get<double>(),
              0.0015);
  EXPECT_NEAR(j.at("time_total_ms").get<double>(),
              j.at("redirect_ms").get<double>() + j.at("timings_ms").at("total").get<double>(),
              0.0015);
  expect_consistent(first);
  expect_consistent(second);
}

TEST_F(StatCommand, WithoutFollowingTheRedirectIsTheResponse) {
  const json j = stat_json({nginx.base_url() + "/redirect"});
  EXPECT_EQ(j.at("status"), 302);
  EXPECT_EQ(j.at("hops").size(), 1u);
}

TEST_F(StatCommand, NameLookupShowsAsTheDnsPhase) {
  if (!Dnsmasq::available()) GTEST_SKIP() << "dnsmasq is not installed";
  Dnsmasq dns("127.0.0.1 app.test\n");
  const json j = stat_json({"--dns-servers", dns.server(),
                            "http://app.test:" + std::to_string(nginx.port()) + "/hello"});
  EXPECT_FALSE(j.at("timings_ms").at("dns").is_null());
  EXPECT_FALSE(j.at("marks_ms").at("namelookup").is_null());
  expect_consistent(j);
}

TEST_F(StatCommand, FailedRequestExitsOneWithTheErrorAndWhatWasMeasured) {
  RefusingPort refusing;
  CommandResult result = run_cli({"stat", "--json", refusing.url()});
  EXPECT_EQ(result.exit_code, 1);
  std::vector<json> lines = json_lines(result.out);
  ASSERT_EQ(lines.size(), 1u) << result.out;
  const json& j = lines[0];
  EXPECT_TRUE(j.at("status").is_null());
  EXPECT_NE(j.at("error").get<std::string>().find("refused"), std::string::npos) << j.dump();
  EXPECT_TRUE(j.at("timings_ms").at("wait").is_null());
  EXPECT_GE(j.at("timings_ms").at("total").get<double>(), 0.0);
}

TEST_F(StatCommand, BodyGoesToTheOutputFileNotToTheTerminal) {
  const std::string file = (dir / "body.bin").string();
  CommandResult result = run_cli({"stat", "-o", file, nginx.base_url() + "/static/16k.bin"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(read_file(file), static_file_content("16k.bin"));
  EXPECT_NE(result.out.find("Body stored in " + file), std::string::npos) << result.out;
  EXPECT_EQ(result.out.find(static_file_content("16k.bin").substr(0, 64)), std::string::npos);
}

TEST_F(StatCommand, PrettyViewShowsPhasesMarksStatusAndHeadersWithoutColourOnAPipe) {
  CommandResult result = run_cli({"stat", "--repeat", "2", nginx.base_url() + "/hello"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* text :
       {"DNS lookup", "TCP connect", "Pool wait", "Request send", "Server processing",
        "Content transfer", "namelookup", "pretransfer", "starttransfer", "Total",
        "HTTP/1.1 200 OK", "Content-Length: 12", "Connected to 127.0.0.1:", "Reused connection",
        "Summary of 2 requests", "Body discarded (12 B)"}) {
    EXPECT_NE(result.out.find(text), std::string::npos) << text << " in\n" << result.out;
  }
  // Plain HTTP: no TLS row (httpstat's layout); a pipe: no escape codes.
  EXPECT_EQ(result.out.find("TLS handshake"), std::string::npos);
  EXPECT_EQ(result.out.find("\x1b["), std::string::npos);
}

TEST_F(StatCommand, SloViolationExitsFourAndNamesTheLimit) {
  CommandResult violated =
      run_cli({"stat", "--slo", "total=1us,dns=10s", nginx.base_url() + "/hello"});
  EXPECT_EQ(violated.exit_code, 4);
  EXPECT_NE(violated.err.find("SLO violated (request 1): total"), std::string::npos)
      << violated.err;
  EXPECT_EQ(violated.err.find("dns"), std::string::npos) << violated.err;

  CommandResult met =
      run_cli({"stat", "--slo", "total=60s,ttfb=60000", nginx.base_url() + "/hello"});
  EXPECT_EQ(met.exit_code, 0) << met.err;

  CommandResult as_json =
      run_cli({"stat", "--json", "--slo", "ttfb=1us", nginx.base_url() + "/hello"});
  EXPECT_EQ(as_json.exit_code, 4);
  const json j = json::parse(as_json.out);
  EXPECT_EQ(j.at("slo").at("passed"), false);
  EXPECT_EQ(j.at("slo").at("violations")[0].at("key"), "ttfb");
}

// HAR 1.2 (tool-anchors §5.6): every required field, `time` = the sum of the non-negative
// phases without ssl, and `connection` showing the reuse.
TEST_F(StatCommand, HarHasEveryRequiredFieldAndTimeIsTheSumOfItsPhases) {
  const std::string file = (dir / "trace.har").string();
  CommandResult result =
      run_cli({"stat", "-L", "--repeat", "2", "--har", file, nginx.base_url() + "/redirect"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json har = json::parse(read_file(file), nullptr, false);
  ASSERT_FALSE(har.is_discarded());
  const json& log = har.at("log");
  EXPECT_EQ(log.at("version"), "1.2");
  EXPECT_TRUE(log.at("creator").at("name").is_string());
  EXPECT_TRUE(log.at("creator").at("version").is_string());
  const json& entries = log.at("entries");
  ASSERT_EQ(entries.size(), 4u);  // 2 requests × 2 hops
  for (const json& e : entries) {
    for (const char* key : {"startedDateTime", "time", "request", "response", "cache", "timings"}) {
      EXPECT_TRUE(e.contains(key)) << key << " in " << e.dump();
    }
    const json& req = e.at("request");
    for (const char* key : {"method", "url", "httpVersion", "cookies", "headers", "queryString",
                            "headersSize", "bodySize"}) {
      EXPECT_TRUE(req.contains(key)) << key;
    }
    const json& resp = e.at("response");
    for (const char* key : {"status", "statusText", "httpVersion", "cookies", "headers", "content",
                            "redirectURL", "headersSize", "bodySize"}) {
      EXPECT_TRUE(resp.contains(key)) << key;
    }
    EXPECT_TRUE(resp.at("content").contains("size"));
    EXPECT_TRUE(resp.at("content").contains("mimeType"));
    const json& t = e.at("timings");
    double sum = 0;
    for (const char* key : {"blocked", "dns", "connect", "send", "wait", "receive"}) {
      if (!t.contains(key)) continue;
      const double value = t.at(key).get<double>();
      EXPECT_TRUE(value >= 0 || value == -1) << key << "=" << value;
      if (value >= 0) sum += value;
    }
    for (const char* key : {"send", "wait", "receive"})
      EXPECT_GE(t.at(key).get<double>(), 0) << key;
    EXPECT_NEAR(e.at("time").get<double>(), sum, 0.0015) << e.dump();
    EXPECT_TRUE(e.contains("connection"));
  }
  // Every hop of both requests rode the connection the first one dialed.
  EXPECT_EQ(entries[0].at("response").at("status"), 302);
  EXPECT_EQ(entries[1].at("response").at("status"), 200);
  for (const json& e : entries) EXPECT_EQ(e.at("connection"), entries[0].at("connection"));
  EXPECT_GE(entries[0].at("timings").at("connect").get<double>(), 0);
  EXPECT_EQ(entries[1].at("timings").at("connect").get<double>(), -1);
}

class StatOverTls : public ::testing::Test {
 protected:
  StatOverTls() {
    NginxOptions options;
    options.tls = NginxTlsOptions{};
    options.tls->certificate = leaf.chain;
    options.tls->private_key = leaf.key;
    nginx = std::make_unique<NginxServer>(options);
  }
  TestPki pki;
  CertFiles leaf = pki.localhost_server();
  std::unique_ptr<NginxServer> nginx;
};

TEST_F(StatOverTls, TlsObjectNamesVersionCipherAlpnAndCertificate) {
  CommandResult result = run_cli({"stat", "--json", "--repeat", "2", "--cacert",
                                  pki.ca_cert().string(), nginx->tls_base_url() + "/hello"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<json> lines = json_lines(result.out);
  ASSERT_EQ(lines.size(), 2u);
  for (const json& j : lines) {
    const json& tls = j.at("tls");
    ASSERT_TRUE(tls.is_object()) << j.dump();
    EXPECT_TRUE(tls.at("version") == "TLS 1.3" || tls.at("version") == "TLS 1.2") << tls.dump();
    EXPECT_TRUE(tls.at("cipher_suite").get<std::string>().starts_with("TLS_")) << tls.dump();
    EXPECT_TRUE(tls.contains("alpn"));
    // The warm request's connection was dialed by the cold one; its certificate still shows.
    EXPECT_NE(tls.at("subject").get<std::string>().find("CN="), std::string::npos) << tls.dump();
    EXPECT_NE(tls.at("issuer").get<std::string>().find("httptrace test CA"), std::string::npos)
        << tls.dump();
    EXPECT_TRUE(tls.at("not_after").get<std::string>().ends_with("Z"));
    expect_consistent(j);
  }
  EXPECT_FALSE(lines[0].at("timings_ms").at("tls").is_null());
  EXPECT_FALSE(lines[0].at("marks_ms").at("appconnect").is_null());
  EXPECT_TRUE(lines[1].at("timings_ms").at("tls").is_null());
}

TEST_F(StatOverTls, PrettyViewShowsTheHandshakeAndCertificate) {
  CommandResult result =
      run_cli({"stat", "--cacert", pki.ca_cert().string(), nginx->tls_base_url() + "/hello"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* text : {"TLS handshake", "appconnect", "Certificate ", "issued by ", "ALPN "}) {
    EXPECT_NE(result.out.find(text), std::string::npos) << text << " in\n" << result.out;
  }
}

TEST_F(StatOverTls, UntrustedCertificateFailsTheRequest) {
  CommandResult result = run_cli({"stat", "--json", nginx->tls_base_url() + "/hello"});
  EXPECT_EQ(result.exit_code, 1);
  std::vector<json> lines = json_lines(result.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].at("error").is_string());
  EXPECT_FALSE(lines[0].at("timings_ms").at("connect").is_null());
}

}  // namespace
}  // namespace httptrace::testing
