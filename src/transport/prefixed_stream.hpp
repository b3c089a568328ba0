#pragma once
// A stream that first yields bytes already read from the layer below (what a proxy sent after
// its CONNECT answer belongs to the tunnel, e.g. the TLS server's first bytes), then reads
// through. Everything else is the lower stream's.

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "net/stream.hpp"

namespace httptrace {

class PrefixedStream final : public net::Stream {
 public:
  PrefixedStream(std::unique_ptr<net::Stream> inner, std::string prefix)
      : inner_(std::move(inner)), prefix_(std::move(prefix)) {}

  Result<std::size_t> try_read(std::span<std::byte> buf) override {
    if (offset_ == prefix_.size()) return inner_->try_read(buf);
    std::size_t n = std::min(buf.size(), prefix_.size() - offset_);
    std::memcpy(buf.data(), prefix_.data() + offset_, n);
    offset_ += n;
    return n;
  }
  Result<std::size_t> try_write(std::span<const net::ConstBuffer> parts) override { return inner_->try_write(parts); }
  Result<net::Readiness> wait(bool want_read, bool want_write, const Context& ctx,
                              std::optional<net::TimePoint> op_deadline) override {
    if (want_read && has_buffered_input()) return net::Readiness{true, false};
    return inner_->wait(want_read, want_write, ctx, op_deadline);
  }
  bool has_buffered_input() const noexcept override {
    return offset_ < prefix_.size() || inner_->has_buffered_input();
  }
  bool idle_alive() noexcept override { return offset_ == prefix_.size() && inner_->idle_alive(); }
  int fd() const noexcept override { return inner_->fd(); }
  void close() noexcept override { inner_->close(); }
  const TLSConnectionState* tls() const noexcept override { return inner_->tls(); }
  std::shared_ptr<const TLSConnectionState> shared_tls() const noexcept override { return inner_->shared_tls(); }
  const std::string& local_addr() const noexcept override { return inner_->local_addr(); }
  const std::string& remote_addr() const noexcept override { return inner_->remote_addr(); }

 private:
  std::unique_ptr<net::Stream> inner_;
  std::string prefix_;
  std::size_t offset_ = 0;
};

}  // namespace httptrace
