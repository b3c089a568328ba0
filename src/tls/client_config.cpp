#include "tls/client_config.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "tls/connection_notes.hpp"

namespace httptrace::tls {

namespace {

constexpr uint16_t kTls12 = TLS1_2_VERSION;

std::unexpected<Error> config_error(std::string message) {
  Error error(ErrorCode::tls, std::move(message));
  error.with_tls_kind("config");
  return fail(std::move(error));
}

std::string quoted(const std::string& path) {
  return "\"" + path + "\"";
}

// Why `path` cannot be opened for reading, or empty if it can. OpenSSL's own messages for a
// missing file ("system lib") do not say which file or why.
std::string unreadable_reason(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return std::strerror(errno);
  std::fclose(file);
  return {};
}

bool known_version(uint16_t version) {
  return version == 0 || (version >= TLS1_VERSION && version <= TLS1_3_VERSION);
}

void check_options(const TlsOptions& options, uint16_t min_version,
                   const std::vector<std::string>& alpn) {
  if (!known_version(options.min_version) || !known_version(options.max_version)) {
    throw std::invalid_argument("TlsOptions: unknown TLS version (use 0x0301..0x0304, or 0)");
  }
  if (options.max_version != 0 && options.max_version < kTls12) {
    throw std::invalid_argument("TlsOptions::max_version is below TLS 1.2, the lowest supported");
  }
  if (options.max_version != 0 && min_version > options.max_version) {
    throw std::invalid_argument("TlsOptions::min_version is above max_version");
  }
  if (!options.key_file.empty() && options.cert_file.empty()) {
    throw std::invalid_argument("TlsOptions::key_file is set without cert_file");
  }
  for (const std::string& name : alpn) {
    if (name.empty() || name.size() > 255) {
      throw std::invalid_argument("TlsOptions::alpn: a protocol name must be 1 to 255 bytes");
    }
  }
}

Result<void> load_trust(SSL_CTX* ctx, const TlsOptions& options) {
  if (!options.ca_file.empty()) {
    if (auto why = unreadable_reason(options.ca_file); !why.empty()) {
      return config_error("tls: cannot read ca_file " + quoted(options.ca_file) + ": " + why);
    }
    if (SSL_CTX_load_verify_file(ctx, options.ca_file.c_str()) != 1) {
      return config_error("tls: ca_file " + quoted(options.ca_file) +
                          " holds no usable PEM certificate: " + OpenSslErrors::take().text());
    }
  }
  if (!options.ca_dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(options.ca_dir, ec)) {
      return config_error("tls: cannot read ca_dir " + quoted(options.ca_dir) +
                          ": not a readable directory");
    }
    if (SSL_CTX_load_verify_dir(ctx, options.ca_dir.c_str()) != 1) {
      return config_error("tls: cannot use ca_dir " + quoted(options.ca_dir) + ": " +
                          OpenSslErrors::take().text());
    }
  }
  if (options.ca_file.empty() && options.ca_dir.empty() && !options.insecure_skip_verify) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return config_error("tls: cannot load the system trust store: " +
                          OpenSslErrors::take().text());
    }
  }
  return {};
}

// OpenSSL parses a certificate's extensions on first use and caches them behind a
// double-checked lock whose first check is a plain read (ossl_x509v3_cache_extensions): two
// handshakes verifying against the same fresh anchor at once race there (ThreadSanitizer sees
// it). Parsing every anchor now, before the config is shared, leaves only reads for later.
void parse_trust_anchors(SSL_CTX* ctx) {
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx));
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
    X509* cert = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i));
    if (cert != nullptr) X509_check_purpose(cert, -1, 0);
  }
}

Result<void> load_client_certificate(SSL_CTX* ctx, const TlsOptions& options) {
  if (options.cert_file.empty()) return {};
  const std::string& key_file = options.key_file.empty() ? options.cert_file : options.key_file;
  for (const std::string* path : {&options.cert_file, &key_file}) {
    if (auto why = unreadable_reason(*path); !why.empty()) {
      const char* field = path == &options.cert_file ? "cert_file " : "key_file ";
      return config_error("tls: cannot read " + std::string(field) + quoted(*path) + ": " + why);
    }
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1) {
    return config_error("tls: cert_file " + quoted(options.cert_file) +
                        " holds no usable PEM certificate: " + OpenSslErrors::take().text());
  }
  auto mismatch = [&](const OpenSslErrors& errors) {
    return config_error("tls: the private key in " + quoted(key_file) +
                        " does not match the certificate in " + quoted(options.cert_file) + ": " +
                        errors.text());
  };
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    const OpenSslErrors errors = OpenSslErrors::take();
    if (errors.has_reason(ERR_LIB_X509, X509_R_KEY_VALUES_MISMATCH)) return mismatch(errors);
    return config_error("tls: " + quoted(key_file) +
                        " holds no usable PEM private key: " + errors.text());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) return mismatch(OpenSslErrors::take());
  return {};
}

