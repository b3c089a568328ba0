#include "support/pki.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "support/temp_dir.hpp"

namespace httptrace::testing {

namespace {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;

// Throws with OpenSSL's queued errors, which say what actually went wrong.
[[noreturn]] void fail(const std::string& what) {
  std::string message = "TestPki: " + what;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    message += "; ";
    message += text;
  }
  throw std::runtime_error(message);
}

template <class T>
T* check(T* p, const char* what) {
  if (p == nullptr) fail(what);
  return p;
}

void check(int ok, const char* what) {
  if (ok <= 0) fail(what);
}

KeyPtr generate_key(KeyType type) {
  EVP_PKEY* key = type == KeyType::ec_p256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
  return KeyPtr(check(key, "key generation"));
}

// 64 random bits, top bit clear: serials must be positive and unique per issuer (RFC 5280
// §4.1.2.2).
void set_random_serial(X509* cert) {
  BnPtr serial(check(BN_new(), "BN_new"));
  check(BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY), "BN_rand");
  check(BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)), "serial");
}

void set_name(X509* cert, const std::string& common_name) {
  X509_NAME* name = X509_get_subject_name(cert);
  const auto add = [&](const char* field, const std::string& value) {
    check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                     0),
          "subject name");
  };
  add("O", "httptrace tests");
  add("CN", common_name);
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr extension(check(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value), value));
  check(X509_add_ext(cert, extension.get(), -1), "X509_add_ext");
}

void add_subject_alt_names(X509* cert, const CertSpec& spec) {
  if (spec.dns_names.empty() && spec.ip_addresses.empty()) return;
  NamesPtr names(check(sk_GENERAL_NAME_new_null(), "GENERAL_NAMES"));
  for (const std::string& dns : spec.dns_names) {
    GENERAL_NAME* name = check(GENERAL_NAME_new(), "GENERAL_NAME_new");
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    if (text == nullptr || ASN1_STRING_set(text, dns.data(), static_cast<int>(dns.size())) != 1) {
      ASN1_IA5STRING_free(text);
      GENERAL_NAME_free(name);
      fail("SAN DNS name " + dns);
    }
    GENERAL_NAME_set0_value(name, GEN_DNS, text);
    sk_GENERAL_NAME_push(names.get(), name);
  }
  for (const std::string& ip : spec.ip_addresses) {
    ASN1_OCTET_STRING* address = a2i_IPADDRESS(ip.c_str());
    if (address == nullptr) {
      ERR_clear_error();
      throw std::invalid_argument("CertSpec: \"" + ip + "\" is not an IP address");
    }
    GENERAL_NAME* name = check(GENERAL_NAME_new(), "GENERAL_NAME_new");
    GENERAL_NAME_set0_value(name, GEN_IPADD, address);
    sk_GENERAL_NAME_push(names.get(), name);
  }
  check(X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT), "SAN");
}

const char* extended_key_usage(CertPurpose purpose) {
  switch (purpose) {
    case CertPurpose::server:
      return "serverAuth";
    case CertPurpose::client:
      return "clientAuth";
    case CertPurpose::server_and_client:
      return "serverAuth,clientAuth";
  }
  return "serverAuth";
}

// A certificate over `key`, valid per `spec`, signed by (issuer_cert, issuer_key) — or by
// itself when issuer_cert is null. The extensions follow the CA/Browser baseline profile
// closely enough for OpenSSL's and Go's verifiers.
CertPtr make_certificate(const CertSpec& spec, EVP_PKEY* key, bool is_ca, X509* issuer_cert,
                         EVP_PKEY* issuer_key) {
  CertPtr cert(check(X509_new(), "X509_new"));
  check(X509_set_version(cert.get(), X509_VERSION_3), "version");
  set_random_serial(cert.get());
  set_name(cert.get(), spec.common_name.empty() ? spec.name : spec.common_name);
  X509* issuer = issuer_cert != nullptr ? issuer_cert : cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)), "issuer name");
  check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.not_before.count()) != nullptr,
        "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.not_after.count()) != nullptr,
        "notAfter");
  check(X509_set_pubkey(cert.get(), key), "public key");

  add_extension(cert.get(), issuer, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
  if (is_ca) {
    add_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), issuer, NID_key_usage,
                  spec.key == KeyType::rsa_2048 ? "critical,digitalSignature,keyEncipherment"
                                                : "critical,digitalSignature");
    add_extension(cert.get(), issuer, NID_ext_key_usage, extended_key_usage(spec.purpose));
    add_subject_alt_names(cert.get(), spec);
  }
  check(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()), "X509_sign");
  return cert;
}

BioPtr open_for_writing(const std::filesystem::path& path) {
  return BioPtr(check(BIO_new_file(path.c_str(), "w"), "cannot create a PEM file"));
}

void write_certificates(const std::filesystem::path& path, std::initializer_list<X509*> certs) {
  BioPtr bio = open_for_writing(path);
  for (X509* cert : certs) check(PEM_write_bio_X509(bio.get(), cert), "PEM_write_bio_X509");
}

