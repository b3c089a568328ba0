#include "httptrace/url.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include "message/ascii.hpp"
#include "message/url_escape.hpp"

namespace httptrace {
namespace {

using url_detail::Component;
using Problem = std::optional<std::string>;

constexpr std::string_view kControlCharacter = "net/url: invalid control character in URL";

bool has_control_byte(std::string_view s) noexcept {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

// Go's validOptionalPort: empty, or ':' followed by digits only (RFC 3986 §3.2.3: no named ports).
[[gnu::hot]] bool is_valid_optional_port(std::string_view colon_port) noexcept {
  if (colon_port.empty()) return true;
  if (colon_port.front() != ':') return false;
  return std::all_of(colon_port.begin() + 1, colon_port.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

// `text` with whatever sits between the first ':' and the last '@' of its authority replaced by
// "***": the URL failed to parse, so this is done on the text, erring towards hiding too much.
std::string redact_text(std::string_view text) {
  const std::size_t slashes = text.find("//");
  const std::size_t start = slashes == std::string_view::npos ? 0 : slashes + 2;
  const std::string_view authority = text.substr(start, text.find_first_of("/?#", start) - start);
  const std::size_t at = authority.rfind('@');
  const std::size_t colon = authority.find(':');
  if (at == std::string_view::npos || colon == std::string_view::npos || colon > at) {
    return std::string(text);
  }
  std::string out(text.substr(0, start + colon + 1));
  out += "***";
  out += text.substr(start + at);
  return out;
}

// Go's url.Error text: `parse "URL": problem`, with the URL's password hidden.
Error parse_error(std::string_view text, std::string_view problem) {
  std::string message = "parse ";
  message += url_detail::quote(redact_text(text));
  message += ": ";
  message += problem;
  return Error(ErrorCode::invalid_request, std::move(message));
}

struct SchemeSplit {
  std::string_view scheme;  // empty when the text has none
  std::string_view rest;
  bool missing = false;  // the text starts with ':'
};

// Go's getScheme: a scheme is [a-zA-Z][a-zA-Z0-9+.-]* before the first ':' (RFC 3986 §3.1);
// anything else before a ':' makes the whole text a path.
SchemeSplit split_scheme(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) continue;
    if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
      if (i == 0) return {{}, text};
      continue;
    }
    if (c == ':') {
      if (i == 0) return {{}, {}, true};
      return {text.substr(0, i), text.substr(i + 1)};
    }
    return {{}, text};
  }
  return {{}, text};
}

// Go's parseHost: host[:port], the host possibly an IP-literal in brackets with an RFC 6874 zone.
// Stores the decoded host ("[fe80::1%en0]:80").
Problem parse_host(std::string_view text, std::string& host) {
  if (text.starts_with('[')) {
    const std::size_t close = text.rfind(']');
    if (close == std::string_view::npos) return "missing ']' in host";
    const std::string_view colon_port = text.substr(close + 1);
    if (!is_valid_optional_port(colon_port)) {
      return "invalid port " + url_detail::quote(colon_port) + " after host";
    }
    // RFC 6874: "%25" starts the zone, which may escape more than the address before it.
    const std::size_t zone = text.substr(0, close).find("%25");
    if (zone != std::string_view::npos) {
      if (auto problem = url_detail::check_escapes(text.substr(0, zone), Component::host)) {
        return problem;
      }
      if (auto problem =
              url_detail::check_escapes(text.substr(zone, close - zone), Component::zone)) {
        return problem;
      }
      if (auto problem = url_detail::check_escapes(text.substr(close), Component::host)) {
        return problem;
      }
      url_detail::append_unescaped(host, text);
      return std::nullopt;
    }
  } else if (const std::size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    const std::string_view colon_port = text.substr(colon);
    if (!is_valid_optional_port(colon_port)) {
      return "invalid port " + url_detail::quote(colon_port) + " after host";
    }
  }
  if (auto problem = url_detail::check_escapes(text, Component::host)) return problem;
  url_detail::append_unescaped(host, text);
  return std::nullopt;
}

// Go's validUserinfo (RFC 3986 §3.2.1 plus '@', since the last '@' ends the userinfo); the
// escapes are checked separately.
bool is_valid_userinfo(std::string_view userinfo) noexcept {
  static constexpr std::string_view kAllowed = "-._:~!$&'()*+,;=%@";
  return std::all_of(userinfo.begin(), userinfo.end(), [](char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return c != '\0' && kAllowed.find(c) != std::string_view::npos;
  });
}

// Go's parseAuthority: the host is checked before the userinfo, so its error wins.
Problem parse_authority(std::string_view authority, std::string& host, std::string& userinfo,
                        bool& has_userinfo) {
  const std::size_t at = authority.rfind('@');
  const std::string_view host_text =
      at == std::string_view::npos ? authority : authority.substr(at + 1);
  if (auto problem = parse_host(host_text, host)) return problem;
  if (at == std::string_view::npos) return std::nullopt;

  const std::string_view raw = authority.substr(0, at);
  if (!is_valid_userinfo(raw)) return "net/url: invalid userinfo";
  const std::size_t colon = raw.find(':');
  if (auto problem = url_detail::check_escapes(raw.substr(0, colon), Component::user_password)) {
    return problem;
  }
  if (colon != std::string_view::npos) {
    if (auto problem = url_detail::check_escapes(raw.substr(colon + 1), Component::user_password)) {
      return problem;
    }
  }
  userinfo.assign(raw);
  has_userinfo = true;
  return std::nullopt;
}

std::string decode(std::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  url_detail::append_unescaped(out, escaped);
  return out;
}

// Go's Userinfo.String: each part decoded, then escaped the canonical way.
void append_userinfo(std::string& out, std::string_view raw, bool redact_password) {
  const std::size_t colon = raw.find(':');
  url_detail::append_escaped(out, decode(raw.substr(0, colon)), Component::user_password);
  if (colon == std::string_view::npos) return;
  out += ':';
  if (redact_password) {
    out += "***";
  } else {
    url_detail::append_escaped(out, decode(raw.substr(colon + 1)), Component::user_password);
  }
}

struct HostAndPort {
  std::string_view host;
  std::string_view port;
};

// Go's splitHostPort: an invalid port stays part of the host; brackets are removed.
HostAndPort split_host_port(std::string_view host) noexcept {
  std::string_view port;
  const std::size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && is_valid_optional_port(host.substr(colon))) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return {host, port};
}

// net/http's portMap, the ports canonicalAddr fills in.
std::string_view default_port(std::string_view scheme) noexcept {
  if (scheme == "http") return "80";
  if (scheme == "https") return "443";
  return {};
}

// RFC 3986 §4.2: a relative reference whose first segment has a ':' would read as a scheme.
bool first_segment_has_colon(std::string_view path) noexcept {
  const std::string_view segment = path.substr(0, path.find('/'));
  return segment.find(':') != std::string_view::npos;
}

}  // namespace

