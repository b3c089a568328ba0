#include "support/tls_server.hpp"

#include <openssl/err.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <stdexcept>

namespace httptrace::testing {

namespace {

std::string openssl_reason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  const char* text = code != 0 ? ERR_reason_error_string(code) : nullptr;
  return text != nullptr ? text : "no OpenSSL error queued";
}

int accept_any(int /*preverify_ok*/, X509_STORE_CTX* /*store*/) {
  return 1;
}

}  // namespace

TlsServerContext::TlsServerContext(const TlsServerOptions& options)
    : ctx_(SSL_CTX_new(TLS_server_method())) {
  if (ctx_ == nullptr) throw std::runtime_error("SSL_CTX_new: " + openssl_reason());
  auto check = [&](bool ok, const char* what) {
    if (ok) return;
    std::string reason = openssl_reason();
    SSL_CTX_free(ctx_);
    ctx_ = nullptr;
    throw std::runtime_error(std::string(what) + ": " + reason);
  };
  check(SSL_CTX_use_certificate_chain_file(ctx_, options.certificate.c_str()) == 1, "certificate");
  check(SSL_CTX_use_PrivateKey_file(ctx_, options.private_key.c_str(), SSL_FILETYPE_PEM) == 1,
        "private key");
  check(SSL_CTX_set_min_proto_version(ctx_, options.min_version) == 1, "min version");
  check(SSL_CTX_set_max_proto_version(ctx_, options.max_version) == 1, "max version");
  check(SSL_CTX_set_num_tickets(ctx_, static_cast<std::size_t>(options.tickets)) == 1, "tickets");
  if (!options.client_ca.empty()) {
    check(SSL_CTX_load_verify_file(ctx_, options.client_ca.c_str()) == 1, "client CA");
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca.c_str());
    check(names != nullptr, "client CA names");
    SSL_CTX_set_client_CA_list(ctx_, names);
    int mode = SSL_VERIFY_PEER;
    if (options.require_client_certificate) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    // Keep OpenSSL's own verdict for a certificate that was sent.
    SSL_CTX_set_verify(ctx_, mode, nullptr);
  } else {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, accept_any);
  }
}

TlsServerContext::~TlsServerContext() {
  SSL_CTX_free(ctx_);
}

ServerTls::ServerTls(const TlsServerContext& context, ServerConn& conn,
                     std::chrono::milliseconds timeout)
    : ssl_(SSL_new(context.get())), fd_(conn.fd()), timeout_(timeout) {
  if (ssl_ == nullptr) throw std::runtime_error("SSL_new: " + openssl_reason());
  // OpenSSL's socket BIO uses write(2): a client that already left would raise SIGPIPE. The
  // signal goes to the writing thread, this handler's own: blocked here, write just fails with
  // EPIPE (and the process-wide disposition stays untouched, so a SIGPIPE the library under
  // test raised would still kill the test).
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  SSL_set_fd(ssl_, fd_);
  SSL_set_accept_state(ssl_);
}

ServerTls::~ServerTls() {
  SSL_free(ssl_);
  ERR_clear_error();
}

IoError ServerTls::failure(IoFailure kind, std::string what) const {
  return IoError{kind, std::move(what)};
}

IoResult<void> ServerTls::wait_for(int ssl_error) {
  pollfd p{fd_, static_cast<short>(ssl_error == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN), 0};
  const int ready = ::poll(&p, 1, static_cast<int>(timeout_.count()));
  if (ready == 0) return std::unexpected(failure(IoFailure::timeout, "tls server: timed out"));
  if (ready < 0) return std::unexpected(failure(IoFailure::error, "tls server: poll failed"));
  return {};
}

IoResult<void> ServerTls::handshake() {
  for (;;) {
    ERR_clear_error();
    const int result = SSL_accept(ssl_);
    if (result == 1) return {};
    const int code = SSL_get_error(ssl_, result);
    if (code != SSL_ERROR_WANT_READ && code != SSL_ERROR_WANT_WRITE) {
      return std::unexpected(
          failure(IoFailure::error, "tls server handshake: " + openssl_reason()));
    }
    if (auto waited = wait_for(code); !waited) return waited;
  }
}

IoResult<std::string> ServerTls::read_until(std::string_view delimiter) {
  for (;;) {
    if (auto at = buffer_.find(delimiter); at != std::string::npos) {
      std::string head = buffer_.substr(0, at + delimiter.size());
      buffer_.erase(0, at + delimiter.size());
      return head;
    }
    char chunk[4096];
    std::size_t n = 0;
    ERR_clear_error();
    const int result = SSL_read_ex(ssl_, chunk, sizeof chunk, &n);
    if (result == 1) {
      buffer_.append(chunk, n);
      continue;
    }
    const int code = SSL_get_error(ssl_, result);
    if (code == SSL_ERROR_ZERO_RETURN) {
      return std::unexpected(failure(IoFailure::eof, "tls server read: close_notify"));
    }
    if (code != SSL_ERROR_WANT_READ && code != SSL_ERROR_WANT_WRITE) {
      return std::unexpected(failure(IoFailure::error, "tls server read: " + openssl_reason()));
    }
    if (auto waited = wait_for(code); !waited) return std::unexpected(waited.error());
  }
}

IoResult<void> ServerTls::write(std::string_view bytes) {
  while (!bytes.empty()) {
    std::size_t n = 0;
    ERR_clear_error();
    const int result = SSL_write_ex(ssl_, bytes.data(), bytes.size(), &n);
    if (result == 1) {
      bytes.remove_prefix(n);
      continue;
    }
    const int code = SSL_get_error(ssl_, result);
    if (code != SSL_ERROR_WANT_READ && code != SSL_ERROR_WANT_WRITE) {
      return std::unexpected(failure(IoFailure::error, "tls server write: " + openssl_reason()));
    }
    if (auto waited = wait_for(code); !waited) return waited;
  }
  return {};
}

void ServerTls::close_notify() {
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

bool ServerTls::client_certificate_verified() const {
  X509* peer = SSL_get0_peer_certificate(ssl_);
  return peer != nullptr && SSL_get_verify_result(ssl_) == X509_V_OK;
}

}  // namespace httptrace::testing
