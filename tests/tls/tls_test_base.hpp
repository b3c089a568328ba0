#pragma once
// The fixture shared by the TLS test files: one test PKI per suite, nginx servers with a given
// leaf, client configs that trust the test CA, and handshakes recorded by a TlsHookLog.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/nginx.hpp"
#include "support/pki.hpp"
#include "tls/client_config.hpp"
#include "tls/tls_fixtures.hpp"
#include "tls/tls_stream.hpp"

namespace httptrace::testing {

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = std::make_unique<TestPki>(); }
  static void TearDownTestSuite() { pki_.reset(); }
  static TestPki& pki() { return *pki_; }

  // nginx serving `leaf` over TLS (and plain HTTP on its own port), with /sni answering
  // "sni=<the SNI the client sent>".
  static std::unique_ptr<NginxServer> start_nginx(const CertFiles& leaf,
                                                  std::string protocols = "TLSv1.2 TLSv1.3",
                                                  std::string extra = "") {
    NginxOptions options;
    options.tls = NginxTlsOptions{};
    options.tls->certificate = leaf.chain;
    options.tls->private_key = leaf.key;
    options.tls->protocols = std::move(protocols);
    options.extra_server_config =
        "location = /sni { return 200 \"sni=$ssl_server_name\\n\"; }\n" + extra;
    return std::make_unique<NginxServer>(options);
  }

  static TlsOptions trusting_test_ca() {
    TlsOptions options;
    options.ca_file = pki().ca_cert().string();
    return options;
  }

  static std::shared_ptr<tls::ClientConfig> make_config(const TlsOptions& options,
                                                        std::vector<std::string> alpn = {}) {
    auto config = tls::ClientConfig::make(options, std::move(alpn));
    if (!config) throw std::runtime_error("ClientConfig::make: " + config.error().message());
    return *config;
  }

  Result<std::unique_ptr<net::Stream>> connect(
      std::uint16_t port, const tls::ClientConfig& config, const std::string& host,
      const Context& ctx = background(),
      std::chrono::nanoseconds timeout = std::chrono::seconds(10)) {
    trace_ = log.trace();
    return tls::handshake(connect_tcp(port), config, tls::HandshakeParams{host, port, timeout}, ctx,
                          &trace_);
  }

  // The handshake failed with ErrorCode::tls of `kind`, its message containing `text`, and the
  // hooks saw start, then done with an empty state and the same error.
  void expect_tls_failure(const Result<std::unique_ptr<net::Stream>>& result, std::string_view kind,
                          std::string_view text) {
    ASSERT_FALSE(result.has_value()) << "the handshake succeeded";
    const Error& error = result.error();
    EXPECT_EQ(error.code(), ErrorCode::tls) << error.message();
    EXPECT_EQ(error.tls_kind(), kind) << error.message();
    EXPECT_NE(error.message().find(text), std::string::npos) << error.message();
    EXPECT_EQ(error.op(), "tls handshake");
    expect_failed_hooks(error);
  }

  void expect_failed_hooks(const Error& error) {
    EXPECT_EQ(log.events(), (std::vector<std::string>{"start", "done err"}));
    const auto dones = log.dones();
    ASSERT_EQ(dones.size(), 1u);
    EXPECT_TRUE(is_empty(dones[0].state));
    EXPECT_EQ(dones[0].error, error.message());
    EXPECT_EQ(dones[0].thread, std::this_thread::get_id());
  }

  TlsHookLog log;

 private:
  static inline std::unique_ptr<TestPki> pki_;
  ClientTrace trace_;
};

}  // namespace httptrace::testing
