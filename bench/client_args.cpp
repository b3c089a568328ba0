#include "client_args.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace bench {
namespace {

[[noreturn]] void usage(const char* program, std::initializer_list<std::string_view> modes,
                        std::string_view problem) {
  std::string mode_list;
  for (std::string_view mode : modes) {
    if (!mode_list.empty()) mode_list += '|';
    mode_list += mode;
  }
  std::fprintf(stderr,
               "%s: %.*s\nusage: %s --url URL [--requests N] [--warmup N] [--mode %s] [--ca FILE] "
               "[--count-allocs]\n",
               program, static_cast<int>(problem.size()), problem.data(), program,
               mode_list.c_str());
  std::exit(2);
}

bool parse_count(std::string_view text, long& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0;
}

}  // namespace

ClientArgs parse_client_args(int argc, char** argv, std::initializer_list<std::string_view> modes) {
  ClientArgs args;
  args.mode = std::string(*modes.begin());
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--count-allocs") {
      args.count_allocs = true;
      continue;
    }
    if (i + 1 >= argc) usage(argv[0], modes, std::string(flag) + " needs a value");
    const std::string_view value = argv[++i];
    if (flag == "--url") {
      args.url = value;
    } else if (flag == "--mode") {
      args.mode = value;
    } else if (flag == "--ca") {
      args.ca_file = value;
    } else if (flag == "--requests") {
      if (!parse_count(value, args.requests)) usage(argv[0], modes, "bad --requests");
    } else if (flag == "--warmup") {
      if (!parse_count(value, args.warmup)) usage(argv[0], modes, "bad --warmup");
    } else {
      usage(argv[0], modes, "unknown flag " + std::string(flag));
    }
  }
  if (args.url.empty()) usage(argv[0], modes, "--url is required");
  if (args.requests == 0) usage(argv[0], modes, "--requests must be positive");
  if (std::find(modes.begin(), modes.end(), args.mode) == modes.end()) {
    usage(argv[0], modes, "unknown --mode " + args.mode);
  }
  return args;
}

}  // namespace bench
