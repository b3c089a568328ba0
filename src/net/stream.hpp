#pragma once
// Stream: one layer of a connection's private stream stack (TCP → optional proxy tunnel →
// optional TLS), in the manner of curl's connection filters. The transport and the codecs see
// only this interface; each layer decides how it waits (TLS may need to write to read).

#include <cstddef>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "httptrace/trace.hpp"
#include "net/wait_io.hpp"

namespace httptrace::net {

using ConstBuffer = std::span<const std::byte>;

// try_read / try_write: nothing could be done without waiting.
inline constexpr std::size_t kWouldBlock = std::numeric_limits<std::size_t>::max();

// What a wait reported ready.
struct Readiness {
  bool readable = false;
  bool writable = false;
};

class Stream {
 public:
  virtual ~Stream() = default;

  // Reads what is available now, never waiting: a count, 0 at an orderly end of stream, or
  // kWouldBlock.
  [[nodiscard]] virtual Result<std::size_t> try_read(std::span<std::byte> buf) = 0;
  // Writes what fits now (gathering `parts`), never waiting: a count or kWouldBlock.
  [[nodiscard]] virtual Result<std::size_t> try_write(std::span<const ConstBuffer> parts) = 0;
  // Waits until reading and/or writing can make progress (as the last try_* left this layer
  // needing), the context ends, or `op_deadline` passes (ErrorCode::timeout).
  [[nodiscard]] virtual Result<Readiness> wait(bool want_read, bool want_write, const Context& ctx,
                                               std::optional<TimePoint> op_deadline) = 0;
  // Whether bytes are buffered inside this layer (TLS records already decrypted), so a read
  // would not block although the fd is not readable.
  virtual bool has_buffered_input() const noexcept { return false; }
  // Whether a connection that sat idle in the pool is still fit to carry a request: the peer
  // has neither closed it nor sent anything unsolicited (a 408, stray bytes) — such bytes
  // must never be read as the next response (bad-inputs E31, E35). Never blocks.
  virtual bool idle_alive() noexcept = 0;

  // Reads at least one byte (or 0 at the end of the stream), waiting as needed.
  [[nodiscard]] virtual Result<std::size_t> read(std::span<std::byte> buf, const Context& ctx,
                                                 std::optional<TimePoint> op_deadline = std::nullopt);
  // Writes every byte of `parts`, waiting as needed.
  [[nodiscard]] virtual Result<void> write(std::span<const ConstBuffer> parts, const Context& ctx);
  [[nodiscard]] Result<void> write(ConstBuffer bytes, const Context& ctx) {
    return write(std::span<const ConstBuffer>(&bytes, 1), ctx);
  }

  virtual int fd() const noexcept = 0;
  virtual void close() noexcept = 0;
  // The TLS state of the outermost TLS layer, or null.
  virtual const TLSConnectionState* tls() const noexcept { return nullptr; }
  virtual std::shared_ptr<const TLSConnectionState> shared_tls() const noexcept { return nullptr; }
  // "ip:port" of each end of the underlying TCP connection ("[::1]:80" for IPv6).
  virtual const std::string& local_addr() const noexcept = 0;
  virtual const std::string& remote_addr() const noexcept = 0;
};

}  // namespace httptrace::net
