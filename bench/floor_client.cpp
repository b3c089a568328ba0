// The raw-socket floor (spec/performance.md "The common setup"): one keep-alive connection,
// one fixed GET written with one send(), then the head read up to its blank line and exactly
// Content-Length body bytes — no pool, no parser beyond that, no hooks. Nothing correct can be
// much cheaper, so every other client is measured against it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <expected>
#include <string>
#include <string_view>

#include "client_args.hpp"
#include "client_harness.hpp"

namespace {

struct Target {
  std::string ip;
  int port = 80;
  std::string path;
};

// Only what the benchmark passes: http://IPv4:port/path.
std::expected<Target, std::string> parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return std::unexpected("the floor speaks plain http only");
  url.remove_prefix(kScheme.size());
  const std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  Target target;
  target.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), target.port);
    if (ec != std::errc() || end != port.data() + port.size()) return std::unexpected("bad port");
    authority = authority.substr(0, colon);
  }
  target.ip = authority;
  return target;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

// The Content-Length value in `head` (lower-cased search; nginx writes "Content-Length").
std::expected<std::size_t, std::string> content_length(std::string_view head) {
  constexpr std::string_view kName = "\ncontent-length:";
  for (std::size_t i = 0; i + kName.size() <= head.size(); ++i) {
    std::size_t k = 0;
    while (k < kName.size() && lower(head[i + k]) == kName[k]) ++k;
    if (k < kName.size()) continue;
    std::size_t pos = i + kName.size();
    while (pos < head.size() && head[pos] == ' ') ++pos;
    std::size_t length = 0;
    auto [end, ec] = std::from_chars(head.data() + pos, head.data() + head.size(), length);
    if (ec != std::errc()) return std::unexpected("bad Content-Length");
    return length;
  }
  return std::unexpected("no Content-Length in the response");
}

class FloorConnection {
 public:
  ~FloorConnection() {
    if (fd_ >= 0) ::close(fd_);
  }

  std::expected<void, std::string> connect(const Target& target) {
    request_ = "GET " + target.path + " HTTP/1.1\r\nHost: " + target.ip + ":" +
               std::to_string(target.port) + "\r\n\r\n";
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return std::unexpected(std::string("socket: ") + std::strerror(errno));
    const int one = 1;
    // curl and Go both disable Nagle; so does the floor, to compare like with like.
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(target.port));
    if (::inet_pton(AF_INET, target.ip.c_str(), &addr.sin_addr) != 1) {
      return std::unexpected("the floor needs an IPv4 literal, not " + target.ip);
    }
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      return std::unexpected(std::string("connect: ") + std::strerror(errno));
    }
    return {};
  }

  std::expected<std::uint64_t, std::string> get() {
    if (::send(fd_, request_.data(), request_.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request_.size())) {
      return std::unexpected(std::string("send: ") + std::strerror(errno));
    }
    std::size_t filled = 0;
    std::size_t head_end = std::string_view::npos;
    while (head_end == std::string_view::npos) {
      auto n = receive(filled);
      if (!n) return std::unexpected(n.error());
      const std::size_t from = filled < 3 ? 0 : filled - 3;
      filled += *n;
      head_end = std::string_view(buffer_, filled).find("\r\n\r\n", from);
    }
    head_end += 4;
    auto length = content_length(std::string_view(buffer_, head_end));
    if (!length) return std::unexpected(length.error());
    std::size_t body = filled - head_end;
    while (body < *length) {
      auto n = receive(0);
      if (!n) return std::unexpected(n.error());
      body += *n;
    }
    if (body != *length) return std::unexpected("more bytes than Content-Length");
    return *length;
  }

 private:
  std::expected<std::size_t, std::string> receive(std::size_t offset) {
    if (offset == sizeof buffer_) return std::unexpected("response head over 64 KiB");
    const ssize_t n = ::recv(fd_, buffer_ + offset, sizeof buffer_ - offset, 0);
    if (n > 0) return static_cast<std::size_t>(n);
    if (n == 0) return std::unexpected("the server closed the connection");
    return std::unexpected(std::string("recv: ") + std::strerror(errno));
  }

  int fd_ = -1;
  std::string request_;
  char buffer_[64 * 1024];
};

}  // namespace

int main(int argc, char** argv) {
  const bench::ClientArgs args = bench::parse_client_args(argc, argv, {"keepalive"});
  auto target = parse_url(args.url);
  if (!target) {
    std::fprintf(stderr, "floor_client: %s\n", target.error().c_str());
    return 2;
  }
  static FloorConnection connection;
  if (auto connected = connection.connect(*target); !connected) {
    std::fprintf(stderr, "floor_client: %s\n", connected.error().c_str());
    return 1;
  }
  return bench::run_client("floor", args, [] { return connection.get(); });
}
