#include "transport/request_checks.hpp"

#include <algorithm>
#include <array>

#include "message/ascii.hpp"

namespace httptrace {
namespace {

bool is_ctl_or_space(char c) {
  auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7f;
}

// Go's httpguts.ValidHostHeader: the bytes a Host value may hold (RFC 3986 reg-name, IP
// literals, port), which excludes CR, LF, NUL, space, every other control byte and '/'.
constexpr bool compute_host_byte(char c) noexcept {
  if (static_cast<unsigned char>(c) >= 0x80) return true;  // UTF-8 passes here; IDNA rules apply elsewhere
  if (ascii::compute_token_char(c)) return true;
  switch (c) {
    case ':': case '[': case ']': case '@': case '(': case ')': case ',': case ';': case '=':
      return true;
    default:
      return false;
  }
}

// One lookup per byte: a request's host is checked on every send.
constexpr std::array<bool, 256> kHostBytes = [] {
  std::array<bool, 256> table{};
  for (std::size_t i = 0; i < table.size(); ++i) table[i] = compute_host_byte(static_cast<char>(i));
  return table;
}();

bool valid_host_header(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](char c) { return kHostBytes[static_cast<unsigned char>(c)]; });
}

Error invalid(std::string message) { return Error(ErrorCode::invalid_request, std::move(message)); }

}  // namespace

std::string host_without_zone(std::string_view host) {
  std::string storage;
  return std::string(host_without_zone(host, storage));
}

[[gnu::hot]] std::string_view host_without_zone(std::string_view host, std::string& storage) {
  if (host.empty() || host.front() != '[') return host;
  auto close = host.find(']');
  auto percent = host.find('%');
  if (close == std::string_view::npos || percent == std::string_view::npos || percent > close) return host;
  storage.assign(host.substr(0, percent));
  storage += host.substr(close);
  return storage;
}

[[gnu::hot]] Result<void> check_request(const Request& request, std::string_view request_target) {
  const Url& url = request.url();
  if (url.scheme() != "http" && url.scheme() != "https") [[unlikely]] {
    return fail(ErrorCode::unsupported_scheme, "unsupported protocol scheme \"" + ascii::printable(url.scheme()) + "\"");
  }
  if (url.host().empty()) [[unlikely]] return fail(invalid("http: no Host in request URL"));
  std::string_view hostname = url.hostname();
  auto non_ascii = [](char c) { return static_cast<unsigned char>(c) >= 0x80; };
  if (std::any_of(hostname.begin(), hostname.end(), non_ascii)) [[unlikely]] {
    return fail(invalid("non-ASCII host name \"" + ascii::printable(hostname) +
                        "\": internationalized (IDNA) names are not supported yet; use the punycode form"));
  }
  // Control bytes and spaces are among those valid_host_header refuses.
  if (!valid_host_header(url.host())) [[unlikely]] {
    return fail(invalid("invalid host in request URL \"" + ascii::printable(url.host()) + "\""));
  }
  if (!request.host().empty() && !valid_host_header(request.host())) [[unlikely]] {
    return fail(invalid("invalid Host header \"" + ascii::printable(request.host()) + "\""));
  }
  auto header_ok = request.header().validate();
  if (!header_ok) [[unlikely]] return header_ok;
  if (std::any_of(request_target.begin(), request_target.end(), is_ctl_or_space)) [[unlikely]] {
    return fail(invalid("net/http: can't write control character or space in the request URL"));
  }
  return {};
}

}  // namespace httptrace
