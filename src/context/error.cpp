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

struct Error::Text {
  std::string message;
  std::string op;
  std::string addr;
  std::string tls_kind;
  std::string dns_kind;
};

namespace {
const std::string& empty_text() noexcept {
  static const std::string empty;
  return empty;
}
}  // namespace

Error::Error(ErrorCode code, std::string message) : text_(new Text{std::move(message), {}, {}, {}, {}}), code_(code) {}

Error::Error(const Error& other)
    : text_(other.text_ != nullptr ? new Text(*other.text_) : nullptr),
      proxy_status_(other.proxy_status_),
      code_(other.code_),
      maybe_sent_(other.maybe_sent_) {}

Error& Error::operator=(const Error& other) {
  if (this != &other) *this = Error(other);
  return *this;
}

void Error::release() noexcept {
  delete text_;
  text_ = nullptr;
}

Error::Text& Error::text() {
  if (text_ == nullptr) text_ = new Text;
  return *text_;
}

std::string_view Error::op() const noexcept { return text_ != nullptr ? std::string_view(text_->op) : ""; }
std::string_view Error::addr() const noexcept { return text_ != nullptr ? std::string_view(text_->addr) : ""; }
const std::string& Error::message() const noexcept { return text_ != nullptr ? text_->message : empty_text(); }
std::string_view Error::tls_kind() const noexcept { return text_ != nullptr ? std::string_view(text_->tls_kind) : ""; }
std::string_view Error::dns_kind() const noexcept { return text_ != nullptr ? std::string_view(text_->dns_kind) : ""; }

bool Error::is_timeout() const noexcept {
  return code_ == ErrorCode::deadline_exceeded || code_ == ErrorCode::timeout;
}

Error& Error::with_message(std::string message) {
  text().message = std::move(message);
  return *this;
}
Error& Error::with_op(std::string_view op) {
  text().op = op;
  return *this;
}
Error& Error::with_addr(std::string_view addr) {
  text().addr = addr;
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
  text().tls_kind = kind;
  return *this;
}
Error& Error::with_dns_kind(std::string_view kind) {
  text().dns_kind = kind;
  return *this;
}

}  // namespace httptrace