void write_key(const std::filesystem::path& path, EVP_PKEY* key) {
  BioPtr bio = open_for_writing(path);
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
        "PEM_write_bio_PrivateKey");
}

struct Authority {
  KeyPtr key;
  CertPtr cert;
  std::filesystem::path cert_path;
  std::filesystem::path key_path;
};

Authority make_authority(const TempDir& dir, const std::string& stem, const std::string& name) {
  CertSpec spec;
  spec.name = name;
  spec.not_after = std::chrono::hours(24 * 365 * 10);
  Authority authority;
  authority.key = generate_key(KeyType::ec_p256);
  authority.cert = make_certificate(spec, authority.key.get(), true, nullptr, nullptr);
  // A subdirectory of their own: no leaf name can overwrite a trust anchor.
  const std::filesystem::path authorities = dir / "authorities";
  std::filesystem::create_directories(authorities);
  authority.cert_path = authorities / (stem + ".crt");
  authority.key_path = authorities / (stem + ".key");
  write_certificates(authority.cert_path, {authority.cert.get()});
  write_key(authority.key_path, authority.key.get());
  return authority;
}

}  // namespace

struct TestPki::Impl {
  TempDir dir{"pki"};
  Authority ca;
  Authority other_ca;
};

TestPki::TestPki() : impl_(std::make_unique<Impl>()) {
  impl_->ca = make_authority(impl_->dir, "ca", "httptrace test CA");
  impl_->other_ca = make_authority(impl_->dir, "other-ca", "httptrace other CA");
}

TestPki::~TestPki() = default;

const std::filesystem::path& TestPki::dir() const noexcept {
  return impl_->dir.path();
}
const std::filesystem::path& TestPki::ca_cert() const noexcept {
  return impl_->ca.cert_path;
}
const std::filesystem::path& TestPki::ca_key() const noexcept {
  return impl_->ca.key_path;
}
const std::filesystem::path& TestPki::other_ca_cert() const noexcept {
  return impl_->other_ca.cert_path;
}

CertFiles TestPki::issue(const CertSpec& spec) {
  if (spec.name.empty() || spec.name.find('/') != std::string::npos) {
    throw std::invalid_argument("CertSpec: name must be a non-empty file stem");
  }
  ERR_clear_error();
  const Authority* issuer = nullptr;
  if (spec.issuer == CertIssuer::ca) issuer = &impl_->ca;
  if (spec.issuer == CertIssuer::other_ca) issuer = &impl_->other_ca;

  KeyPtr key = generate_key(spec.key);
  CertPtr cert = make_certificate(spec, key.get(), false, issuer ? issuer->cert.get() : nullptr,
                                  issuer ? issuer->key.get() : nullptr);
  CertFiles files{impl_->dir / (spec.name + ".crt"), impl_->dir / (spec.name + ".key"),
                  impl_->dir / (spec.name + ".chain.pem")};
  write_certificates(files.cert, {cert.get()});
  write_key(files.key, key.get());
  if (issuer) {
    write_certificates(files.chain, {cert.get(), issuer->cert.get()});
  } else {
    write_certificates(files.chain, {cert.get()});
  }
  return files;
}

namespace {

CertSpec localhost_spec(const std::string& name) {
  CertSpec spec;
  spec.name = name;
  spec.dns_names = {"localhost"};
  spec.ip_addresses = {"127.0.0.1", "::1"};
  return spec;
}

}  // namespace

CertFiles TestPki::localhost_server(const std::string& name) {
  return issue(localhost_spec(name));
}

CertFiles TestPki::expired_server(const std::string& name) {
  CertSpec spec = localhost_spec(name);
  spec.not_before = std::chrono::hours(-48);
  spec.not_after = std::chrono::hours(-24);
  return issue(spec);
}

CertFiles TestPki::not_yet_valid_server(const std::string& name) {
  CertSpec spec = localhost_spec(name);
  spec.not_before = std::chrono::hours(24);
  spec.not_after = std::chrono::hours(48);
  return issue(spec);
}

CertFiles TestPki::cn_only_server(const std::string& common_name, const std::string& name) {
  CertSpec spec;
  spec.name = name;
  spec.common_name = common_name;
  return issue(spec);
}

CertFiles TestPki::self_signed_server(const std::string& name) {
  CertSpec spec = localhost_spec(name);
  spec.issuer = CertIssuer::self;
  return issue(spec);
}

CertFiles TestPki::other_ca_server(const std::string& name) {
  CertSpec spec = localhost_spec(name);
  spec.issuer = CertIssuer::other_ca;
  return issue(spec);
}

CertFiles TestPki::client(const std::string& name) {
  CertSpec spec;
  spec.name = name;
  spec.dns_names = {name};
  spec.purpose = CertPurpose::client;
  return issue(spec);
}

}  // namespace httptrace::testing
