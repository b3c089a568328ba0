#pragma once
// CaresLookup: one ares_getaddrinfo on a channel of its own, advanced step by step by whoever
// drives it (see single_flight.hpp). A channel per lookup, because c-ares 1.18 cannot cancel
// one query: ares_cancel and ares_destroy end every query of a channel, and the last caller
// leaving must be able to end its lookup without touching anyone else's
// (cpp-landscape.md §4.2).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "httptrace/ip_address.hpp"
#include "net/dns_server.hpp"
#include "net/single_flight.hpp"

struct ares_channeldata;
struct ares_addrinfo;

namespace httptrace::net {

struct CaresConfig {
  // Empty = the system's (/etc/resolv.conf, with its search list and options). Given servers
  // make the channel self-contained: resolv.conf is not read at all, no search list, ndots 1.
  std::vector<DnsServer> servers;
  // Read /etc/hosts before asking DNS; hosts-file answers keep the file's order (as Go's).
  bool use_hosts_file = true;
  // c-ares' per-try timeout (doubling on each retry) and tries per server. Set explicitly so
  // that resolv.conf's `options timeout:/attempts:` never apply. The caller's context bounds
  // the whole lookup anyway (c-ares' total is hard to predict, cpp-landscape.md §4.2 (b)).
  std::chrono::milliseconds try_timeout{5000};
  int tries = 2;
  // Tests: read the hosts file named by $CARES_HOSTS instead of /etc/hosts.
  bool hosts_path_from_environment = false;
};

class CaresLookup final : public DrivenLookup {
 public:
  CaresLookup(const CaresConfig& config, std::string host);
  ~CaresLookup() override;
  CaresLookup(const CaresLookup&) = delete;
  CaresLookup& operator=(const CaresLookup&) = delete;

  void start() override;
  [[nodiscard]] Result<void> step(const Context& ctx) override;
  const std::optional<Result<std::vector<IpAddress>>>& outcome() const override { return outcome_; }

  // The servers the channel asks, as c-ares reports them (tests: no system server slipped in).
  std::vector<DnsServer> servers() const;

 private:
  static void on_addrinfo(void* self, int status, int timeouts, ares_addrinfo* result);
  void finish(int status, ares_addrinfo* result);
  friend struct CaresSockets;
  // Every UDP answer passes here (our socket functions): remembers a SERVFAIL or REFUSED.
  void note_answer(const unsigned char* packet, std::size_t length) noexcept;

  ares_channeldata* channel_ = nullptr;
  std::string host_;
  bool hosts_path_from_environment_ = false;
  // True while ares_getaddrinfo runs: an answer arriving then came from the hosts file
  // (c-ares answers those synchronously), the only answers Go leaves unsorted.
  bool starting_ = false;
  // The last failure code (RFC 1035 §4.1.1 RCODE) a server answered with, 0 if none. c-ares
  // 1.18 skips a server that answers SERVFAIL or REFUSED without recording why, and reports
  // ARES_ECONNREFUSED once none is left; this tells what really happened.
  int failure_rcode_ = 0;
  std::optional<Result<std::vector<IpAddress>>> outcome_;
};

}  // namespace httptrace::net
