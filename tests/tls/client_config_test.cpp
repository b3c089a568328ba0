#include "tls/client_config.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "tls/tls_test_base.hpp"

namespace httptrace::testing {
namespace {

class ClientConfigTest : public TlsTest {
 protected:
  static void expect_config_error(const TlsOptions& options, std::string_view text) {
    auto config = tls::ClientConfig::make(options, {});
    ASSERT_FALSE(config.has_value()) << "made a config";
    EXPECT_EQ(config.error().code(), ErrorCode::tls);
    EXPECT_EQ(config.error().tls_kind(), "config");
    EXPECT_NE(config.error().message().find(text), std::string::npos) << config.error().message();
  }
  TempDir dir{"tls-config"};
};

TEST_F(ClientConfigTest, DefaultOptionsUseTheSystemTrustStore) {
  auto config = tls::ClientConfig::make(TlsOptions{}, {});
  ASSERT_TRUE(config.has_value()) << config.error().message();
  EXPECT_TRUE((*config)->verifies());
  EXPECT_EQ((*config)->min_version(), 0x0303);
  EXPECT_EQ((*config)->max_version(), 0);
  EXPECT_NE((*config)->session_cache(), nullptr);
  EXPECT_TRUE((*config)->alpn().empty());
}

TEST_F(ClientConfigTest, MissingCaFileIsNamedInTheError) {
  TlsOptions options;
  options.ca_file = (dir / "missing.pem").string();
  expect_config_error(options, "cannot read ca_file \"" + options.ca_file + "\": No such file");
}

TEST_F(ClientConfigTest, CaFileWithoutCertificatesIsNamedInTheError) {
  TlsOptions options;
  options.ca_file = (dir / "garbage.pem").string();
  write_file(options.ca_file, "not a certificate\n");
  expect_config_error(options,
                      "ca_file \"" + options.ca_file + "\" holds no usable PEM certificate");
}

TEST_F(ClientConfigTest, MissingCaDirIsNamedInTheError) {
  TlsOptions options;
  options.ca_dir = (dir / "no-such-dir").string();
  expect_config_error(options, "cannot read ca_dir \"" + options.ca_dir + "\"");
}

TEST_F(ClientConfigTest, MissingClientCertificateIsNamedInTheError) {
  TlsOptions options;
  options.cert_file = (dir / "client.crt").string();
  expect_config_error(options, "cannot read cert_file \"" + options.cert_file + "\"");
}

TEST_F(ClientConfigTest, MissingClientKeyIsNamedInTheError) {
  TlsOptions options;
  options.cert_file = pki().client().cert.string();
  options.key_file = (dir / "client.key").string();
  expect_config_error(options, "cannot read key_file \"" + options.key_file + "\"");
}

TEST_F(ClientConfigTest, KeyThatDoesNotMatchTheCertificateIsNamedInTheError) {
  TlsOptions options;
  options.cert_file = pki().client("client-a").cert.string();
  options.key_file = pki().client("client-b").key.string();
  expect_config_error(options, "does not match the certificate in \"" + options.cert_file + "\"");
}

TEST_F(ClientConfigTest, KeyInTheCertificateFileIsFound) {
  const CertFiles client = pki().client("combined");
  const std::string combined = (dir / "combined.pem").string();
  write_file(combined, read_file(client.cert) + read_file(client.key));
  TlsOptions options;
  options.cert_file = combined;
  auto config = tls::ClientConfig::make(options, {});
  EXPECT_TRUE(config.has_value()) << config.error().message();
}

TEST_F(ClientConfigTest, ContradictoryOptionsAreProgrammingErrors) {
  TlsOptions key_without_cert;
  key_without_cert.key_file = "k.pem";
  EXPECT_THROW((void)tls::ClientConfig::make(key_without_cert, {}), std::invalid_argument);
  TlsOptions unknown_version;
  unknown_version.min_version = 0x0305;
  EXPECT_THROW((void)tls::ClientConfig::make(unknown_version, {}), std::invalid_argument);
  TlsOptions inverted;
  inverted.min_version = 0x0304;
  inverted.max_version = 0x0303;
  EXPECT_THROW((void)tls::ClientConfig::make(inverted, {}), std::invalid_argument);
  TlsOptions too_old;
  too_old.max_version = 0x0302;
  EXPECT_THROW((void)tls::ClientConfig::make(too_old, {}), std::invalid_argument);
  EXPECT_THROW((void)tls::ClientConfig::make(TlsOptions{}, {""}), std::invalid_argument);
  EXPECT_THROW((void)tls::ClientConfig::make(TlsOptions{}, {std::string(256, 'p')}),
               std::invalid_argument);
}

// bad-inputs policy "Minimum TLS": 1.2 even when asked for less.
TEST_F(ClientConfigTest, MinimumVersionNeverGoesBelowTls12) {
  TlsOptions options;
  options.min_version = 0x0301;
  auto config = tls::ClientConfig::make(options, {});
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ((*config)->min_version(), 0x0303);
}

TEST_F(ClientConfigTest, AlpnArgumentWinsOverTheOptions) {
  TlsOptions options;
  options.alpn = {"http/1.1"};
  auto from_options = tls::ClientConfig::make(options, {});
  auto from_argument = tls::ClientConfig::make(options, {"h2", "http/1.1"});
  ASSERT_TRUE(from_options.has_value());
  ASSERT_TRUE(from_argument.has_value());
  EXPECT_EQ((*from_options)->alpn(), std::vector<std::string>{"http/1.1"});
  EXPECT_EQ((*from_argument)->alpn(), (std::vector<std::string>{"h2", "http/1.1"}));
}

// bad-inputs I56 and the policy's pool key: each of these must keep connections apart.
TEST_F(ClientConfigTest, IdentityDiffersForEverySecuritySetting) {
  const std::string ca = pki().ca_cert().string();
  const CertFiles client = pki().client("identity");
  auto identity = [](const TlsOptions& options, std::vector<std::string> alpn = {}) {
    auto config = tls::ClientConfig::make(options, std::move(alpn));
    if (!config) throw std::runtime_error(config.error().message());
    return (*config)->identity();
  };
  TlsOptions base;
  base.ca_file = ca;
  std::vector<TlsOptions> variants(7, base);
  variants[1].ca_file = pki().other_ca_cert().string();
  variants[2].insecure_skip_verify = true;
  variants[3].cert_file = client.cert.string();
  variants[3].key_file = client.key.string();
  variants[4].min_version = 0x0304;
  variants[5].max_version = 0x0303;
  variants[6].server_name = "other.test";
  std::vector<std::string> identities;
  for (const TlsOptions& options : variants) identities.push_back(identity(options));
  identities.push_back(identity(base, {"h2"}));
  identities.push_back(identity(base, {"h2", "http/1.1"}));
  for (std::size_t i = 0; i < identities.size(); ++i) {
    for (std::size_t j = i + 1; j < identities.size(); ++j) {
      EXPECT_NE(identities[i], identities[j]) << "variants " << i << " and " << j;
    }
  }
  EXPECT_EQ(identity(base), identity(base));
}

}  // namespace
}  // namespace httptrace::testing