Result<Url> Url::parse(std::string_view text) {
  const std::size_t hash = text.find('#');
  const std::string_view before_fragment = text.substr(0, hash);
  if (has_control_byte(before_fragment)) {
    return fail(parse_error(before_fragment, kControlCharacter));
  }

  const SchemeSplit split = split_scheme(before_fragment);
  if (split.missing) return fail(parse_error(before_fragment, "missing protocol scheme"));
  Url url;
  url.scheme_.assign(split.scheme);
  for (char& c : url.scheme_) c = ascii::to_lower(c);

  std::string_view rest = split.rest;
  if (const std::size_t question = rest.find('?'); question != std::string_view::npos) {
    if (question + 1 == rest.size()) {
      url.force_query_ = true;
    } else {
      url.raw_query_.assign(rest.substr(question + 1));
    }
    rest = rest.substr(0, question);
  }

  if (!url.scheme_.empty() && !rest.starts_with('/')) {
    // A rootless path after a scheme is opaque ("mailto:x"), kept as written.
    url.opaque_.assign(rest);
  } else {
    if (!rest.starts_with('/') && first_segment_has_colon(rest)) {
      // RFC 3986 §3.3; keeps "cache_object:foo/bar" from passing as a path
      // (golang.org/issue/16822).
      return fail(parse_error(before_fragment, "first path segment in URL cannot contain colon"));
    }
    if (rest.starts_with("//") && (!url.scheme_.empty() || !rest.starts_with("///"))) {
      std::string_view authority = rest.substr(2);
      const std::size_t slash = authority.find('/');
      rest = slash == std::string_view::npos ? std::string_view() : authority.substr(slash);
      authority = authority.substr(0, slash);
      if (auto problem = parse_authority(authority, url.host_, url.userinfo_, url.has_userinfo_)) {
        return fail(parse_error(before_fragment, *problem));
      }
      url.index_host();
    } else if (!url.scheme_.empty()) {
      url.omit_host_ = true;  // "scheme:/path" has no authority (golang.org/issue/46059)
    }
    if (auto problem = url_detail::check_escapes(rest, Component::path)) {
      return fail(parse_error(before_fragment, *problem));
    }
    url_detail::store_decoded(rest, Component::path, url.path_, url.raw_path_);
  }

  url.request_uri_ = url.compute_request_uri();
  if (hash == std::string_view::npos) return url;
  const std::string_view fragment = text.substr(hash + 1);
  if (auto problem = url_detail::check_escapes(fragment, Component::fragment)) {
    return fail(parse_error(text, *problem));
  }
  // Go accepts control bytes after the '#'; we refuse them too, so that no CR, LF or NUL ever
  // rides along in a Url (bad-inputs J58).
  if (has_control_byte(fragment)) return fail(parse_error(text, kControlCharacter));
  url_detail::store_decoded(fragment, Component::fragment, url.fragment_, url.raw_fragment_);
  return url;
}

