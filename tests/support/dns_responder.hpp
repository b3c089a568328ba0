#pragma once
// DnsResponder: our scripted UDP DNS server on 127.0.0.1, for what a real server will not do
// on demand — answer late, hold an answer until the test releases it, fail with SERVFAIL or
// REFUSED, stay silent — and for counting every query that reaches it. One thread serves;
// every member is thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "httptrace/ip_address.hpp"
#include "support/loopback.hpp"

namespace httptrace::testing {

struct DnsScript {
  enum class Reply { answer, not_found, server_failure, refused, silence };
  Reply reply = Reply::answer;
  // For `answer`: A queries get the IPv4 addresses, AAAA queries the IPv6 ones (none of the
  // type = an empty NOERROR answer), in this order.
  std::vector<IpAddress> addresses;
  // Every reply leaves this much after its query arrived.
  std::chrono::milliseconds delay{0};
  // Replies wait until release(name).
  bool hold = false;
};

class DnsResponder {
 public:
  // Binds 127.0.0.1:0 (UDP) and starts serving. Unscripted names get NXDOMAIN. Throws
  // std::runtime_error if the socket cannot be made.
  DnsResponder();
  ~DnsResponder();
  DnsResponder(const DnsResponder&) = delete;
  DnsResponder& operator=(const DnsResponder&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  // "127.0.0.1:P", as ResolverOptions::servers takes it.
  std::string server() const;

  // How to answer `name` (lower case, no trailing dot) from now on.
  void script(std::string name, DnsScript script);
  // Sends every reply held for `name` now, and holds no more.
  void release(std::string_view name);

  // Queries received for `name` (any type; one lookup asks A and AAAA), of one type (kTypeA,
  // kTypeAAAA), or for any name.
  int queries(std::string_view name) const;
  int queries(std::string_view name, std::uint16_t type) const;
  int total_queries() const;
  // Waits until at least `count` queries for `name` have arrived; false on timeout.
  bool wait_for_queries(std::string_view name, int count, std::chrono::milliseconds timeout) const;

 private:
  struct Reply {
    std::chrono::steady_clock::time_point due;
    std::string name;
    std::string packet;
    std::vector<unsigned char> peer;  // the querier's sockaddr
    bool held = false;
  };

  void serve();
  void receive();
  void send_due();
  void signal() const noexcept;

  UniqueFd socket_;
  UniqueFd wake_;
  std::uint16_t port_ = 0;
  mutable std::mutex mu_;
  mutable std::condition_variable arrived_;
  std::map<std::string, DnsScript, std::less<>> scripts_;              // mu_
  std::map<std::string, int, std::less<>> counts_;                     // mu_
  std::map<std::pair<std::string, std::uint16_t>, int> typed_counts_;  // mu_
  int total_ = 0;                                                      // mu_
  std::vector<Reply> replies_;                                         // mu_
  bool stopping_ = false;                                              // mu_
  std::thread thread_;
};

}  // namespace httptrace::testing
