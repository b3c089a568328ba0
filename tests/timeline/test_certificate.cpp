#include "timeline/test_certificate.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace httptrace::testing {
namespace {

struct Free {
  void operator()(X509* x) const { X509_free(x); }
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); }
};

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificate: ") + what);
}

void add_entry(X509_NAME* name, const char* field, const std::string& value) {
  check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                   0) == 1,
        field);
}

}  // namespace

std::vector<std::byte> make_certificate_der(const TestCertificate& spec) {
  std::unique_ptr<EVP_PKEY, Free> key(EVP_EC_gen("P-256"));
  check(key != nullptr, "key");
  std::unique_ptr<X509, Free> cert(X509_new());
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert.get(), X509_VERSION_3) == 1, "version");
  check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 42) == 1, "serial");
  add_entry(X509_get_subject_name(cert.get()), "O", spec.subject_o);
  add_entry(X509_get_subject_name(cert.get()), "CN", spec.subject_cn);
  add_entry(X509_get_issuer_name(cert.get()), "CN", spec.issuer_cn);
  check(ASN1_TIME_set_string_X509(X509_getm_notBefore(cert.get()), spec.not_before.c_str()) == 1,
        "notBefore");
  check(ASN1_TIME_set_string_X509(X509_getm_notAfter(cert.get()), spec.not_after.c_str()) == 1,
        "notAfter");
  check(X509_set_pubkey(cert.get(), key.get()) == 1, "pubkey");
  if (!spec.dns_names.empty()) {
    std::string san;
    for (const std::string& name : spec.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + name;
    std::unique_ptr<X509_EXTENSION, Free> ext(
        X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san.c_str()));
    check(ext != nullptr, "subjectAltName");
    check(X509_add_ext(cert.get(), ext.get(), -1) == 1, "add subjectAltName");
  }
  check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "sign");
  int size = i2d_X509(cert.get(), nullptr);
  check(size > 0, "i2d_X509");
  std::vector<std::byte> der(static_cast<std::size_t>(size));
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  check(i2d_X509(cert.get(), &p) == size, "i2d_X509");
  return der;
}

}  // namespace httptrace::testing
