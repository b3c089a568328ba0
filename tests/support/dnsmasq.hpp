#pragma once
// Dnsmasq: a real DNS server for the tests — dnsmasq on 127.0.0.1 at a free port, answering
// only from the hosts data it is given (authoritatively, as DNS answers), with no access to the
// machine's configuration or upstream servers: --conf-file=/dev/null, --no-resolv, --no-hosts.
// Names under `local_domain` missing from the data get NXDOMAIN; any other name REFUSED.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace httptrace::testing {

class Dnsmasq {
 public:
  // `hosts`: the text of an /etc/hosts-style file ("127.0.0.1 a.test\n::1 a.test\n"). Returns
  // once dnsmasq answers queries. Throws std::runtime_error if dnsmasq is missing or does not
  // come up (its log in the message).
  explicit Dnsmasq(std::string_view hosts, std::string_view local_domain = "test");
  ~Dnsmasq();
  Dnsmasq(const Dnsmasq&) = delete;
  Dnsmasq& operator=(const Dnsmasq&) = delete;

  // Whether the dnsmasq program is installed (tests GTEST_SKIP otherwise).
  static bool available();

  std::uint16_t port() const noexcept { return port_; }
  // "127.0.0.1:P", as ResolverOptions::servers takes it.
  std::string server() const;
  // What dnsmasq logged (it logs every query): for failure messages.
  std::string log() const;

 private:
  bool start_at(std::uint16_t port, std::string_view local_domain);

  TempDir dir_;
  std::optional<ChildProcess> process_;
  std::uint16_t port_ = 0;
};

}  // namespace httptrace::testing
