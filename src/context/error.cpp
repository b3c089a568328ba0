#include "httptrace/error.hpp"

namespace httptrace {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::canceled: return "canceled";
    case ErrorCode::deadline_exceeded: return "deadline_exceeded";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::invalid_request: return "invalid_request";
    case ErrorCode::unsupported_scheme: return "unsupported_scheme";
    case ErrorCode::dns: return "dns";
    case ErrorCode::connection_refused: return "connection_refused";
    case ErrorCode::connection_reset: return "connection_reset";
    case ErrorCode::network: return "network";
    case ErrorCode::tls: return "tls";
    case ErrorCode::proxy: return "proxy";
    case ErrorCode::pool: return "pool";
    case ErrorCode::protocol: return "protocol";
    case ErrorCode::headers_too_large: return "headers_too_large";
    case ErrorCode::body_truncated: return "body_truncated";
    case ErrorCode::body_too_large: return "body_too_large";
    case ErrorCode::too_many_redirects: return "too_many_redirects";
    case ErrorCode::aborted_by_hook: return "aborted_by_hook";
    case ErrorCode::body_rewind: return "body_rewind";
    case ErrorCode::use_last_response: return "use_last_response";
  }
  return "unknown";
}

Error::Error(ErrorCode code, std::string message) : message_(std::move(message)), code_(code) {}

bool Error::is_timeout() const noexcept {
  return code_ == ErrorCode::deadline_exceeded || code_ == ErrorCode::timeout;
}

Error& Error::with_message(std::string message) {
  message_ = std::move(message);
  return *this;
}
Error& Error::with_op(std::string_view op) {
  op_ = op;
  return *this;
}
Error& Error::with_addr(std::string_view addr) {
  addr_ = addr;
  return *this;
}
Error& Error::with_maybe_sent(bool maybe_sent) noexcept {
  maybe_sent_ = maybe_sent;
  return *this;
}
Error& Error::with_proxy_status(int status) noexcept {
  proxy_status_ = status;
  return *this;
}
Error& Error::with_tls_kind(std::string_view kind) {
  tls_kind_ = kind;
  return *this;
}
Error& Error::with_dns_kind(std::string_view kind) {
  dns_kind_ = kind;
  return *this;
}

}  // namespace httptrace
