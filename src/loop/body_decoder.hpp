#pragma once
// The body of an HTTP/1 response as the event loop reads it: the same framing as the blocking
// Http1BodyStream (Content-Length, chunked, until close) and transparent gunzip, but fed
// whatever bytes have arrived instead of reading them itself — it never waits. Decoded bytes go
// to a BodySink (kept, or only counted).

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "http1/chunked_decoder.hpp"
#include "http1/limits.hpp"
#include "http1/response_parser.hpp"
#include "httptrace/error.hpp"
#include "transport/gunzip.hpp"
#include "transport/read_buffer.hpp"

namespace httptrace::loop {

// Where decoded body bytes go.
struct BodySink {
  std::string* keep = nullptr;  // null: count only
  uint64_t bytes = 0;

  void put(std::span<const std::byte> data) {
    bytes += data.size();
    if (keep != nullptr) keep->append(reinterpret_cast<const char*>(data.data()), data.size());
  }
};

class BodyDecoder {
 public:
  // A new response body. `head_bytes_used` / `head_fields_used`: the header budget the heads
  // used (a chunked trailer shares it).
  void start(const http1::BodyPlan& plan, const http1::ParserLimits& limits,
             std::size_t head_bytes_used, std::size_t head_fields_used, bool gunzip);

  // Decodes what `buffer` holds of the body, consuming exactly the body's bytes (bytes after
  // the body's end stay in the buffer). Returns true once the body is complete.
  [[nodiscard]] Result<bool> consume(ReadBuffer& buffer, BodySink& sink);
  // Whether the next bytes may be read straight into a scratch buffer and handed to
  // consume_raw() (identity framing with nothing buffered); then at most raw_limit() of them.
  bool takes_raw() const noexcept;
  uint64_t raw_limit() const noexcept;
  // Body bytes read by the caller past the connection's buffer (takes_raw()).
  [[nodiscard]] Result<bool> consume_raw(std::span<const std::byte> data, BodySink& sink);
  // The connection reached its end: complete for until-close framing, else ErrorCode::
  // body_truncated ("unexpected EOF ..."). Returns true when complete.
  [[nodiscard]] Result<bool> end_of_stream(BodySink& sink);

 private:
  Result<void> deliver(std::span<const std::byte> data, BodySink& sink);
  Result<bool> finish(BodySink& sink);
  Error truncated(std::string message) const;

  http1::BodyPlan plan_;
  uint64_t remaining_ = 0;  // content_length framing
  uint64_t received_ = 0;   // framed bytes
  std::optional<http1::ChunkedDecoder> chunked_;
  std::unique_ptr<Gunzip> gunzip_;
  bool done_ = false;
};

}  // namespace httptrace::loop
