#include "load_threads.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include <httptrace/ip_address.hpp>

namespace httptrace::cli {

bool loopback_target(const Url& target) {
  std::string host(target.hostname());
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (host.ends_with('.')) host.pop_back();
  if (host == "localhost" || host.ends_with(".localhost")) return true;
  const auto addr = IpAddress::parse(host);
  return addr && addr->is_loopback();
}

int loop_threads(int requested, int connections, const Url& target, int cpus) {
  int threads = requested;
  if (threads <= 0) {
    cpus = std::max(cpus, 1);
    // A loop thread per core would take turns on the cores with the server: on 2 cores next
    // to a one-worker nginx, two loop threads served about a quarter fewer requests per
    // second than one did (docs/benchmarks.md, P6).
    threads = loopback_target(target) ? std::max(1, cpus / 2) : cpus;
  }
  return std::clamp(threads, 1, std::max(connections, 1));
}

}  // namespace httptrace::cli
