#pragma once
// RequestBody (what a request sends) and ResponseBody (what a response delivers).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "httptrace/error.hpp"

namespace httptrace {

class Header;

namespace detail {
// One pass over a request body, opened for each attempt (see RequestBody::open).
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Fills `buf` with the next bytes; 0 = the end. Errors are the caller's reader's.
  virtual Result<std::size_t> read(std::span<std::byte> buf) = 0;
  // The whole remaining body when it is already in memory (strings, bytes), so the transport
  // can send it with the headers in one write; empty otherwise.
  virtual std::optional<std::span<const std::byte>> in_memory() const { return std::nullopt; }
};
struct RequestBodyImpl;

// The transport's side of a ResponseBody. Implementations are thread-compatible: one reader.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  virtual Result<std::size_t> read(std::span<std::byte> buf) = 0;
  virtual void close() noexcept = 0;
  // The trailer fields, complete once read() returned 0; null if none can come.
  virtual const Header* trailer() const noexcept { return nullptr; }
  // The ResponseBody's last call on this stream before it drops its reference, on the thread
  // that holds the body. From then on the transport may reuse the stream for another response.
  virtual void detach() noexcept {}
};
}  // namespace detail

// A request body: empty, in memory (string or bytes), a file, or a reader of known or unknown
// length. Cheap to copy (copies share the source). Memory and file bodies are rewindable — the
// transport may send them again on a retry or a 307/308 redirect (Go's GetBody); a reader body
// is sent at most once.
class RequestBody {
 public:
  // Reads up to buf.size() bytes into buf; returns how many, 0 at the end.
  using Reader = std::function<Result<std::size_t>(std::span<std::byte> buf)>;

  // No body (Go's nil Body / http.NoBody).
  RequestBody();
  static RequestBody empty() { return RequestBody(); }
  static RequestBody from_string(std::string data);
  static RequestBody from_bytes(std::vector<std::byte> data);
  // The file is opened for each attempt; its size at this call is the length. A file that
  // cannot be read makes the send fail with ErrorCode::invalid_request before anything is sent.
  static RequestBody from_file(std::filesystem::path path);
  // A reader is not rewindable. With a length, the reader must produce exactly that many bytes
  // (else ErrorCode::invalid_request, "ContentLength=N with Body length M"); without one the
  // body goes out chunked.
  static RequestBody from_reader(Reader reader, std::optional<uint64_t> length);

  // The length in bytes, or nullopt when unknown (sent chunked).
  std::optional<uint64_t> length() const noexcept;
  // Whether it can be sent again (Go's GetBody != nil); an empty body always can.
  bool rewindable() const noexcept;
  // True for empty() (not for an empty string: that is a body of length 0).
  bool is_empty() const noexcept { return impl_ == nullptr; }

  // Library use: a fresh pass over the body. Fails with ErrorCode::body_rewind when a reader
  // body was already opened once, or ErrorCode::invalid_request when a file cannot be opened.
  Result<std::unique_ptr<detail::BodySource>> open() const;

 private:
  std::shared_ptr<detail::RequestBodyImpl> impl_;
};

// A response body: a stream read by the caller. Move-only. Reading it to EOF hands the
// connection back to the pool (put_idle_conn fires inside that read); close() before EOF
// closes the connection instead. Destroying an unread body closes it. Not thread-safe: one
// reader at a time.
class ResponseBody {
 public:
  // An empty body (EOF at once).
  ResponseBody() = default;
  explicit ResponseBody(std::shared_ptr<detail::BodyStream> stream) noexcept : stream_(std::move(stream)) {}
  ResponseBody(ResponseBody&&) noexcept = default;
  ResponseBody& operator=(ResponseBody&& other) noexcept;
  ResponseBody(const ResponseBody&) = delete;
  ResponseBody& operator=(const ResponseBody&) = delete;
  ~ResponseBody();

  // Up to buf.size() bytes; 0 = EOF. A body cut short fails with ErrorCode::body_truncated
  // (after the bytes that did arrive); the request's deadline or cancellation cut through a
  // stalled read (deadline_exceeded / canceled). Errors are sticky.
  [[nodiscard]] Result<std::size_t> read(std::span<std::byte> buf);
  // Everything up to EOF.
  [[nodiscard]] Result<std::string> read_all();
  // Reads to EOF and discards; returns the byte count.
  [[nodiscard]] Result<uint64_t> discard();
  // Stops reading. Before EOF the connection is closed, not pooled. Idempotent.
  void close() noexcept;
  // The trailer fields once read() returned 0 (null before, or when none can come).
  const Header* trailer() const noexcept { return stream_ ? stream_->trailer() : nullptr; }

 private:
  // Closes the stream and tells it this body is done with it (before dropping or replacing it).
  void let_go() noexcept;

  std::shared_ptr<detail::BodyStream> stream_;
};

}  // namespace httptrace
