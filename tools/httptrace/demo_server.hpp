#pragma once
// The server `httptrace demo` inspects: HTTP/1.1 on 127.0.0.1, plain and (given a certificate)
// TLS, each on a port the kernel picks. Deliberately small — a thread per connection, keep-alive,
// request bodies read and dropped — and just real enough to show every phase:
//
//   /hello     200 "hello from the httptrace demo\n"
//   /slow      200 after 30 ms (the server-processing phase)
//   /redirect  302 to /hello
//   /chunked   200, the hello in chunks (Transfer-Encoding: chunked)
//   /large     200, 1 MiB of text
//   anything else 404
//
// The release build's training run (tools/pgo_train) serves its requests from here too.
//
// Not a general server: it trusts its peer (the demo's own client) to send sane requests.

#include <cstdint>
#include <memory>

#include "demo_certificate.hpp"

namespace httptrace::cli {

class DemoServer {
 public:
  // Listens, and serves from background threads until destroyed. `tls` null: plain only.
  // Sets SIGPIPE to be ignored (a peer that left must not kill the process).
  // Throws std::runtime_error when a socket or the TLS context cannot be set up.
  explicit DemoServer(const DemoCertificate* tls);
  // Stops listening, ends open connections and joins every thread.
  ~DemoServer();
  DemoServer(const DemoServer&) = delete;
  DemoServer& operator=(const DemoServer&) = delete;

  uint16_t port() const noexcept;
  uint16_t tls_port() const noexcept;  // 0 without TLS

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace httptrace::cli
