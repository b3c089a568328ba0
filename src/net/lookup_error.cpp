#include "net/lookup_error.hpp"

#include <ares.h>

#include <string>

namespace httptrace::net {
namespace {

struct Classified {
  ErrorCode code;
  const char* kind;
  std::string text;
};

Classified classify(int status) {
  switch (status) {
    case ARES_ENOTFOUND:
    case ARES_EBADNAME:
      return {ErrorCode::dns, "not_found", "no such host"};
    case ARES_ENODATA:
      // Go says "no such host" here too; the kind tells the cases apart.
      return {ErrorCode::dns, "no_answer", "no such host (no A or AAAA records)"};
    case ARES_ESERVFAIL:
      return {ErrorCode::dns, "server_failure", "server misbehaving (SERVFAIL)"};
    case ARES_EREFUSED:
      return {ErrorCode::dns, "refused", "server misbehaving (REFUSED)"};
    case ARES_ETIMEOUT:
      return {ErrorCode::timeout, "timeout", "i/o timeout"};
    case ARES_ECONNREFUSED:
      return {ErrorCode::dns, "server_failure", "connection refused (no DNS server listens there)"};
    default:
      return {ErrorCode::dns, "server_failure", ares_strerror(status)};
  }
}

}  // namespace

Error lookup_error(int ares_status, std::string_view host, std::string_view servers) {
  Classified classified = classify(ares_status);
  std::string message = "lookup ";
  message += host;
  if (!servers.empty()) {
    message += " on ";
    message += servers;
  }
  message += ": ";
  message += classified.text;
  Error error(classified.code, std::move(message));
  error.with_op("dns").with_addr(host).with_dns_kind(classified.kind);
  return error;
}

Error lookup_interrupted(const Error& why, std::string_view host) {
  std::string message = "lookup ";
  message += host;
  message += ": ";
  switch (why.code()) {
    case ErrorCode::canceled:
      message += "operation was canceled";
      break;
    case ErrorCode::deadline_exceeded:
      message += "i/o timeout";
      break;
    default:
      message += why.message();
      break;
  }
  Error error(why.code(), std::move(message));
  error.with_op("dns").with_addr(host);
  return error;
}

}  // namespace httptrace::net
