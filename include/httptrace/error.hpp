#pragma once
// Error and Result<T>: how every network, protocol and TLS failure is reported.
//
// Failures caused by the network, a peer or the environment are values (Result<T>), never
// exceptions. Programming errors — a precondition the caller can check, such as an invalid
// option value — throw std::invalid_argument.

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

// libc++ before 18 keeps std::expected's has-value flag in the tail padding of its value when
// it can, and constructing the value may then overwrite the flag (LLVM issue 68552); libstdc++
// does not overlap them. Where it does, Error keeps its former size (below).
#if defined(_LIBCPP_VERSION) && _LIBCPP_VERSION < 180000
#define HTTPTRACE_EXPECTED_FLAG_IN_VALUE_PADDING 1
#else
#define HTTPTRACE_EXPECTED_FLAG_IN_VALUE_PADDING 0
#endif

namespace httptrace {

// What went wrong, coarsely enough to branch on. The Error's message says the rest.
enum class ErrorCode : uint8_t {
  canceled,            // the context was canceled (Go: context.Canceled)
  deadline_exceeded,   // a context deadline or the Client timeout passed (Go: DeadlineExceeded)
  timeout,             // an operation timeout: dial, TLS handshake, response headers, DNS
  invalid_request,     // bad URL, method, header, or body length; see maybe_sent()
  unsupported_scheme,  // not http/https (also for a redirect Location)
  dns,                 // lookup failed (see dns_kind())
  connection_refused,
  connection_reset,    // reset or closed by the peer mid-exchange
  network,             // any other socket error (unreachable, ...)
  tls,                 // handshake or verification failure (see tls_kind())
  proxy,               // the proxy refused or failed (see proxy_status())
  pool,                // put_idle_conn only: the pool refused the connection
  protocol,            // malformed response: status line, header, framing, chunking, too many 1xx
  headers_too_large,
  body_truncated,      // the body ended before its declared end (Go: unexpected EOF)
  body_too_large,      // a configured body or decompression limit was exceeded
  too_many_redirects,
  aborted_by_hook,     // got_1xx_response returned an Error
  body_rewind,         // a retry or redirect needed the body again and it cannot be rewound
  use_last_response,   // returned by check_redirect: stop and return the 3xx (never seen by callers)
};

// The enumerator's name, e.g. "connection_refused".
std::string_view to_string(ErrorCode code) noexcept;

// A failure: a code to branch on, the operation and address it concerns, and one line of text
// a person can act on. Cheap to move; copying copies its strings. Not thread-safe to mutate,
// safe to read from several threads. A moved-from Error keeps its code and reads as empty text.
//
// The text lives behind one pointer, so that an Error — and with it every Result<T> — is two
// words: a Result on a request's fast path is written and moved as a value and a flag, not as
// five strings that are never used (docs/benchmarks.md).
//
// What builds or returns an Error is marked [[gnu::cold]]: failing is the rare path, and the
// hint lets the compiler move that code out of the functions' fast paths, which on a pooled
// request are slowed by instruction-cache misses more than by instructions (docs/benchmarks.md).
class Error {
 public:
  // Users make these in hooks (got_1xx_response) and in check_redirect. The message is the
  // whole line what() returns; it must not contain credentials.
  [[gnu::cold]] Error(ErrorCode code, std::string message);
  [[gnu::cold]] Error(const Error& other);
  [[gnu::cold]] Error& operator=(const Error& other);
  Error(Error&& other) noexcept
      : text_(std::exchange(other.text_, nullptr)),
        proxy_status_(other.proxy_status_),
        code_(other.code_),
        maybe_sent_(other.maybe_sent_) {}
  Error& operator=(Error&& other) noexcept {
    if (this == &other) return *this;
    if (text_ != nullptr) release();
    text_ = std::exchange(other.text_, nullptr);
    proxy_status_ = other.proxy_status_;
    code_ = other.code_;
    maybe_sent_ = other.maybe_sent_;
    return *this;
  }
  ~Error() {
    if (text_ != nullptr) release();
  }

  ErrorCode code() const noexcept { return code_; }
  // The operation that failed: "dial", "tls handshake", "write", "read headers", "read body",
  // "dns", "proxy connect", ... ; empty when none applies.
  std::string_view op() const noexcept;
  // "ip:port" or a host name where one applies; may be empty.
  std::string_view addr() const noexcept;
  // One line a person can act on; never contains credentials.
  const char* what() const noexcept { return message().c_str(); }
  const std::string& message() const noexcept;
  // deadline_exceeded or timeout.
  bool is_timeout() const noexcept;
  // True when the request may have reached the server, so a caller deciding whether to retry a
  // non-idempotent request must assume it was processed.
  bool maybe_sent() const noexcept { return maybe_sent_; }
  // The proxy's status code for ErrorCode::proxy, else 0.
  int proxy_status() const noexcept { return proxy_status_; }
  // For ErrorCode::tls: "unknown_authority", "name_mismatch", "expired", "not_yet_valid",
  // "protocol_version", "handshake", "not_tls", "certificate_required", ...; else empty.
  std::string_view tls_kind() const noexcept;
  // For ErrorCode::dns: "not_found", "server_failure", "refused", "no_answer", "timeout".
  std::string_view dns_kind() const noexcept;

  // Builders that set the detail fields; each returns *this so they chain.
  [[gnu::cold]] Error& with_message(std::string message);
  [[gnu::cold]] Error& with_op(std::string_view op);
  [[gnu::cold]] Error& with_addr(std::string_view addr);
  Error& with_maybe_sent(bool maybe_sent) noexcept;
  Error& with_proxy_status(int status) noexcept;
  [[gnu::cold]] Error& with_tls_kind(std::string_view kind);
  [[gnu::cold]] Error& with_dns_kind(std::string_view kind);

 private:
  struct Text;
  // The text, created on the first builder call after a move; null only when moved from.
  Text& text();
  [[gnu::cold]] void release() noexcept;

  Text* text_ = nullptr;
  int proxy_status_ = 0;
  ErrorCode code_;
  bool maybe_sent_ = false;
#if HTTPTRACE_EXPECTED_FLAG_IN_VALUE_PADDING
  // With an Error as large as the values our Results carry, and no padding of its own, the
  // flag lies after both.
  [[maybe_unused]] char room_for_libcxx_expected_[154];
#endif
};
#if HTTPTRACE_EXPECTED_FLAG_IN_VALUE_PADDING
static_assert(sizeof(Error) == 168, "an Error with no tail padding, as large as before its text moved out");
#endif

// A value or the Error that prevented it. Functions returning it are [[nodiscard]].
// Note: g++ 12's std::expected lacks and_then/transform; do not use them.
template <class T>
using Result = std::expected<T, Error>;

// Shorthand for returning a failure: `return fail(ErrorCode::protocol, "...");`
[[gnu::cold]] inline std::unexpected<Error> fail(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error(code, std::move(message)));
}
[[gnu::cold]] inline std::unexpected<Error> fail(Error error) { return std::unexpected<Error>(std::move(error)); }

}  // namespace httptrace
