#pragma once
// The HTTP/1.1 request serializer, sans-I/O: it appends bytes to a buffer and reports each
// header field as written, in Go's order (trace-semantics §4). It never touches a socket.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "httptrace/header.hpp"

namespace httptrace::http1 {

// Everything the request line and header block depend on. Views must outlive the call.
struct RequestHead {
  std::string_view method;             // "GET"
  std::string_view target;             // "/path?q" (origin form) or "http://h/p" (to a proxy)
  std::string_view host;               // the Host value (Request::host() or the URL's host)
  const Header* header = nullptr;      // the caller's fields (validated beforehand)
  bool has_body = false;               // RequestBody not empty()
  std::optional<uint64_t> content_length;  // known body length; nullopt with a body → chunked
  bool close = false;                  // Request::close(): "Connection: close" unless the
                                       //   caller's Connection field already says close
  std::string_view default_user_agent; // sent when the caller's header has no User-Agent; "" = none
  // The transport's extra fields, written after the caller's, sorted by key as Go does.
  bool accept_encoding_gzip = false;   // "Accept-Encoding: gzip"
  bool connection_close_extra = false; // "Connection: close" (DisableKeepAlives)
  std::string_view proxy_authorization;  // "Proxy-Authorization: <value>" when non-empty
  // Drop a Proxy-Authorization the caller set: only a request to a plain-HTTP proxy carries one
  // (never inside a tunnel, never to an origin: bad-inputs H52).
  bool omit_caller_proxy_authorization = false;
  // Where the one value of a single-valued field is handed to the observer from, reused across
  // requests (a connection's): without it, a per-thread vector is leased for each field.
  std::vector<std::string>* observed_values = nullptr;
};

// Called once per header key with all the values written for it.
using FieldObserver = std::function<void(std::string_view key, const std::vector<std::string>& values)>;

// Appends "METHOD target HTTP/1.1\r\n", the fields and the blank line to `out`. Order (Go):
// Host; User-Agent (the caller's first value, else the default; an empty value suppresses it);
// Connection: close (from `close`); Content-Length or Transfer-Encoding: chunked (Content-Length
// when the length is known and > 0, or 0 for POST/PUT/PATCH; never for GET/HEAD without a body);
// the caller's fields sorted by key, skipping Host, User-Agent, Content-Length,
// Transfer-Encoding and Trailer; then the extras sorted by key. Values are written trimmed of
// surrounding whitespace; `observer` (when set) receives them as written, as Go 1.19's
// Header.writeSubset passes its formatted values (User-Agent and Host as given, untrimmed, as
// Go writes them). Without an observer nothing is allocated but `out`'s growth.
// Returns whether the body goes out chunked.
bool write_request_head(const RequestHead& head, std::string& out, const FieldObserver* observer);

// Whether the head above would send a body framing field, and which: Go's
// transferWriter.shouldSendContentLength rules.
enum class BodyFraming : uint8_t { none, content_length, chunked };
BodyFraming request_body_framing(std::string_view method, bool has_body,
                                 std::optional<uint64_t> content_length);

// Appends a chunk-size line ("1a\r\n") for a chunk of `size` bytes (size > 0).
void append_chunk_header(std::string& out, std::size_t size);
// The CRLF ending a chunk's data.
inline constexpr std::string_view kChunkEnd = "\r\n";
// The last chunk with no trailer fields.
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// Whether the request wants "Expect: 100-continue" handling: a body, HTTP/1.1, and an Expect
// field containing the token "100-continue".
bool expects_continue(const Header& header, bool has_body);

}  // namespace httptrace::http1
