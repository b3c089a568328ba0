// The protocol flags (--http2, --http1.1, --http2-prior-knowledge) through the built binary:
// `stat` reports the protocol ALPN picked, `load` names it and multiplexes its workers over one
// HTTP/2 connection — against nginx with http2 on and nghttpd (h2c with prior knowledge).
#include "cli/cli_json.hpp"

#include <gtest/gtest.h>

#include "http2/nghttpd.hpp"
#include "support/nginx.hpp"
#include "support/pki.hpp"

namespace httptrace::testing {
namespace {

using nlohmann::json;

class Http2Cli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = std::make_unique<TestPki>();
    leaf_ = pki_->localhost_server();
    NginxOptions options;
    options.tls = NginxTlsOptions{};
    options.tls->certificate = leaf_.chain;
    options.tls->private_key = leaf_.key;
    options.tls->http2 = true;
    nginx_ = std::make_unique<NginxServer>(options);
  }
  static void TearDownTestSuite() {
    nginx_.reset();
    pki_.reset();
  }

  static json run_json(std::vector<std::string> args) {
    CommandResult result = run_cli(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    std::vector<json> lines = json_lines(result.out);
    EXPECT_EQ(lines.size(), 1u) << result.out;
    return lines.empty() ? json() : lines.front();
  }
  static std::string ca() { return pki_->ca_cert().string(); }
  static std::string url() { return nginx_->tls_base_url() + "/hello"; }

  static inline std::unique_ptr<TestPki> pki_;
  static inline CertFiles leaf_;
  static inline std::unique_ptr<NginxServer> nginx_;
};

TEST_F(Http2Cli, StatSpeaksHttp2ToAnH2ServerByDefault) {
  for (const char* flag : {"--http2", ""}) {
    std::vector<std::string> args{"stat", "--json", "--cacert", ca(), url()};
    if (*flag != '\0') args.insert(args.begin() + 2, flag);
    const json j = run_json(args);
    EXPECT_EQ(j.at("proto"), "HTTP/2.0") << j.dump();
    EXPECT_EQ(j.at("tls").at("alpn"), "h2") << j.dump();
    EXPECT_EQ(j.at("status"), 200);
  }
}

TEST_F(Http2Cli, StatWithHttp11SpeaksHttp11) {
  const json j = run_json({"stat", "--json", "--http1.1", "--cacert", ca(), url()});
  EXPECT_EQ(j.at("proto"), "HTTP/1.1") << j.dump();
  EXPECT_EQ(j.at("tls").at("alpn"), "http/1.1") << j.dump();
}

TEST_F(Http2Cli, StatPrettyViewNamesTheProtocol) {
  CommandResult result = run_cli({"stat", "--cacert", ca(), url()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("HTTP/2.0 200"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("ALPN h2"), std::string::npos) << result.out;
}

TEST_F(Http2Cli, LoadMultiplexesItsWorkersOverOneHttp2Connection) {
  const json j = run_json({"load", "--json", "-n", "300", "-c", "16", "--cacert", ca(), url()});
  EXPECT_EQ(j.at("protocol"), "HTTP/2.0") << j.dump();
  EXPECT_EQ(j.at("requests"), 300);
  EXPECT_EQ(j.at("errors"), 0);
  EXPECT_EQ(j.at("connections").at("new"), 1) << j.at("connections").dump();
  EXPECT_EQ(j.at("connections").at("reused"), 299) << j.at("connections").dump();
}

// One loop thread (-t 1) starts all four requests at once: four connections, deterministically.
TEST_F(Http2Cli, LoadWithHttp11GivesEachWorkerItsOwnConnection) {
  const json j = run_json(
      {"load", "--json", "--http1.1", "-n", "64", "-c", "4", "-t", "1", "--cacert", ca(), url()});
  EXPECT_EQ(j.at("protocol"), "HTTP/1.1") << j.dump();
  EXPECT_EQ(j.at("errors"), 0);
  EXPECT_EQ(j.at("connections").at("new"), 4) << j.at("connections").dump();
}

TEST_F(Http2Cli, LoadAndStatSpeakH2cWithPriorKnowledge) {
  NghttpdServer nghttpd(NghttpdOptions{});
  const std::string plain = "http://127.0.0.1:" + std::to_string(nghttpd.port()) + "/hello.txt";
  const json stat = run_json({"stat", "--json", "--http2-prior-knowledge", plain});
  EXPECT_EQ(stat.at("proto"), "HTTP/2.0") << stat.dump();
  const json load =
      run_json({"load", "--json", "--http2-prior-knowledge", "-n", "100", "-c", "8", plain});
  EXPECT_EQ(load.at("protocol"), "HTTP/2.0") << load.dump();
  EXPECT_EQ(load.at("errors"), 0) << load.dump();
  EXPECT_EQ(load.at("connections").at("new"), 1) << load.at("connections").dump();
}

TEST_F(Http2Cli, Http11ContradictingHttp2IsAUsageError) {
  CommandResult result = run_cli({"stat", "--http1.1", "--http2-prior-knowledge", url()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--http1.1"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace httptrace::testing
