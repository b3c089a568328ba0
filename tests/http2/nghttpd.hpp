#pragma once
// NghttpdServer: nghttp2's own server (Debian's nghttp2-server) on 127.0.0.1 for the HTTP/2
// integration tests — TLS with ALPN h2 from a TestPki certificate, or cleartext (h2c with prior
// knowledge). It serves a fresh document root (hello.txt, big.bin, and whatever a test adds),
// echoes POST/PUT bodies (--echo-upload) and adds a trailer to every response with a body.
// Construct and destroy on one thread.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "support/pki.hpp"

namespace httptrace::testing {

struct NghttpdOptions {
  // TLS with this leaf; none = cleartext (--no-tls).
  std::optional<CertFiles> tls;
  // -m: SETTINGS_MAX_CONCURRENT_STREAMS.
  std::optional<int> max_concurrent_streams;
};

// What the document root holds.
inline constexpr std::string_view kNghttpdHello = "hello from nghttpd\n";
inline constexpr std::size_t kNghttpdBigSize = 3 * 1024 * 1024 + 17;
// The trailer field every response with a body ends with.
inline constexpr std::string_view kNghttpdTrailerKey = "X-H2-Trailer";
inline constexpr std::string_view kNghttpdTrailerValue = "yes";

// The exact bytes of big.bin.
std::string nghttpd_big_content();

class NghttpdServer {
 public:
  // Starts nghttpd and returns once it accepts connections (≤ 5 s). Throws std::runtime_error
  // with nghttpd's output if it is missing or never comes up.
  explicit NghttpdServer(NghttpdOptions options);
  ~NghttpdServer();
  NghttpdServer(const NghttpdServer&) = delete;
  NghttpdServer& operator=(const NghttpdServer&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::filesystem::path document_root() const;
  // What nghttpd printed (errors).
  std::string output() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
};

}  // namespace httptrace::testing
