#pragma once
// Tinyproxy: a real forward proxy (tinyproxy-bin) on 127.0.0.1 for the proxy tests — plain
// HTTP forwarding and CONNECT tunnels, optionally behind Basic credentials. Runs in the
// foreground as a child of the test; its config, log and pid file live in a temp dir removed
// with the fixture.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace httptrace::testing {

struct TinyproxyOptions {
  // BasicAuth user and password; nullopt = no authentication.
  std::optional<std::pair<std::string, std::string>> basic_auth;
};

class Tinyproxy {
 public:
  // Starts tinyproxy and returns once it accepts connections (≤ 5 s). Throws
  // std::runtime_error with its log if it is missing or never comes up.
  explicit Tinyproxy(TinyproxyOptions options = {});
  ~Tinyproxy();
  Tinyproxy(const Tinyproxy&) = delete;
  Tinyproxy& operator=(const Tinyproxy&) = delete;

  static bool available();
  std::uint16_t port() const noexcept { return port_; }
  // "http://127.0.0.1:P", with "user:password@" when `with_credentials` and auth is on.
  std::string url(bool with_credentials = true) const;
  std::string log() const;
  void stop();

 private:
  TinyproxyOptions options_;
  TempDir dir_;
  std::uint16_t port_ = 0;
  std::optional<ChildProcess> process_;
};

}  // namespace httptrace::testing
