#pragma once
// Url: a parsed URL with Go's net/url semantics (url.Parse, URL.ResolveReference, String,
// Redacted, RequestURI, EscapedPath). A small value type; thread-safe to read.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "httptrace/error.hpp"

namespace httptrace {

class Url {
 public:
  Url() = default;

  // Parses an absolute or relative URL reference like Go's url.Parse: scheme (lower-cased),
  // userinfo, host (IPv6 literals in brackets, optional zone "%25eth0"), port, path
  // (percent-decoded, with the raw form kept when it differs), query and fragment. Fails with
  // ErrorCode::invalid_request and a message naming the problem (e.g. `invalid port ":x" after
  // host`, `invalid URL escape "%zz"`, `net/url: invalid control character in URL`).
  static Result<Url> parse(std::string_view text);

  // Resolves `ref` against this URL (RFC 3986 §5.2, Go's URL.Parse on a base): what a
  // redirect's Location means. The fragment of an empty reference is dropped.
  Result<Url> resolve(std::string_view ref) const;
  Url resolve(const Url& ref) const;

  std::string_view scheme() const noexcept { return scheme_; }
  // Go's URL.Host: "host", "host:port", "[::1]:port" — as written (ASCII case kept).
  std::string_view host() const noexcept { return host_; }
  // The host without port and brackets: "example.com", "::1", "fe80::1%eth0".
  std::string_view hostname() const noexcept;
  // The explicit port, or "".
  std::string_view port() const noexcept;
  // The explicit port, or the scheme's default (http 80, https 443; 0 for others).
  uint16_t port_or_default() const noexcept;
  // "host:port" with the default port filled in, IPv6 bracketed: Go's canonicalAddr, the key of
  // the connection pool and get_conn's argument.
  std::string host_port() const;
  // host_port() appended to `out`, allocating only if `out` must grow.
  void append_host_port(std::string& out) const;
  // The same, to any `out` taking `+=` of a char and of a std::string_view (a caller's
  // fixed-size buffer, say).
  template <class Out>
  void append_host_port(Out& out) const {
    // net.JoinHostPort: an IPv6 literal (and its zone) goes back into brackets.
    if (bracketed_name_) out += '[';
    out += hostname();
    if (bracketed_name_) out += ']';
    out += ':';
    out += port_or_default_text();
  }
  // The explicit port, or the scheme's default as text ("80", "443"; "" for other schemes).
  std::string_view port_or_default_text() const noexcept;
  // The decoded path ("/a b").
  std::string_view path() const noexcept { return path_; }
  // The path as it goes on the wire (Go's EscapedPath).
  std::string escaped_path() const;
  // The query without '?', as written.
  std::string_view raw_query() const noexcept { return raw_query_; }
  // Whether the URL had a '?' even with an empty query (Go's ForceQuery).
  bool force_query() const noexcept { return force_query_; }
  std::string_view fragment() const noexcept { return fragment_; }
  // The userinfo as written ("user:pa%20ss"), or "" when none.
  std::string_view userinfo() const noexcept { return userinfo_; }
  bool has_userinfo() const noexcept { return has_userinfo_; }
  std::string username() const;
  std::optional<std::string> password() const;
  // For opaque URLs ("mailto:x"): the opaque part.
  std::string_view opaque() const noexcept { return opaque_; }
  bool is_absolute() const noexcept { return !scheme_.empty(); }

  // The request target of an origin-form request line: escaped path (or "/") plus "?query"
  // (Go's RequestURI).
  std::string request_uri() const { return request_uri_; }
  // The same, as a view of this Url: what a request writes, without a copy per request.
  std::string_view request_uri_view() const noexcept { return request_uri_; }
  // The whole URL, userinfo included (Go's String).
  std::string to_string() const;
  // The URL with the password replaced by "***" ("user:***@host"): what goes into messages,
  // Referer values and logs (Go's Redacted).
  std::string redacted() const;
  // A copy without userinfo and fragment (what a Referer may carry).
  Url without_userinfo_and_fragment() const;

  friend bool operator==(const Url&, const Url&) = default;

 private:
  // Go's String, with the password shown as "***" when redact_password is set.
  void append_to(std::string& out, bool redact_password) const;
  // Notes where host_'s name and port are: every request asks for them (pool key, Host, dial),
  // so they are found once, when host_ is set, rather than on every request.
  void index_host() noexcept;
  // Go's RequestURI of the URL as it stands, kept in request_uri_: once a URL is built, for
  // each request sent to it.
  std::string compute_request_uri() const;

  std::string scheme_;
  std::string opaque_;
  std::string userinfo_;  // raw, still escaped
  std::string host_;
  std::string path_;
  std::string raw_path_;  // the escaped path when it differs from the default escaping of path_
  std::string raw_query_;
  std::string fragment_;
  std::string raw_fragment_;  // the escaped fragment when it differs from the default escaping
  bool has_userinfo_ = false;
  bool force_query_ = false;
  bool omit_host_ = false;  // "scheme:/path": no authority at all, unlike "scheme:///path"
  bool bracketed_name_ = false;  // hostname() holds a ':' (IPv6): "host:port" brackets it
  // host_[name_begin_, name_end_) is hostname(); host_[port_begin_, end) port(), when
  // port_begin_ is not 0.
  uint32_t name_begin_ = 0;
  uint32_t name_end_ = 0;
  uint32_t port_begin_ = 0;
  std::string request_uri_ = "/";  // compute_request_uri(), updated wherever path or query change
};

}  // namespace httptrace
