#pragma once
// The body of an HTTP/1 response as the caller reads it: framing (Content-Length, chunked,
// until close), optional transparent gunzip, and the end of the exchange — at EOF the
// connection goes back to the pool (put_idle_conn fires inside that read) or is closed.

#include <atomic>
#include <memory>
#include <optional>

#include "httptrace/body.hpp"
#include "httptrace/trace.hpp"
#include "http1/chunked_decoder.hpp"
#include "http1/response_parser.hpp"
#include "transport/gunzip_reader.hpp"
#include "transport/persist_conn.hpp"
#include "transport/pool.hpp"

namespace httptrace {

// Ends an exchange on `conn`: pools it when `reusable` and nothing unread follows the response
// (firing put_idle_conn with the pool's verdict), else closes it (no hook). trace-semantics §6.
void finish_exchange(Pool& pool, std::shared_ptr<PersistConn> conn, bool reusable, const ClientTrace* trace);

class Http1BodyStream final : public detail::BodyStream {
 public:
  struct Setup {
    std::shared_ptr<Pool> pool;
    std::shared_ptr<PersistConn> conn;
    http1::BodyPlan plan;
    Context ctx;                  // the request's: its deadline and cancellation cut body reads
    bool reusable = false;
    bool gunzip = false;
    http1::ParserLimits limits;
    std::size_t head_bytes_used = 0;
    std::size_t head_fields_used = 0;
  };
  explicit Http1BodyStream(Setup setup);
  ~Http1BodyStream() override;
  // Starts over for a new response (a recycled stream: see PersistConn::spare_body). Only
  // when lent() is false.
  void reset(Setup setup);
  // Whether a ResponseBody may still use this stream. False once it detached, and everything
  // that body's thread did to the stream is then visible to the caller (acquire): the
  // reference count alone cannot promise that, use_count() being a relaxed read.
  bool lent() const noexcept { return lent_.load(std::memory_order_acquire); }

  Result<std::size_t> read(std::span<std::byte> buf) override;
  void close() noexcept override;
  const Header* trailer() const noexcept override;
  void detach() noexcept override { lent_.store(false, std::memory_order_release); }

 private:
  // Body bytes after transfer decoding, before content decoding.
  Result<std::size_t> read_framed(std::span<std::byte> buf);
  Result<std::size_t> read_content_length(std::span<std::byte> buf);
  Result<std::size_t> read_chunked(std::span<std::byte> buf);
  Result<bool> advance_chunked();
  Result<std::size_t> read_until_close(std::span<std::byte> buf);
  // More bytes into the connection's buffer; 0 at EOF.
  Result<std::size_t> fill();
  Error read_error(Error error);
  Error truncated(std::string message);
  void finish();
  void abandon() noexcept;
  void release() noexcept;

  std::shared_ptr<Pool> pool_;
  std::shared_ptr<PersistConn> conn_;  // null once the exchange ended
  http1::BodyPlan plan_;
  Context ctx_;
  const ClientTrace* trace_ = nullptr;
  bool reusable_ = false;
  uint64_t remaining_ = 0;            // content_length framing
  uint64_t received_ = 0;
  uint64_t pending_chunk_data_ = 0;   // chunk data already decoded but not yet handed out
  std::size_t framing_after_data_ = 0;
  std::optional<http1::ChunkedDecoder> chunked_;
  std::unique_ptr<GunzipReader> gunzip_;
  bool framed_eof_ = false;           // the framing reached its end
  bool eof_ = false;                  // read() returned (or will return) 0
  std::optional<Error> error_;        // sticky
  Header trailer_;
  // Set when handed out in a ResponseBody; false again at detach(). The body's thread and the
  // connection's next user meet only through this flag (and the pool, for the connection).
  std::atomic<bool> lent_{false};
};

}  // namespace httptrace
