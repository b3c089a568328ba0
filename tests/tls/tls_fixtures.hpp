#pragma once
// Helpers for the TLS tests: a plain TCP connection to a loopback port wrapped in
// net::TcpStream, a recorder for the two TLS hooks, and a minimal HTTP/1.1 exchange over any
// Stream (to prove bytes flow both ways through TLS).

#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "httptrace/context.hpp"
#include "httptrace/trace.hpp"
#include "net/stream.hpp"
#include "net/tcp_stream.hpp"
#include "support/loopback.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::testing {

// A connected TcpStream to 127.0.0.1:port (or [::1]); throws if the connect fails.
inline std::unique_ptr<net::Stream> connect_tcp(std::uint16_t port,
                                                Loopback family = Loopback::ipv4) {
  auto fd = connect_loopback(family, port, std::chrono::seconds(5));
  if (!fd)
    throw std::runtime_error("connect to port " + std::to_string(port) + ": " +
                             errno_text(fd.error()));
  return std::make_unique<net::TcpStream>(fd->release());
}

// Records tls_handshake_start / tls_handshake_done as they fire.
class TlsHookLog {
 public:
  struct Done {
    TLSConnectionState state;
    bool failed = false;
    std::string error;  // the message, when failed
    std::thread::id thread;
  };

  ClientTrace trace() {
    ClientTrace trace;
    trace.tls_handshake_start = [this] {
      std::lock_guard lock(mu_);
      events_.push_back("start");
      start_threads_.push_back(std::this_thread::get_id());
    };
    trace.tls_handshake_done = [this](const TLSConnectionState& state, const Error* err) {
      std::lock_guard lock(mu_);
      events_.push_back(err != nullptr ? "done err" : "done ok");
      dones_.push_back(Done{state, err != nullptr, err != nullptr ? err->message() : "",
                            std::this_thread::get_id()});
    };
    return trace;
  }

  // Forgets what was recorded (before the next handshake of a test).
  void clear() {
    std::lock_guard lock(mu_);
    events_.clear();
    dones_.clear();
    start_threads_.clear();
  }

  std::vector<std::string> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  std::vector<Done> dones() const {
    std::lock_guard lock(mu_);
    return dones_;
  }
  std::vector<std::thread::id> start_threads() const {
    std::lock_guard lock(mu_);
    return start_threads_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> events_;
  std::vector<Done> dones_;
  std::vector<std::thread::id> start_threads_;
};

// An empty state, as tls_handshake_done must report on failure.
inline bool is_empty(const TLSConnectionState& state) {
  return !state.handshake_complete && state.version == 0 && state.version_name.empty() &&
         state.cipher_suite == 0 && state.cipher_suite_name.empty() && state.server_name.empty() &&
         state.negotiated_protocol.empty() && !state.did_resume &&
         state.peer_certificates.empty() && state.verified_chains.empty();
}

struct HttpReply {
  std::string head;
  std::string body;
};

// Writes `GET path HTTP/1.1` (in several small parts, as a request writer would) and reads one
// response framed by Content-Length. Throws std::runtime_error on any failure, with its text.
inline HttpReply http_get(
    net::Stream& stream, const std::string& path, const std::string& host = "localhost",
    std::chrono::milliseconds bound = scaled(std::chrono::milliseconds(5000))) {
  auto [ctx, cancel] = with_timeout(background(), bound);
  const std::string parts_text[] = {"GET " + path + " HTTP/1.1\r\n", "Host: " + host + "\r\n",
                                    "User-Agent: httptrace-test\r\n", "\r\n"};
  std::vector<net::ConstBuffer> parts;
  for (const std::string& text : parts_text) parts.push_back(std::as_bytes(std::span(text)));
  if (auto wrote = stream.write(parts, ctx); !wrote) {
    throw std::runtime_error("write: " + wrote.error().message());
  }
  std::string received;
  std::size_t head_end = std::string::npos;
  std::size_t body_length = 0;
  std::byte buffer[16384];
  for (;;) {
    if (head_end == std::string::npos) {
      head_end = received.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const std::string head = received.substr(0, head_end);
        const auto at = head.find("Content-Length: ");
        if (at == std::string::npos) throw std::runtime_error("no Content-Length in: " + head);
        body_length = std::stoul(head.substr(at + 16));
        head_end += 4;
      }
    }
    if (head_end != std::string::npos && received.size() >= head_end + body_length) {
      return HttpReply{received.substr(0, head_end), received.substr(head_end, body_length)};
    }
    auto n = stream.read(buffer, ctx);
    if (!n) throw std::runtime_error("read: " + n.error().message());
    if (*n == 0)
      throw std::runtime_error("read: EOF after " + std::to_string(received.size()) + " bytes");
    received.append(reinterpret_cast<const char*>(buffer), *n);
  }
}

// Everything `stream` delivers until its end (read 0) or an error: the bytes, and the error.
struct ReadToEnd {
  std::string bytes;
  std::optional<Error> error;
};

inline ReadToEnd read_to_end(net::Stream& stream, std::chrono::milliseconds bound =
                                                      scaled(std::chrono::milliseconds(5000))) {
  auto [ctx, cancel] = with_timeout(background(), bound);
  ReadToEnd out;
  std::byte buffer[4096];
  for (;;) {
    auto n = stream.read(buffer, ctx);
    if (!n) {
      out.error = n.error();
      return out;
    }
    if (*n == 0) return out;
    out.bytes.append(reinterpret_cast<const char*>(buffer), *n);
  }
}

}  // namespace httptrace::testing