void Url::index_host() noexcept {
  // Offsets fit: parse_authority takes no more than a URL's text, and requests' URLs are far
  // below 4 GiB.
  const auto [name, port] = split_host_port(host_);
  name_begin_ = static_cast<uint32_t>(name.data() - host_.data());
  name_end_ = static_cast<uint32_t>(name_begin_ + name.size());
  port_begin_ = port.empty() ? 0 : static_cast<uint32_t>(port.data() - host_.data());
  bracketed_name_ = name.find(':') != std::string_view::npos;
}

[[gnu::hot]] std::string_view Url::hostname() const noexcept {
  return std::string_view(host_).substr(name_begin_, name_end_ - name_begin_);
}

std::string_view Url::port() const noexcept {
  return port_begin_ == 0 ? std::string_view() : std::string_view(host_).substr(port_begin_);
}

[[gnu::hot]] std::string_view Url::port_or_default_text() const noexcept {
  const std::string_view text = port();
  return text.empty() ? default_port(scheme_) : text;
}

[[gnu::hot]] uint16_t Url::port_or_default() const noexcept {
  const std::string_view text = port_or_default_text();
  uint16_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return 0;
  return value;
}

std::string Url::host_port() const {
  std::string out;
  append_host_port(out);
  return out;
}

[[gnu::hot]] void Url::append_host_port(std::string& out) const {
  // Exactly the size: "127.0.0.1:65535" still fits a std::string's inline buffer.
  out.reserve(out.size() + hostname().size() + port_or_default_text().size() + 1 + (bracketed_name_ ? 2 : 0));
  append_host_port<std::string>(out);
}

std::string Url::escaped_path() const {
  if (!raw_path_.empty()) return raw_path_;
  std::string out;
  out.reserve(url_detail::escaped_size(path_, Component::path));
  url_detail::append_escaped(out, path_, Component::path);
  return out;
}

std::string Url::username() const {
  return decode(std::string_view(userinfo_).substr(0, userinfo_.find(':')));
}

std::optional<std::string> Url::password() const {
  const std::size_t colon = userinfo_.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return decode(std::string_view(userinfo_).substr(colon + 1));
}

