#pragma once
// The HTTP/2 request header list, sans-I/O: built in Go's order (trace-semantics §4 "HTTP/2",
// h2_bundle.go encodeHeaders) and handed to nghttp2 as one nghttp2_nv array.

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "httptrace/header.hpp"

namespace httptrace::http2 {

// Everything the header list depends on. Views must outlive build().
struct RequestHead {
  std::string_view method;         // ":method"
  std::string_view scheme;         // ":scheme": "https", or "http" for h2c
  std::string_view authority;      // ":authority": the Host value (Request::host() or URL host)
  std::string_view path;           // ":path": the origin-form request target
  const Header* header = nullptr;  // the caller's fields (validated beforehand)
  std::optional<uint64_t> content_length;  // "content-length" when set
  bool accept_encoding_gzip = false;       // the transport's "accept-encoding: gzip"
  std::string_view default_user_agent;     // when the caller's header has no User-Agent; "" = none
};

// Called once per field value written: HTTP/2 traces one call per value, with the lower-case
// name (trace-semantics §4, §10).
using FieldObserver =
    std::function<void(std::string_view key, const std::vector<std::string>& values)>;

class RequestFields {
 public:
  // Order: :authority, :method, :path, :scheme; the caller's fields in the Header's key order
  // (Go uses map order), lower-cased, one entry per value, minus Host, Content-Length and the
  // connection-specific fields (Connection, Proxy-Connection, Transfer-Encoding, Upgrade,
  // Keep-Alive; TE unless it is "trailers": RFC 9113 §8.2.2); at most one User-Agent ("" = none);
  // Cookie split at ';' (RFC 9113 §8.2.3); then content-length, accept-encoding, and the default
  // user-agent when the caller set none. Values are trimmed of surrounding whitespace, which
  // RFC 9113 §8.2.1 forbids on the wire. `observer` (when set) sees each field as written.
  static RequestFields build(const RequestHead& head, const FieldObserver* observer);

  // The array for nghttp2_submit_request; it points into this object, so it is valid until
  // this object is changed, moved or destroyed.
  std::span<const nghttp2_nv> nva();
  std::size_t size() const noexcept { return entries_.size(); }
  std::string_view name(std::size_t i) const noexcept;
  std::string_view value(std::size_t i) const noexcept;

 private:
  struct Entry {
    std::size_t name_offset;
    std::size_t name_size;
    std::size_t value_offset;
    std::size_t value_size;
  };
  void add(std::string_view name, std::string_view value, const FieldObserver* observer);
  void add_lower(std::string_view name, std::string_view value, const FieldObserver* observer);

  std::string bytes_;
  std::vector<Entry> entries_;
  std::vector<nghttp2_nv> nva_;
};

}  // namespace httptrace::http2
