#include "httptrace/response.hpp"

#include <charconv>

namespace httptrace {

const Header& Response::trailer() const noexcept {
  static const Header kEmpty;
  const Header* trailer = body_.trailer();
  return trailer != nullptr ? *trailer : kEmpty;
}

void Response::set_status(int code, std::string_view reason) {
  status_code_ = code;
  char digits[12];
  auto end = std::to_chars(digits, digits + sizeof digits, code).ptr;
  status_.assign(digits, end);
  if (!reason.empty()) {
    status_ += ' ';
    status_ += reason;
  }
}

void Response::set_proto(int major, int minor) {
  proto_major_ = major;
  proto_minor_ = minor;
  proto_ = "HTTP/";
  proto_ += static_cast<char>('0' + major);
  proto_ += '.';
  proto_ += static_cast<char>('0' + minor);
}

void Response::set_request(Request request) { request_.emplace(std::move(request)); }

}  // namespace httptrace
