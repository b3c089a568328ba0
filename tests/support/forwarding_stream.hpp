#pragma once
// A net::Stream that passes every call to the stream it wraps: the base of the test streams
// that change one behaviour (a fault, a pause) and leave the rest to the real connection.

#include <memory>
#include <optional>
#include <span>
#include <string>

#include "net/stream.hpp"

namespace httptrace::testing {

class ForwardingStream : public net::Stream {
 public:
  explicit ForwardingStream(std::unique_ptr<net::Stream> inner) : inner_(std::move(inner)) {}

  Result<std::size_t> try_read(std::span<std::byte> buf) override { return inner_->try_read(buf); }
  Result<std::size_t> try_write(std::span<const net::ConstBuffer> parts) override {
    return inner_->try_write(parts);
  }
  Result<net::Readiness> wait(bool want_read, bool want_write, const Context& ctx,
                              std::optional<net::TimePoint> op_deadline) override {
    return inner_->wait(want_read, want_write, ctx, op_deadline);
  }
  bool has_buffered_input() const noexcept override { return inner_->has_buffered_input(); }
  bool idle_alive() noexcept override { return inner_->idle_alive(); }
  Result<std::size_t> read(std::span<std::byte> buf, const Context& ctx,
                           std::optional<net::TimePoint> op_deadline) override {
    return inner_->read(buf, ctx, op_deadline);
  }
  using Stream::write;
  Result<void> write(std::span<const net::ConstBuffer> parts, const Context& ctx) override {
    return inner_->write(parts, ctx);
  }
  int fd() const noexcept override { return inner_->fd(); }
  void close() noexcept override { inner_->close(); }
  const TLSConnectionState* tls() const noexcept override { return inner_->tls(); }
  std::shared_ptr<const TLSConnectionState> shared_tls() const noexcept override {
    return inner_->shared_tls();
  }
  const std::string& local_addr() const noexcept override { return inner_->local_addr(); }
  const std::string& remote_addr() const noexcept override { return inner_->remote_addr(); }

 protected:
  std::unique_ptr<net::Stream> inner_;
};

}  // namespace httptrace::testing
