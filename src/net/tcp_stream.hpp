#pragma once
// TcpStream: the bottom of every connection's stream stack — a connected TCP socket.
//
// The socket stays in blocking mode; single attempts use MSG_DONTWAIT, and waits go through
// wait_io. When the context can never end (background, no deadline) a read or write is one
// plain blocking system call instead of try + poll: the keep-alive fast path.

#include <string>

#include "net/stream.hpp"

namespace httptrace::net {

class TcpStream final : public Stream {
 public:
  // Takes ownership of a connected socket.
  explicit TcpStream(int fd);
  ~TcpStream() override;
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;

  Result<std::size_t> try_read(std::span<std::byte> buf) override;
  Result<std::size_t> try_write(std::span<const ConstBuffer> parts) override;
  Result<Readiness> wait(bool want_read, bool want_write, const Context& ctx,
                         std::optional<TimePoint> op_deadline) override;
  Result<std::size_t> read(std::span<std::byte> buf, const Context& ctx,
                           std::optional<TimePoint> op_deadline = std::nullopt) override;
  using Stream::write;
  Result<void> write(std::span<const ConstBuffer> parts, const Context& ctx) override;

  int fd() const noexcept override { return fd_; }
  void close() noexcept override;
  const std::string& local_addr() const noexcept override { return local_addr_; }
  const std::string& remote_addr() const noexcept override { return remote_addr_; }

  // One poll with a zero timeout: readable means closed or unsolicited bytes.
  bool idle_alive() noexcept override;

 private:
  Error io_error(const char* op, int err) const;

  int fd_;
  std::string local_addr_;
  std::string remote_addr_;
};

// "ip:port" of a socket address ("[::1]:80" for IPv6).
std::string format_sockaddr(const struct sockaddr* addr);

// Classifies errno from a socket call into an Error: "read tcp A->B: connection reset by peer".
Error socket_error(const char* op, int err, const std::string& local, const std::string& remote);

}  // namespace httptrace::net
