// P8: what 10,000 idle pooled connections cost us (spec/performance.md). Opens --conns
// connections to one server at once by holding each response's body unread (so the pool must
// dial a new connection for the next request), then reads every body to EOF so each connection
// goes back to the idle pool, drops the responses, and reports how much our heap (bytes live
// from malloc's own accounting: everything the library and its dependencies hold) and our RSS
// grew per idle connection. Kernel socket buffers are not in either figure: they are the
// kernel's, not ours.
//
//   idle_conns --url URL [--conns N]
//
// Prints one JSON line: conns, idle_conns, heap_bytes_per_conn, rss_bytes_per_conn, and the
// raw before/after figures.

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "httptrace/http.hpp"
#include <httptrace/json.hpp>

namespace {

struct Memory {
  std::uint64_t heap = 0;  // bytes handed out by malloc and not yet freed
  std::uint64_t rss = 0;
};

Memory memory_now() {
  const struct mallinfo2 info = ::mallinfo2();
  Memory memory;
  memory.heap = info.uordblks + info.hblkhd;
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  statm >> size >> resident;
  memory.rss = resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return memory;
}

int fail(const std::string& what) {
  httptrace::JsonObject line;
  line.field("client", "httptrace").field("error", what);
  std::printf("%s\n", line.str().c_str());
  return 1;
}

bool drain(httptrace::Response& response, std::string& error) {
  std::array<std::byte, 4096> scratch;
  for (;;) {
    auto n = response.body().read(scratch);
    if (!n) {
      error = n.error().message();
      return false;
    }
    if (*n == 0) return true;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  long conns = 10000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const std::string_view value = argv[i + 1];
    if (flag == "--url") url = value;
    if (flag == "--conns") std::from_chars(value.data(), value.data() + value.size(), conns);
  }
  if (url.empty() || conns < 2) {
    std::fprintf(stderr, "usage: %s --url URL [--conns N]   (N >= 2)\n", argv[0]);
    return 2;
  }

  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_cur < static_cast<rlim_t>(conns) + 64) {
    return fail("RLIMIT_NOFILE hard limit " + std::to_string(files.rlim_cur) + " is too low for " +
                std::to_string(conns) + " connections (raise ulimit -Hn)");
  }

  httptrace::TransportOptions options;
  options.proxy = nullptr;
  options.max_idle_conns = 0;
  options.max_idle_conns_per_host = static_cast<int>(conns);
  auto transport = std::make_shared<httptrace::Transport>(options);
  httptrace::ClientOptions client_options;
  client_options.transport = transport;
  httptrace::Client client(client_options);
  auto request = httptrace::Request::make("GET", url);
  if (!request) return fail(request.error().message());

  std::vector<httptrace::Response> held;
  held.reserve(static_cast<std::size_t>(conns));
  std::string error;
  // The first connection, its buffers and the library's one-time state are the baseline.
  {
    auto first = client.send(*request);
    if (!first) return fail(first.error().message());
    if (!drain(*first, error)) return fail(error);
  }
  const Memory before = memory_now();

  // The first takes the idle connection; every later one finds none idle and dials.
  for (long i = 0; i < conns; ++i) {
    auto response = client.send(*request);
    if (!response)
      return fail("connection " + std::to_string(i) + ": " + response.error().message());
    held.push_back(std::move(*response));
  }
  for (auto& response : held) {
    if (!drain(response, error)) return fail(error);
  }
  held.clear();
  const Memory after = memory_now();
  const httptrace::PoolStats stats = transport->pool_stats();

  // `before` already held one idle connection.
  const auto added = static_cast<double>(conns - 1);
  httptrace::JsonObject line;
  line.field("client", "httptrace").field("conns", std::int64_t{conns});
  line.field("idle_conns", std::uint64_t{stats.idle_conns});
  line.field("open_conns", std::uint64_t{stats.open_conns});
  line.field("heap_before", before.heap).field("heap_after", after.heap);
  line.field("rss_before", before.rss).field("rss_after", after.rss);
  line.field("heap_bytes_per_conn", (static_cast<double>(after.heap) - before.heap) / added, 1);
  line.field("rss_bytes_per_conn", (static_cast<double>(after.rss) - before.rss) / added, 1);
  std::printf("%s\n", line.str().c_str());
  return 0;
}
