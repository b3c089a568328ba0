#include "support/pki.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "support/fd_count.hpp"
#include "support/temp_dir.hpp"

namespace httptrace::testing {
namespace {

struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
using CertPtr = std::unique_ptr<X509, X509Free>;

std::vector<CertPtr> load_certs(const std::filesystem::path& path) {
  std::vector<CertPtr> certs;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"), &BIO_free);
  if (!bio) throw std::runtime_error("cannot open " + path.string());
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
    certs.emplace_back(cert);
  return certs;
}

CertPtr load_cert(const std::filesystem::path& path) {
  auto certs = load_certs(path);
  if (certs.empty()) throw std::runtime_error("no certificate in " + path.string());
  return std::move(certs.front());
}

// X509_V_OK or the verifier's error for `leaf` against the trust anchor `ca`, checking the
// purpose (TLS server or client) as a TLS stack would.
int verify(const std::filesystem::path& leaf, const std::filesystem::path& ca,
           int purpose = X509_PURPOSE_SSL_SERVER) {
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
  if (X509_STORE_load_file(store.get(), ca.c_str()) != 1) throw std::runtime_error("load CA");
  CertPtr cert = load_cert(leaf);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      &X509_STORE_CTX_free);
  X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  return X509_verify_cert(ctx.get()) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx.get());
}

class Pki : public ::testing::Test {
 protected:
  TestPki pki_;
};

TEST_F(Pki, LocalhostServerVerifiesAgainstTheCa) {
  const CertFiles leaf = pki_.localhost_server();
  EXPECT_EQ(verify(leaf.cert, pki_.ca_cert()), X509_V_OK);
  const CertPtr cert = load_cert(leaf.cert);
  EXPECT_EQ(
      X509_check_host(cert.get(), "localhost", 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "example.com", 0, 0, nullptr), 0);
}

TEST_F(Pki, ChosenSansAreTheOnlyNames) {
  CertSpec spec;
  spec.name = "multi";
  spec.dns_names = {"a.test", "*.wild.test"};
  spec.ip_addresses = {"127.0.0.2"};
  const CertPtr cert = load_cert(pki_.issue(spec).cert);
  EXPECT_EQ(X509_check_host(cert.get(), "a.test", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "x.wild.test", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.2", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 0);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 0);
}

TEST_F(Pki, ExpiredServerFailsWithCertHasExpired) {
  EXPECT_EQ(verify(pki_.expired_server().cert, pki_.ca_cert()), X509_V_ERR_CERT_HAS_EXPIRED);
}

TEST_F(Pki, NotYetValidServerFailsWithCertNotYetValid) {
  EXPECT_EQ(verify(pki_.not_yet_valid_server().cert, pki_.ca_cert()),
            X509_V_ERR_CERT_NOT_YET_VALID);
}

TEST_F(Pki, OtherCaServerFailsAgainstTheCaAndVerifiesAgainstItsOwn) {
  const CertFiles leaf = pki_.other_ca_server();
  EXPECT_EQ(verify(leaf.cert, pki_.ca_cert()), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_EQ(verify(leaf.cert, pki_.other_ca_cert()), X509_V_OK);
}

TEST_F(Pki, SelfSignedServerFailsWithDepthZeroSelfSigned) {
  EXPECT_EQ(verify(pki_.self_signed_server().cert, pki_.ca_cert()),
            X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
}

TEST_F(Pki, CnOnlyServerHasNoSubjectAltName) {
  const CertFiles leaf = pki_.cn_only_server("cn.test");
  EXPECT_EQ(verify(leaf.cert, pki_.ca_cert()), X509_V_OK);
  const CertPtr cert = load_cert(leaf.cert);
  EXPECT_EQ(X509_get_ext_by_NID(cert.get(), NID_subject_alt_name, -1), -1);
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn);
  EXPECT_STREQ(cn, "cn.test");
  // Only a verifier that still falls back to the CN accepts it for the host name.
  EXPECT_EQ(X509_check_host(cert.get(), "cn.test", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "cn.test", 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, nullptr),
            0);
}

TEST_F(Pki, ClientCertificateIsForClientAuthOnly) {
  const CertFiles client = pki_.client("alice");
  EXPECT_EQ(verify(client.cert, pki_.ca_cert(), X509_PURPOSE_SSL_CLIENT), X509_V_OK);
  EXPECT_EQ(verify(client.cert, pki_.ca_cert(), X509_PURPOSE_SSL_SERVER),
            X509_V_ERR_INVALID_PURPOSE);
}

TEST_F(Pki, ServerCertificateIsForServerAuthOnly) {
  const CertFiles server = pki_.localhost_server();
  EXPECT_EQ(verify(server.cert, pki_.ca_cert(), X509_PURPOSE_SSL_CLIENT),
            X509_V_ERR_INVALID_PURPOSE);
}

TEST_F(Pki, ChainHoldsTheLeafThenItsIssuer) {
  const CertFiles leaf = pki_.localhost_server();
  const auto chain = load_certs(leaf.chain);
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(X509_cmp(chain[0].get(), load_cert(leaf.cert).get()), 0);
  EXPECT_EQ(X509_cmp(chain[1].get(), load_cert(pki_.ca_cert()).get()), 0);
  EXPECT_EQ(load_certs(pki_.self_signed_server().chain).size(), 1u);
}

TEST_F(Pki, KeyFilesMatchTheirCertificates) {
  for (const CertFiles& files : {pki_.localhost_server(), pki_.client()}) {
    const CertPtr cert = load_cert(files.cert);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(files.key.c_str(), "r"), &BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  }
}

TEST_F(Pki, RsaKeysAreAvailable) {
  CertSpec spec;
  spec.name = "rsa";
  spec.dns_names = {"localhost"};
  spec.key = KeyType::rsa_2048;
  const CertFiles leaf = pki_.issue(spec);
  const CertPtr cert = load_cert(leaf.cert);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(cert.get())), EVP_PKEY_RSA);
  EXPECT_EQ(verify(leaf.cert, pki_.ca_cert()), X509_V_OK);
}

TEST_F(Pki, SerialsDiffer) {
  const CertPtr a = load_cert(pki_.localhost_server("a").cert);
  const CertPtr b = load_cert(pki_.localhost_server("b").cert);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(a.get()), X509_get0_serialNumber(b.get())), 0);
}

TEST_F(Pki, AnAddressThatIsNotAnIpIsRejected) {
  CertSpec spec;
  spec.name = "bad";
  spec.ip_addresses = {"localhost"};
  EXPECT_THROW(pki_.issue(spec), std::invalid_argument);
}

TEST(PkiLifetime, DestructionRemovesTheFilesAndHoldsNoDescriptor) {
  const int baseline = open_fd_count();
  std::filesystem::path dir;
  {
    TestPki pki;
    dir = pki.dir();
    ASSERT_TRUE(std::filesystem::exists(pki.ca_cert()));
    pki.localhost_server();
    EXPECT_EQ(open_fd_count(), baseline);
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_EQ(open_fd_count(), baseline);
}

}  // namespace
}  // namespace httptrace::testing
