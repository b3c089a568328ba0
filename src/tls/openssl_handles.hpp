#pragma once
// Owning handles for OpenSSL objects, and the one place that drains OpenSSL's per-thread error
// queue.

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

namespace httptrace::tls {

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};
struct SslFree {
  void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
};
struct SslSessionFree {
  void operator()(SSL_SESSION* session) const noexcept { SSL_SESSION_free(session); }
};

using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;
using SslSessionPtr = std::unique_ptr<SSL_SESSION, SslSessionFree>;

// The errors OpenSSL queued on this thread, oldest first.
class OpenSslErrors {
 public:
  // Drains the queue. OpenSSL's queue is per thread: a stale entry left behind would be blamed
  // on the next connection this thread makes, so every failing call is followed by a take().
  static OpenSslErrors take();

  // Whether the SSL library queued `reason` (an SSL_R_* code).
  bool has_ssl_reason(int reason) const noexcept;
  // Whether library `lib` (ERR_LIB_*) queued `reason`.
  bool has_reason(int lib, int reason) const noexcept;
  // The first SSL-library reason code, 0 if none.
  int first_ssl_reason() const noexcept;
  // The text of the SSL library's entry ("wrong version number"), else of the first entry,
  // else `fallback`.
  std::string text(const char* fallback = "unknown error") const;

 private:
  std::vector<unsigned long> codes_;
};

}  // namespace httptrace::tls
