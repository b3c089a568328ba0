#include "tls/certificate_names.hpp"

#include <arpa/inet.h>
#include <openssl/x509v3.h>

#include <memory>

namespace httptrace::tls {

namespace {

std::string join(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) {
    if (!joined.empty()) joined += ", ";
    joined += name;
  }
  return joined;
}

std::string ip_text(const ASN1_OCTET_STRING* octets) {
  const int length = ASN1_STRING_length(octets);
  const unsigned char* bytes = ASN1_STRING_get0_data(octets);
  char text[INET6_ADDRSTRLEN] = {};
  if (length == 4) inet_ntop(AF_INET, bytes, text, sizeof text);
  if (length == 16) inet_ntop(AF_INET6, bytes, text, sizeof text);
  return text[0] != '\0' ? std::string(text) : std::string("?");
}

struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* names) const noexcept { GENERAL_NAMES_free(names); }
};

}  // namespace

CertificateNames certificate_names(X509* cert) {
  CertificateNames names;
  if (cert == nullptr) return names;
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> sans(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  const int count = sans ? sk_GENERAL_NAME_num(sans.get()) : 0;
  for (int i = 0; i < count; ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans.get(), i);
    if (name->type == GEN_DNS) {
      const ASN1_IA5STRING* dns = name->d.dNSName;
      names.dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                   static_cast<std::size_t>(ASN1_STRING_length(dns)));
    } else if (name->type == GEN_IPADD) {
      names.ip_addresses.push_back(ip_text(name->d.iPAddress));
    }
  }
  X509_NAME* subject = X509_get_subject_name(cert);
  const int cn_index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (cn_index >= 0) {
    const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, cn_index));
    names.common_name.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(cn)),
                             static_cast<std::size_t>(ASN1_STRING_length(cn)));
  }
  return names;
}

std::string name_mismatch_message(X509* cert, const std::string& wanted, bool wanted_is_ip) {
  const CertificateNames names = certificate_names(cert);
  if (wanted_is_ip) {
    if (names.ip_addresses.empty()) {
      return "x509: cannot validate certificate for " + wanted +
             " because it doesn't contain any IP SANs";
    }
    return "x509: certificate is valid for " + join(names.ip_addresses) + ", not " + wanted;
  }
  if (names.dns_names.empty()) {
    if (names.ip_addresses.empty() && !names.common_name.empty()) {
      return "x509: certificate relies on legacy Common Name field, use SANs instead";
    }
    return "x509: certificate is not valid for any names, but wanted to match " + wanted;
  }
  return "x509: certificate is valid for " + join(names.dns_names) + ", not " + wanted;
}

}  // namespace httptrace::tls