Result<void> set_alpn(SSL_CTX* ctx, const std::vector<std::string>& alpn) {
  if (alpn.empty()) return {};
  std::string wire;
  for (const std::string& name : alpn) {
    wire += static_cast<char>(name.size());
    wire += name;
  }
  // Unlike most of OpenSSL, 0 means success here.
  if (SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                              static_cast<unsigned int>(wire.size())) != 0) {
    return config_error("tls: cannot set the ALPN list: " + OpenSslErrors::take().text());
  }
  return {};
}

// Length-prefixed, so no value can imitate a field boundary.
void add_field(std::string& identity, std::string_view name, std::string_view value) {
  identity += name;
  identity += '=';
  identity += std::to_string(value.size());
  identity += ':';
  identity += value;
  identity += ';';
}

std::string make_identity(const TlsOptions& options, uint16_t min_version,
                          const std::vector<std::string>& alpn) {
  std::string identity;
  add_field(identity, "ca_file", options.ca_file);
  add_field(identity, "ca_dir", options.ca_dir);
  add_field(identity, "cert_file", options.cert_file);
  add_field(identity, "key_file", options.key_file);
  add_field(identity, "server_name", options.server_name);
  add_field(identity, "verify", options.insecure_skip_verify ? "0" : "1");
  add_field(identity, "min", std::to_string(min_version));
  add_field(identity, "max", std::to_string(options.max_version));
  add_field(identity, "sessions", options.session_cache ? "1" : "0");
  std::string protocols;
  for (const std::string& name : alpn) add_field(protocols, "p", name);
  add_field(identity, "alpn", protocols);
  return identity;
}

}  // namespace

Result<std::shared_ptr<ClientConfig>> ClientConfig::make(const TlsOptions& options,
                                                         std::vector<std::string> alpn) {
  if (alpn.empty()) alpn = options.alpn;
  const uint16_t min_version = std::max<uint16_t>(options.min_version, kTls12);
  check_options(options, min_version, alpn);

  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx)
    return config_error("tls: cannot create an OpenSSL context: " + OpenSslErrors::take().text());
  // Set in code, after SSL_CTX_new applied openssl.cnf, so the system config cannot lower it.
  if (SSL_CTX_set_min_proto_version(ctx.get(), min_version) != 1 ||
      SSL_CTX_set_max_proto_version(ctx.get(), options.max_version) != 1) {
    return config_error("tls: cannot set the TLS version bounds: " + OpenSslErrors::take().text());
  }
  // Renegotiation off as in Go (RenegotiateNever); no TLS compression (CRIME).
  uint64_t ssl_options = SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION;
  if (!options.session_cache) ssl_options |= SSL_OP_NO_TICKET;
  SSL_CTX_set_options(ctx.get(), ssl_options);
  // Partial writes let try_write report progress record by record; a retried write may come
  // from a different buffer holding the same bytes (the caller's gathered parts).
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_verify(ctx.get(), options.insecure_skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
                     nullptr);
  install_callbacks(ctx.get());

  if (auto loaded = load_trust(ctx.get(), options); !loaded) return fail(std::move(loaded.error()));
  parse_trust_anchors(ctx.get());
  if (auto loaded = load_client_certificate(ctx.get(), options); !loaded) {
    return fail(std::move(loaded.error()));
  }
  if (auto set = set_alpn(ctx.get(), alpn); !set) return fail(std::move(set.error()));

  std::shared_ptr<ClientConfig> config(new ClientConfig());
  config->ctx_ = std::move(ctx);
  config->identity_ = make_identity(options, min_version, alpn);
  config->server_name_ = options.server_name;
  config->alpn_ = std::move(alpn);
  if (options.session_cache) config->sessions_ = std::make_shared<SessionCache>();
  config->min_version_ = min_version;
  config->max_version_ = options.max_version;
  config->verify_ = !options.insecure_skip_verify;
  return config;
}

}  // namespace httptrace::tls
