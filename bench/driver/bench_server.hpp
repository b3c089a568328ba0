#pragma once
// The nginx every end-to-end row runs against (spec/performance.md "The common setup"): one
// process in the foreground on 127.0.0.1, access_log off, keepalive_requests high,
// `location = /hello { return 200 "hello world\n"; }`, static files /static/16k.bin and
// /static/1m.bin, and the same locations on a TLS listener whose certificate is signed by a CA
// made here with the openssl CLI, and on a second TLS listener with HTTP/2 (`listen ... ssl
// http2`; the first one stays HTTP/1.1 only, so the HTTPS rows compare HTTP/1.1 with HTTP/1.1).
// Everything lives in a fresh temp dir, removed on destruction.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace bench {

class BenchServer {
 public:
  // Generates the certificates, files and config, starts nginx and waits (≤ 5 s) until both
  // listeners accept. `max_files` is the RLIMIT_NOFILE nginx may use (P8 holds 10,000
  // connections). Throws std::runtime_error with nginx's error log when it does not come up.
  explicit BenchServer(std::uint64_t max_files);
  ~BenchServer();
  BenchServer(const BenchServer&) = delete;
  BenchServer& operator=(const BenchServer&) = delete;

  // "http://127.0.0.1:P/path" and "https://127.0.0.1:T/path".
  std::string url(std::string_view path) const;
  std::string tls_url(std::string_view path) const;
  // "https://127.0.0.1:H/path": the listener with HTTP/2.
  std::string h2_url(std::string_view path) const;
  // The CA that signed the TLS listener's certificate (PEM), for --ca.
  std::filesystem::path ca_file() const { return dir_ / "ca.pem"; }
  int worker_connections() const noexcept { return worker_connections_; }

 private:
  void make_certificates() const;
  void write_files() const;
  std::string config() const;
  bool start_once();

  std::filesystem::path dir_;
  std::uint64_t max_files_ = 0;
  int worker_connections_ = 0;
  std::uint16_t port_ = 0;
  std::uint16_t tls_port_ = 0;
  std::uint16_t h2_port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace bench