std::string Url::compute_request_uri() const {
  const bool with_query = force_query_ || !raw_query_.empty();
  const std::size_t query_size = with_query ? raw_query_.size() + 1 : 0;
  std::string out;
  if (!opaque_.empty()) {
    // An opaque "//host/path" is sent as an absolute URI (golang.org/issue/4860).
    const bool absolute = opaque_.starts_with("//");
    out.reserve((absolute ? scheme_.size() + 1 : 0) + opaque_.size() + query_size);
    if (absolute) {
      out += scheme_;
      out += ':';
    }
    out += opaque_;
  } else if (!raw_path_.empty()) {
    out.reserve(raw_path_.size() + query_size);
    out += raw_path_;
  } else if (path_.empty()) {
    out.reserve(1 + query_size);
    out += '/';
  } else {
    const std::size_t escaped = url_detail::escaped_size(path_, Component::path);
    out.reserve(escaped + query_size);
    if (escaped == path_.size()) {
      out += path_;  // nothing to escape, the usual case: one copy instead of a byte at a time
    } else {
      url_detail::append_escaped(out, path_, Component::path);
    }
  }
  if (with_query) {
    out += '?';
    out += raw_query_;
  }
  return out;
}

void Url::append_to(std::string& out, bool redact_password) const {
  if (!scheme_.empty()) {
    out += scheme_;
    out += ':';
  }
  if (!opaque_.empty()) {
    out += opaque_;
  } else {
    const bool has_authority_part = !scheme_.empty() || !host_.empty() || has_userinfo_;
    bool wrote_authority = false;
    if (has_authority_part && !(omit_host_ && host_.empty() && !has_userinfo_)) {
      if (!host_.empty() || !path_.empty() || has_userinfo_) {
        out += "//";
        wrote_authority = true;
      }
      if (has_userinfo_) {
        append_userinfo(out, userinfo_, redact_password);
        out += '@';
      }
      url_detail::append_escaped(out, host_, Component::host);
    }
    // Escaping maps '/' and ':' to themselves and nothing else to them, so the decoded path
    // answers for the escaped one when there is no raw form.
    const std::string_view shape = raw_path_.empty() ? std::string_view(path_) : raw_path_;
    if (!shape.empty() && shape.front() != '/' && !host_.empty()) out += '/';
    if (out.empty() && first_segment_has_colon(shape)) out += "./";
    // RFC 3986 §3.3: with no authority a path cannot begin with "//", which would read back
    // as a host ("http:/%2F%FF" decodes to "//\xff"; resolve() can make such paths too) —
    // except "///" without a scheme, which Go reads as a path. Escaping the second slash
    // keeps the decoded path (found by fuzz_url).
    std::size_t skip = 0;
    if (!wrote_authority && shape.starts_with("//") &&
        (!scheme_.empty() || !shape.starts_with("///"))) {
      out += "/%2F";
      skip = 2;
    }
    if (raw_path_.empty()) {
      url_detail::append_escaped(out, std::string_view(path_).substr(skip), Component::path);
    } else {
      out += std::string_view(raw_path_).substr(skip);
    }
  }
  if (force_query_ || !raw_query_.empty()) {
    out += '?';
    out += raw_query_;
  }
  if (!fragment_.empty()) {
    out += '#';
    if (raw_fragment_.empty()) {
      url_detail::append_escaped(out, fragment_, Component::fragment);
    } else {
      out += raw_fragment_;
    }
  }
}

std::string Url::to_string() const {
  std::string out;
  out.reserve(scheme_.size() + userinfo_.size() + host_.size() + path_.size() + raw_query_.size() +
              fragment_.size() + 8);
  append_to(out, false);
  return out;
}

std::string Url::redacted() const {
  std::string out;
  append_to(out, true);
  return out;
}

Url Url::without_userinfo_and_fragment() const {
  Url copy = *this;
  copy.userinfo_.clear();
  copy.has_userinfo_ = false;
  copy.fragment_.clear();
  copy.raw_fragment_.clear();
  return copy;
}

}  // namespace httptrace
