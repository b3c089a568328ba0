#include "httptrace/response.hpp"

#include <charconv>
#include <cstring>

#include "message/append_in_place.hpp"

namespace httptrace {

const Header& Response::trailer() const noexcept {
  static const Header kEmpty;
  const Header* trailer = body_.trailer();
  return trailer != nullptr ? *trailer : kEmpty;
}

[[gnu::hot]] void Response::set_status(int code, std::string_view reason) {
  status_code_ = code;
  char digits[12];
  std::size_t count = 3;
  if (code >= 100 && code <= 999) {  // every status a server can send: no general conversion
    digits[0] = static_cast<char>('0' + code / 100);
    digits[1] = static_cast<char>('0' + code / 10 % 10);
    digits[2] = static_cast<char>('0' + code % 10);
  } else {
    count = static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, code).ptr - digits);
  }
  // "200 OK" written once, not grown piece by piece: every response sets it.
  status_.clear();
  append_in_place(status_, reason.empty() ? count : count + 1 + reason.size(), [&](char* out) {
    std::memcpy(out, digits, count);
    if (!reason.empty()) {
      out[count] = ' ';
      std::memcpy(out + count + 1, reason.data(), reason.size());
    }
  });
}

[[gnu::hot]] void Response::set_proto(int major, int minor) {
  proto_major_ = major;
  proto_minor_ = minor;
  const char text[] = {'H', 'T', 'T', 'P', '/', static_cast<char>('0' + major), '.', static_cast<char>('0' + minor)};
  proto_.assign(text, sizeof text);
}

[[gnu::hot]] void Response::set_request(Request request) { request_.emplace(std::move(request)); }

}  // namespace httptrace
