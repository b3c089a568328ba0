#include <cstring>

#include "httptrace/body.hpp"

namespace httptrace {

[[gnu::hot]] ResponseBody& ResponseBody::operator=(ResponseBody&& other) noexcept {
  if (this != &other) {
    let_go();
    stream_ = std::move(other.stream_);
  }
  return *this;
}

[[gnu::hot]] ResponseBody::~ResponseBody() { let_go(); }

[[gnu::hot]] void ResponseBody::let_go() noexcept {
  // detach() is the last call on the stream: after it the transport may reuse the stream.
  close();
  if (stream_) stream_->detach();
}

[[gnu::hot]] Result<std::size_t> ResponseBody::read(std::span<std::byte> buf) {
  if (!stream_) return std::size_t{0};
  return stream_->read(buf);
}

Result<std::string> ResponseBody::read_all() {
  std::string out;
  if (!stream_) return out;
  std::size_t chunk = 16 * 1024;
  for (;;) {
    std::size_t old = out.size();
    out.resize(old + chunk);
    auto n = stream_->read(std::as_writable_bytes(std::span<char>(out.data() + old, chunk)));
    if (!n) return fail(std::move(n.error()));
    out.resize(old + *n);
    if (*n == 0) return out;
    if (chunk < 256 * 1024) chunk *= 2;
  }
}

Result<uint64_t> ResponseBody::discard() {
  uint64_t total = 0;
  if (!stream_) return total;
  std::byte buf[16 * 1024];
  for (;;) {
    auto n = stream_->read(buf);
    if (!n) return fail(std::move(n.error()));
    if (*n == 0) return total;
    total += *n;
  }
}

[[gnu::hot]] void ResponseBody::close() noexcept {
  // The stream stays: its trailer remains readable; BodyStream::close is idempotent.
  if (stream_) stream_->close();
}

}  // namespace httptrace
