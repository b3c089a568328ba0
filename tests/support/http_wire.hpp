#pragma once
// HTTP/1.x message framing for the test peers: parse a request (what a ScriptServer reads from
// our client) or a response (what a raw test client reads from nginx) out of a byte buffer.
//
// Deliberately strict on framing so a client bug shows up as a test failure: CRLF line ends
// only, no obs-fold, no whitespace before the colon, Content-Length digits only, no request
// with both Transfer-Encoding and Content-Length (RFC 9112 §6.1, §6.3).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace httptrace::testing {

// Field lines in arrival order, names and values as received (values without surrounding OWS).
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The first value of `name` (case-insensitive), or nullopt.
std::optional<std::string> find_header(const HeaderList& headers, std::string_view name);
// How many field lines are called `name` (case-insensitive).
std::size_t count_header(const HeaderList& headers, std::string_view name);

// How the body after a head is delimited (RFC 9112 §6.3).
struct BodyFraming {
  enum class Kind { none, length, chunked, until_close };
  Kind kind = Kind::none;
  std::uint64_t length = 0;  // Kind::length only
};

struct ScriptRequest {
  std::string method;
  std::string target;
  std::string version;  // "HTTP/1.1"
  HeaderList headers;
  HeaderList trailers;  // chunked bodies only
  std::string body;     // decoded (chunk framing removed)
  std::string raw;      // the exact bytes received: head, then body as framed on the wire
  BodyFraming framing;
  bool body_complete = false;  // false after read_request_head() until the body is read

  std::optional<std::string> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

struct RawResponse {
  std::string version;
  int status = 0;
  std::string reason;
  HeaderList headers;
  HeaderList trailers;
  std::string body;  // decoded (chunk framing removed; Content-Encoding untouched)
  std::string raw;   // the exact bytes received
  BodyFraming framing;

  std::optional<std::string> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

enum class ParseStatus { complete, incomplete, malformed };

template <class T>
struct Parsed {
  ParseStatus status = ParseStatus::incomplete;
  std::size_t consumed = 0;  // bytes of the input that make up `value` (when complete)
  T value{};
  std::string error;  // why, when malformed
};

// Heads longer than this are malformed rather than incomplete: a peer streaming an endless head
// must not make a test buffer forever.
inline constexpr std::size_t kMaxHeadBytes = 64 * 1024 * 1024;

// The head of one request at the start of `data`: method, target, version, headers, framing and
// raw (the head bytes). The body is not touched.
Parsed<ScriptRequest> parse_request_head(std::string_view data);

// The head of one response; `request_method` decides framing (HEAD: never a body).
Parsed<RawResponse> parse_response_head(std::string_view data, std::string_view request_method);

struct DecodedBody {
  std::string body;
  HeaderList trailers;
};

// The body at the start of `data` framed as `framing`. Kind::until_close is complete only when
// `at_eof` (the peer closed), and then consumes everything.
Parsed<DecodedBody> parse_body(const BodyFraming& framing, std::string_view data, bool at_eof);

}  // namespace httptrace::testing
