#pragma once
// The body of an HTTP/2 response as the caller reads it: the stream's DATA as it arrives
// (reading reopens the stream's flow-control window by what was read), optional transparent
// gunzip (trace-semantics §8.3, the HTTP/1 rules), and the trailer. Closing before the end
// resets the stream (RST_STREAM CANCEL) — the connection stays; nothing is ever pooled, so
// put_idle_conn never fires for HTTP/2.

#include <memory>
#include <optional>

#include "http2/stream_state.hpp"
#include "httptrace/body.hpp"
#include "httptrace/context.hpp"
#include "transport/gunzip_reader.hpp"

namespace httptrace::http2 {

class ClientConnection;

class Http2BodyStream final : public detail::BodyStream {
 public:
  // `ctx`: the request's, whose deadline and cancellation cut through a stalled read.
  Http2BodyStream(std::shared_ptr<ClientConnection> conn, std::shared_ptr<StreamState> stream,
                  Context ctx, bool gunzip);
  ~Http2BodyStream() override;

  Result<std::size_t> read(std::span<std::byte> buf) override;
  void close() noexcept override;
  const Header* trailer() const noexcept override { return eof_ ? &trailer_ : nullptr; }

 private:
  Result<std::size_t> read_raw(std::span<std::byte> buf);
  void release() noexcept;

  std::shared_ptr<ClientConnection> conn_;  // null once the body ended
  std::shared_ptr<StreamState> stream_;
  Context ctx_;
  std::unique_ptr<GunzipReader> gunzip_;
  bool raw_eof_ = false;
  bool eof_ = false;
  std::optional<Error> error_;  // sticky
  Header trailer_;
};

}  // namespace httptrace::http2
