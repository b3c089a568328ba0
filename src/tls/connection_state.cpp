#include "tls/connection_state.hpp"

#include <openssl/x509.h>

#include <algorithm>
#include <charconv>

namespace httptrace::tls {

std::vector<std::byte> der_certificate(X509* cert) {
  std::vector<std::byte> der;
  const int length = i2d_X509(cert, nullptr);
  if (length <= 0) return der;
  der.resize(static_cast<std::size_t>(length));
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(cert, &out);
  return der;
}

std::vector<std::vector<std::byte>> der_chain(STACK_OF(X509) * chain) {
  std::vector<std::vector<std::byte>> ders;
  const int count = chain != nullptr ? sk_X509_num(chain) : 0;
  ders.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) ders.push_back(der_certificate(sk_X509_value(chain, i)));
  return ders;
}

std::string version_name(int version) {
  switch (version) {
    case TLS1_VERSION:
      return "TLS 1.0";
    case TLS1_1_VERSION:
      return "TLS 1.1";
    case TLS1_2_VERSION:
      return "TLS 1.2";
    case TLS1_3_VERSION:
      return "TLS 1.3";
    default:
      break;
  }
  char hex[8];
  auto end = std::to_chars(hex, hex + sizeof hex, version, 16).ptr;
  std::string digits(hex, end);
  return "TLS 0x" + std::string(4 - std::min<std::size_t>(4, digits.size()), '0') + digits;
}

TLSConnectionState describe_connection(SSL* ssl, const std::string& server_name,
                                       const ConnectionNotes& notes) {
  TLSConnectionState state;
  state.handshake_complete = SSL_is_init_finished(ssl) == 1;
  const int version = SSL_version(ssl);
  state.version = static_cast<uint16_t>(version);
  state.version_name = version_name(version);
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl); cipher != nullptr) {
    state.cipher_suite = SSL_CIPHER_get_protocol_id(cipher);
    const char* standard = SSL_CIPHER_standard_name(cipher);
    state.cipher_suite_name = standard != nullptr ? standard : SSL_CIPHER_get_name(cipher);
  }
  state.server_name = server_name;
  const unsigned char* alpn = nullptr;
  unsigned int alpn_length = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_length);
  if (alpn != nullptr)
    state.negotiated_protocol.assign(reinterpret_cast<const char*>(alpn), alpn_length);
  state.did_resume = SSL_session_reused(ssl) == 1;
  // On the client side this chain starts with the leaf (SSL_get_peer_cert_chain(3)); the
  // session keeps it, so a resumed connection reports it too.
  state.peer_certificates = der_chain(SSL_get_peer_cert_chain(ssl));
  if (notes.verifying) {
    STACK_OF(X509)* verified = SSL_get0_verified_chain(ssl);
    if (verified != nullptr && sk_X509_num(verified) > 0) {
      state.verified_chains.push_back(der_chain(verified));
    } else if (state.did_resume && notes.offered_chains) {
      state.verified_chains = *notes.offered_chains;
    }
  }
  return state;
}

}  // namespace httptrace::tls
