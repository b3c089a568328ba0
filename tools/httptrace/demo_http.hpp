#pragma once
// The demo server's HTTP/1.1: reading request heads (and skipping Content-Length bodies) from a
// byte stream, and the answer for each path. No sockets here (the server drives it).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace httptrace::cli {

struct DemoRequest {
  std::string method;
  std::string target;
  bool close = false;  // "Connection: close"
};

class DemoRequestReader {
 public:
  // Adds bytes read from the connection; false when the peer sent something we will not serve
  // (a head over 64 KiB, chunked bodies, a malformed request line).
  bool feed(std::string_view bytes);
  // The next complete request (its body skipped), or nullopt until more bytes arrive.
  std::optional<DemoRequest> next();

 private:
  std::string buffer_;
  uint64_t body_left_ = 0;  // bytes of the previous request's body still to skip
  bool broken_ = false;
};

struct DemoResponse {
  std::string bytes;  // status line, headers and body
  std::chrono::milliseconds delay{0};
};

DemoResponse demo_response(const DemoRequest& request);

}  // namespace httptrace::cli
