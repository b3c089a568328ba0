#include "callgrind.hpp"

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "process.hpp"
#include "runs.hpp"

namespace bench {
namespace {

constexpr long kFewerRequests = 200;
constexpr long kMoreRequests = 1200;
constexpr long kWarmup = 100;
constexpr int kTopCostCentres = 20;

struct Subject {
  std::string label;  // also the file name part
  std::string binary;
  std::string url;
  std::string mode;
};

struct Figure {
  std::string error;
  double per_request = 0;
  std::filesystem::path profile;  // the larger run's output
};

// The "totals:" (or "summary:") line callgrind writes: every collected instruction.
std::optional<double> total_instructions(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::optional<double> summary;
  while (std::getline(in, line)) {
    for (const std::string_view prefix : {"totals:", "summary:"}) {
      if (line.starts_with(prefix)) summary = std::stod(line.substr(prefix.size()));
    }
  }
  return summary;
}

Figure measure_instructions(const BenchSetup& setup, const Subject& subject,
                            const std::filesystem::path& out_dir) {
  Figure figure;
  std::optional<double> totals[2];
  const long counts[2] = {kFewerRequests, kMoreRequests};
  for (int i = 0; i < 2; ++i) {
    const std::string stem = "callgrind." + subject.label + "." + std::to_string(counts[i]);
    const std::filesystem::path file = out_dir / (stem + ".out");
    std::vector<std::string> argv = {"valgrind",
                                     "--tool=callgrind",
                                     "--collect-atstart=no",
                                     "--toggle-collect=bench_timed_loop",
                                     "--callgrind-out-file=" + file.string(),
                                     "--log-file=" + (out_dir / (stem + ".log")).string(),
                                     (setup.bin_dir / subject.binary).string(),
                                     "--url",
                                     subject.url,
                                     "--requests",
                                     std::to_string(counts[i]),
                                     "--warmup",
                                     std::to_string(kWarmup),
                                     "--mode",
                                     subject.mode};
    if (subject.url.starts_with("https:")) {
      argv.push_back("--ca");
      argv.push_back(setup.server->ca_file().string());
    }
    const Measurement run = measure(argv);
    if (!run.ok()) {
      figure.error = run.error;
      return figure;
    }
    totals[i] = total_instructions(file);
    if (!totals[i]) {
      figure.error = "no totals in " + file.string();
      return figure;
    }
    figure.profile = file;
  }
  figure.per_request =
      (*totals[1] - *totals[0]) / static_cast<double>(kMoreRequests - kFewerRequests);
  return figure;
}

std::string cell(const Figure& figure) {
  if (!figure.error.empty()) {
    return figure.error.find("not supported yet") != std::string::npos ? "pending" : "ERROR";
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", figure.per_request);
  return buf;
}

std::string ratio(const Figure& a, const Figure& b) {
  if (!a.error.empty() || !b.error.empty() || b.per_request <= 0) return "—";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f×", a.per_request / b.per_request);
  return buf;
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// "17,576,427 (100.0%)  ???:ns::f(args) [/path/binary]" → cost, share and a readable name.
struct CostCentre {
  double cost = 0;
  double percent = 0;
  std::string name;
};

std::optional<CostCentre> parse_cost_line(const std::string& line) {
  const std::size_t open = line.find(" (");
  const std::size_t close = line.find("%)", open);
  if (open == std::string::npos || close == std::string::npos) return std::nullopt;
  std::string digits;
  for (const char c : line.substr(0, open)) {
    if (c >= '0' && c <= '9') digits += c;
  }
  if (digits.empty()) return std::nullopt;
  CostCentre centre;
  centre.cost = std::stod(digits);
  centre.percent = std::stod(line.substr(open + 2, close - open - 2));
  std::string name = line.substr(line.find_first_not_of(' ', close + 2));
  // The file part ("???", "./malloc/malloc.c") ends at the first colon; the object follows " [".
  name = name.substr(name.find(':') + 1);
  name = name.substr(0, name.rfind(" ["));
  replace_all(name,
              "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >",
              "std::string");
  replace_all(name, "std::basic_string_view<char, std::char_traits<char> >", "std::string_view");
  replace_all(name,
              "std::chrono::time_point<std::chrono::_V2::steady_clock, std::chrono::duration<long, "
              "std::ratio<1l, 1000000000l> > >",
              "steady_clock::time_point");
  constexpr std::size_t kMaxName = 140;
  if (name.size() > kMaxName) name = name.substr(0, kMaxName - 3) + "...";
  centre.name = std::move(name);
  return centre;
}

// callgrind_annotate's listing (inclusive or self), per request, without the frames of the
// harness above the client's request function (they all show the whole run).
void print_top(const std::filesystem::path& profile, bool inclusive, long requests) {
  const Finished annotate =
      run_to_completion({"callgrind_annotate", inclusive ? "--inclusive=yes" : "--inclusive=no",
                         "--threshold=99", profile.string()},
                        true);
  std::istringstream lines(annotate.output);
  std::string line;
  bool in_listing = false;
  int printed = 0;
  while (std::getline(lines, line) && printed < kTopCostCentres) {
    if (!in_listing) {
      in_listing = line.find("file:function") != std::string::npos;
      continue;
    }
    const auto centre = parse_cost_line(line);
    if (!centre || (inclusive && centre->percent >= 99.5)) continue;
    std::printf("  %8.0f  %5.1f%%  %s\n", centre->cost / static_cast<double>(requests),
                centre->percent, centre->name.c_str());
    ++printed;
  }
}

}  // namespace

int run_callgrind(const BenchSetup& setup, const std::filesystem::path& out_dir) {
  std::filesystem::create_directories(out_dir);
  const std::string hello = setup.server->url("/hello");
  const std::string tls_hello = setup.server->tls_url("/hello");
  std::vector<Subject> subjects = {
      {"floor", "bench_floor_client", hello, "keepalive"},
      {"httptrace", "bench_httptrace_client", hello, "keepalive"},
      {"httptrace-hooks", "bench_httptrace_client", hello, "hooks"},
      {"httptrace-https", "bench_httptrace_client", tls_hello, "keepalive"}};
  if (setup.has_curl) {
    subjects.push_back({"libcurl", "bench_curl_client", hello, "keepalive"});
    subjects.push_back({"libcurl-https", "bench_curl_client", tls_hello, "keepalive"});
  }
  std::vector<Figure> figures;
  for (const Subject& subject : subjects) {
    std::fprintf(stderr, "bench-callgrind: %s ...\n", subject.label.c_str());
    figures.push_back(measure_instructions(setup, subject, out_dir));
  }
  const Figure& ours = figures[1];
  std::printf(
      "\nInstructions per request, keep-alive GET (user space only: the kernel's share of a\n"
      "syscall is not counted; difference of %ld and %ld timed requests after %ld warm-up)\n\n",
      kFewerRequests, kMoreRequests, kWarmup);
  std::printf("%-18s %12s  %s\n", "client", "Ir/request", "vs ours");
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    std::printf("%-18s %12s  %s%s\n", subjects[i].label.c_str(), cell(figures[i]).c_str(),
                ratio(figures[i], ours).c_str(),
                figures[i].error.empty() ? "" : ("  (" + figures[i].error + ")").c_str());
  }
  std::printf("\nratios: ours / floor = %s, ours+hooks / ours = %s (P2 ≤ 1.03)",
              ratio(ours, figures[0]).c_str(), ratio(figures[2], ours).c_str());
  if (setup.has_curl) {
    std::printf(", ours / libcurl = %s, https ours / libcurl = %s", ratio(ours, figures[4]).c_str(),
                ratio(figures[3], figures[5]).c_str());
  }
  std::printf("\nprofiles: %s/callgrind.*.out\n", out_dir.string().c_str());
  if (ours.error.empty()) {
    std::printf(
        "\nOurs keep-alive, top cost centres (Ir per request, share of the timed loop; %s):\n",
        ours.profile.filename().c_str());
    std::printf("inclusive:\n");
    print_top(ours.profile, true, kMoreRequests);
    std::printf("self:\n");
    print_top(ours.profile, false, kMoreRequests);
  }
  for (const Figure& figure : figures) {
    if (!figure.error.empty() && figure.error.find("not supported yet") == std::string::npos)
      return 1;
  }
  return 0;
}

}  // namespace bench
