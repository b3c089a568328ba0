#pragma once
// Response: the final response to a Request — status, header, a streaming body, the trailer,
// the TLS state of the connection and the request that produced it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "httptrace/body.hpp"
#include "httptrace/header.hpp"
#include "httptrace/request.hpp"
#include "httptrace/trace.hpp"

namespace httptrace {

class Response {
 public:
  Response() = default;
  Response(Response&&) noexcept = default;
  Response& operator=(Response&&) noexcept = default;

  int status_code() const noexcept { return status_code_; }
  // "200 OK" (code and reason; "404" alone when the server sent no reason).
  std::string_view status() const noexcept { return status_; }
  // "HTTP/1.1", "HTTP/1.0", "HTTP/2.0".
  std::string_view proto() const noexcept { return proto_; }
  int proto_major() const noexcept { return proto_major_; }
  int proto_minor() const noexcept { return proto_minor_; }
  const Header& header() const noexcept { return header_; }
  Header& header() noexcept { return header_; }
  // Trailer fields, valid after the body was read to EOF; empty before and when none came.
  const Header& trailer() const noexcept;
  // The body length when known (Content-Length, or 0 for bodiless responses); nullopt when it
  // is framed by chunks or by the connection's close, or was decompressed.
  std::optional<uint64_t> content_length() const noexcept { return content_length_; }
  // True when transparent gzip decoding was applied (Content-Encoding and Content-Length were
  // removed from header()).
  bool uncompressed() const noexcept { return uncompressed_; }
  // The connection's TLS state; null for plain HTTP.
  const TLSConnectionState* tls() const noexcept { return tls_.get(); }
  // The request that produced this response (the last hop of a redirect chain).
  const Request& request() const noexcept { return *request_; }
  ResponseBody& body() noexcept { return body_; }

  // Library use: filling in a response.
  void set_status(int code, std::string_view reason);
  void set_proto(int major, int minor);
  void set_content_length(std::optional<uint64_t> length) noexcept { content_length_ = length; }
  void set_uncompressed(bool value) noexcept { uncompressed_ = value; }
  void set_tls(std::shared_ptr<const TLSConnectionState> tls) noexcept { tls_ = std::move(tls); }
  void set_request(Request request);
  void set_body(ResponseBody body) noexcept { body_ = std::move(body); }

 private:
  int status_code_ = 0;
  int proto_major_ = 1;
  int proto_minor_ = 1;
  std::string status_;
  std::string proto_ = "HTTP/1.1";
  Header header_;
  std::optional<uint64_t> content_length_;
  bool uncompressed_ = false;
  std::shared_ptr<const TLSConnectionState> tls_;
  std::optional<Request> request_;
  ResponseBody body_;
};

}  // namespace httptrace
