#pragma once
// The command line the three end-to-end clients share (docs/benchmarks.md):
//
//   <client> --url URL [--requests N] [--warmup N] [--mode MODE] [--ca FILE] [--count-allocs]
//
// --requests: timed requests (default 1000); --warmup: untimed requests before them (default
// 100); --mode: what the client varies (each client lists its own); --ca: the PEM bundle that
// signs an https server's certificate; --count-allocs: count heap allocations in the timed loop.

#include <initializer_list>
#include <string>
#include <string_view>

namespace bench {

struct ClientArgs {
  std::string url;
  long requests = 1000;
  long warmup = 100;
  std::string mode;
  std::string ca_file;
  bool count_allocs = false;
};

// `modes` lists the accepted --mode values, the first being the default. A bad command line
// prints the usage to stderr and exits with status 2.
ClientArgs parse_client_args(int argc, char** argv, std::initializer_list<std::string_view> modes);

}  // namespace bench
