#include "rows.hpp"

#include <nlohmann/json.hpp>
#include <string>

#include "process.hpp"
#include "runs.hpp"

namespace bench {
namespace {

// Request counts: each timed run lasts a few tenths of a second on a 2-core machine, long
// enough to dwarf process start-up, short enough that every row fits `make bench`'s 5 minutes.
constexpr long kKeepAliveRequests = 10000;
constexpr long kKeepAliveWarmup = 1000;
constexpr long kMebibyteRequests = 300;
constexpr long kMebibyteWarmup = 20;
constexpr long kTlsRequests = 5000;
constexpr long kTlsWarmup = 200;
constexpr long kNewConnRequests = 300;
constexpr long kNewConnWarmup = 30;
constexpr long kAllocRequests = 2000;
constexpr long kAllocWarmup = 200;
constexpr long kIdleConns = 10000;
constexpr int kLoadSeconds = 10;
constexpr long kH2Requests = 20000;
constexpr long kH2Warmup = 1000;

// Our Transport's refusal while https is being wired in: those rows are pending, not failed.
constexpr std::string_view kHttpsPending = "https is not supported yet";

enum class Better { lower, higher };

struct Goal {
  double ratio;
  Better better;
};

std::string goal_text(const Goal& goal) {
  return std::string(goal.better == Better::lower ? "≤ " : "≥ ") + fixed(goal.ratio, 2) + "×";
}

std::vector<std::string> client(const BenchSetup& setup, const std::string& binary,
                                const std::string& url, long requests, long warmup,
                                const std::string& mode, bool count_allocs = false) {
  std::vector<std::string> argv = {(setup.bin_dir / binary).string(),
                                   "--url",
                                   url,
                                   "--requests",
                                   std::to_string(requests),
                                   "--warmup",
                                   std::to_string(warmup),
                                   "--mode",
                                   mode};
  if (url.starts_with("https:")) {
    argv.push_back("--ca");
    argv.push_back(setup.server->ca_file().string());
  }
  if (count_allocs) argv.push_back("--count-allocs");
  return argv;
}

std::vector<std::string> ours(const BenchSetup& setup, const std::string& url, long requests,
                              long warmup, const std::string& mode = "keepalive",
                              bool count_allocs = false) {
  return client(setup, "bench_httptrace_client", url, requests, warmup, mode, count_allocs);
}

std::vector<std::string> curl(const BenchSetup& setup, const std::string& url, long requests,
                              long warmup, const std::string& mode = "keepalive",
                              bool count_allocs = false) {
  return client(setup, "bench_curl_client", url, requests, warmup, mode, count_allocs);
}

std::vector<std::string> floor_client(const BenchSetup& setup, const std::string& url,
                                      long requests, long warmup) {
  return client(setup, "bench_floor_client", url, requests, warmup, "keepalive");
}

// A line for a row that could not be measured: ours failing with the https refusal is pending.
bool unmeasured(TableRow& line, const Series& ours_series, const Series* peer,
                std::string_view peer_name) {
  if (!ours_series.ok()) {
    const bool pending = ours_series.error.find(kHttpsPending) != std::string::npos;
    line.verdict = pending ? "pending" : "ERROR";
    line.note = pending ? "pending (https in Transport): " + ours_series.error
                        : "ours: " + ours_series.error;
    return true;
  }
  if (peer != nullptr && !peer->ok()) {
    line.verdict = "ERROR";
    line.note = std::string(peer_name) + ": " + peer->error;
    return true;
  }
  return false;
}

// One compared figure: medians of each side, the per-round ratio against the goal.
TableRow compare(std::string row, std::string measure, const Series& a, const Series& b,
                 std::string_view b_name, Metric metric, int decimals, std::optional<Goal> goal) {
  TableRow line{
      std::move(row), std::move(measure), "", "", "", goal ? goal_text(*goal) : "—", "", ""};
  if (unmeasured(line, a, &b, b_name)) return line;
  const RatioSummary ratio = ratio_per_round(a, b, metric);
  line.ours = fixed(median_of(a, metric), decimals);
  line.peer = fixed(median_of(b, metric), decimals);
  line.ratio = fixed(ratio.median, 2) + "×";
  const std::string spread = "rounds " + fixed(ratio.min, 2) + "–" + fixed(ratio.max, 2);
  if (!goal) {
    line.verdict = "info";
    line.note = spread;
    return line;
  }
  const bool met =
      goal->better == Better::lower ? ratio.median <= goal->ratio : ratio.median >= goal->ratio;
  line.verdict = met ? "PASS" : "MISS";
  line.note = met ? spread
                  : "ratio " + fixed(ratio.median, 2) +
                        (goal->better == Better::lower ? " > " : " < ") + fixed(goal->ratio, 2) +
                        "; " + spread;
  return line;
}

TableRow no_curl(std::string row, std::string measure, std::string target) {
  return {std::move(row),
          std::move(measure),
          "",
          "",
          "",
          std::move(target),
          "n/a",
          "libcurl peer not built (libcurl4-openssl-dev missing)"};
}

const Metric kCpu = &Measurement::cpu_us_per_request;
const Metric kRate = &Measurement::requests_per_s;

}  // namespace

std::vector<TableRow> row_p1_small_keep_alive(const BenchSetup& setup) {
  const std::string url = setup.server->url("/hello");
  std::vector<Contender> contenders = {
      {"floor", floor_client(setup, url, kKeepAliveRequests, kKeepAliveWarmup)},
      {"ours", ours(setup, url, kKeepAliveRequests, kKeepAliveWarmup)}};
  if (setup.has_curl)
    contenders.push_back({"libcurl", curl(setup, url, kKeepAliveRequests, kKeepAliveWarmup)});
  const auto series = alternate(contenders, setup.rounds + kP1ExtraRounds);
  std::vector<TableRow> rows;
  rows.push_back(compare("P1", "CPU µs/req, vs floor", series[1], series[0], "floor", kCpu, 1,
                         Goal{1.25, Better::lower}));
  if (!setup.has_curl) {
    rows.push_back(no_curl("P1", "req/s, vs libcurl", "≥ 1.20×"));
    return rows;
  }
  rows.push_back(compare("P1", "req/s, vs libcurl", series[1], series[2], "libcurl", kRate, 0,
                         Goal{1.20, Better::higher}));
  // The spec's yardstick (libcurl is ~1.7–2 × floor): it tells whether this run's floor is sane.
  TableRow reference = compare("P1 ref", "libcurl CPU µs/req, vs floor", series[2], series[0],
                               "floor", kCpu, 1, std::nullopt);
  reference.ours = "(libcurl) " + reference.ours;
  rows.push_back(reference);
  return rows;
}

std::vector<TableRow> row_p2_all_hooks(const BenchSetup& setup) {
  const std::string url = setup.server->url("/hello");
  const auto series =
      alternate({{"ours", ours(setup, url, kKeepAliveRequests, kKeepAliveWarmup)},
                 {"ours+hooks", ours(setup, url, kKeepAliveRequests, kKeepAliveWarmup, "hooks")}},
                setup.rounds + kP2ExtraRounds);
  TableRow line = compare("P2", "CPU µs/req, 16 hooks vs none", series[1], series[0],
                          "ours without hooks", kCpu, 1, Goal{1.03, Better::lower});
  if (line.verdict == "MISS") line.note += " (CPU noise is near 3 %: see bench-callgrind)";
  return {line};
}

std::vector<TableRow> row_p3_one_mebibyte(const BenchSetup& setup) {
  const std::string url = setup.server->url("/static/1m.bin");
  std::vector<Contender> contenders = {
      {"floor", floor_client(setup, url, kMebibyteRequests, kMebibyteWarmup)},
      {"ours", ours(setup, url, kMebibyteRequests, kMebibyteWarmup)}};
  if (setup.has_curl)
    contenders.push_back({"libcurl", curl(setup, url, kMebibyteRequests, kMebibyteWarmup)});
  const auto series = alternate(contenders, setup.rounds + kP3ExtraRounds);
  std::vector<TableRow> rows;
  rows.push_back(compare("P3", "req/s 1 MiB, vs floor", series[1], series[0], "floor", kRate, 0,
                         Goal{0.97, Better::higher}));
  rows.push_back(compare("P3 ref", "CPU µs/req 1 MiB, vs floor", series[1], series[0], "floor",
                         kCpu, 0, std::nullopt));
  if (setup.has_curl) {
    TableRow reference = compare("P3 ref", "libcurl req/s 1 MiB, vs floor", series[2], series[0],
                                 "floor", kRate, 0, std::nullopt);
    reference.ours = "(libcurl) " + reference.ours;
    rows.push_back(reference);
  }
  return rows;
}

std::vector<TableRow> row_p4_https_keep_alive(const BenchSetup& setup) {
  if (!setup.has_curl) return {no_curl("P4", "CPU µs/req https, vs libcurl", "≤ 0.80×")};
  const std::string url = setup.server->tls_url("/hello");
  const auto series = alternate({{"ours", ours(setup, url, kTlsRequests, kTlsWarmup)},
                                 {"libcurl", curl(setup, url, kTlsRequests, kTlsWarmup)}},
                                setup.rounds);
  return {compare("P4", "CPU µs/req https, vs libcurl", series[0], series[1], "libcurl", kCpu, 1,
                  Goal{0.80, Better::lower})};
}

std::vector<TableRow> row_p5_https_new_connection(const BenchSetup& setup) {
  if (!setup.has_curl) return {no_curl("P5", "CPU µs/req new https conn, vs libcurl", "≤ 1.00×")};
  const std::string url = setup.server->tls_url("/hello");
  const auto series =
      alternate({{"ours", ours(setup, url, kNewConnRequests, kNewConnWarmup, "new-conn")},
                 {"libcurl", curl(setup, url, kNewConnRequests, kNewConnWarmup, "new-conn")}},
                setup.rounds);
  return {compare("P5", "CPU µs/req new https conn, vs libcurl", series[0], series[1], "libcurl",
                  kCpu, 0, Goal{1.00, Better::lower})};
}

std::vector<TableRow> row_p6_load(const BenchSetup& setup) {
  TableRow line{"P6", "req/s -c 64, load vs wrk -t2", "", "", "", "≥ 0.90×", "pending", ""};
  const std::string url = setup.server->url("/hello");
  const std::string duration = std::to_string(kLoadSeconds) + "s";
  if (find_program("wrk").empty()) {
    line.note = "wrk not installed";
  } else {
    const Finished wrk = run_to_completion({"wrk", "-t2", "-c64", "-d" + duration, url});
    const std::size_t at = wrk.output.find("Requests/sec:");
    if (at != std::string::npos) line.peer = fixed(std::stod(wrk.output.substr(at + 13)), 0);
  }
  const std::filesystem::path cli = setup.bin_dir / "httptrace";
  // `httptrace load --help` prints the top-level help when there is no `load`; the subcommand
  // list tells.
  const bool has_load =
      std::filesystem::exists(cli) &&
      run_to_completion({cli.string(), "--help"}, true).output.find("\n  load ") !=
          std::string::npos;
  if (!has_load) {
    line.note = "pending (httptrace load)" + (line.note.empty() ? "" : "; " + line.note);
    return {line};
  }
  // `load --json` writes requests_per_sec (docs/cli.md); the others are older spellings.
  const Finished load =
      run_to_completion({cli.string(), "load", "-c", "64", "-z", duration, "--json", url});
  const nlohmann::json json = nlohmann::json::parse(load.output, nullptr, false);
  for (const char* key : {"requests_per_sec", "requests_per_second", "requests_per_s", "rps"}) {
    if (json.is_object() && json.contains(key) && json[key].is_number() && !line.peer.empty()) {
      const double rate = json[key].get<double>();
      line.ours = fixed(rate, 0);
      const double ratio = rate / std::stod(line.peer);
      line.ratio = fixed(ratio, 2) + "×";
      line.verdict = ratio >= 0.90 ? "PASS" : "MISS";
      line.note = ratio >= 0.90 ? "" : "ratio " + fixed(ratio, 2) + " < 0.90";
      return {line};
    }
  }
  line.note = "pending (cannot read a requests/s figure from httptrace load --json)";
  return {line};
}

std::vector<TableRow> row_p7_allocations(const BenchSetup& setup) {
  const std::string url = setup.server->url("/hello");
  TableRow line{"P7", "heap allocs/req, keep-alive", "", "", "", "≤ 3", "", ""};
  const Measurement mine =
      measure(ours(setup, url, kAllocRequests, kAllocWarmup, "keepalive", true));
  if (!mine.ok()) {
    line.verdict = "ERROR";
    line.note = "ours: " + mine.error;
    return {line};
  }
  line.ours = fixed(mine.allocs_per_request, 2);
  line.verdict = mine.allocs_per_request <= 3.0 ? "PASS" : "MISS";
  if (line.verdict == "MISS") line.note = fixed(mine.allocs_per_request, 2) + " > 3 allocations";
  if (setup.has_curl) {
    const Measurement peer =
        measure(curl(setup, url, kAllocRequests, kAllocWarmup, "keepalive", true));
    if (peer.ok()) {
      line.peer = "(libcurl) " + fixed(peer.allocs_per_request, 2);
      if (peer.allocs_per_request > 0)
        line.ratio = fixed(mine.allocs_per_request / peer.allocs_per_request, 2) + "×";
    }
  }
  const Measurement hooked = measure(ours(setup, url, kAllocRequests, kAllocWarmup, "hooks", true));
  if (hooked.ok()) {
    line.note += std::string(line.note.empty() ? "" : "; ") + "with 16 hooks " +
                 fixed(hooked.allocs_per_request, 2);
  }
  return {line};
}

// HTTP/2: 16 concurrent streams over one connection — ours with 16 threads sharing a Client,
// libcurl's multi interface keeping 16 transfers in flight; both check they spoke HTTP/2.
std::vector<TableRow> row_p9_http2_streams(const BenchSetup& setup) {
  if (!setup.has_curl)
    return {no_curl("P9", "req/s h2 16 streams/1 conn, vs libcurl multi", "≥ 1.00×")};
  const std::string url = setup.server->h2_url("/hello");
  const auto series = alternate({{"ours", ours(setup, url, kH2Requests, kH2Warmup, "h2-16")},
                                 {"libcurl", curl(setup, url, kH2Requests, kH2Warmup, "h2-16")}},
                                setup.rounds);
  TableRow line = compare("P9", "req/s h2 16 streams/1 conn, vs libcurl multi", series[0],
                          series[1], "libcurl", kRate, 0, Goal{1.00, Better::higher});
  if (line.verdict == "MISS") {
    line.note += " (our 16 blocking threads take turns driving the connection, libcurl's one "
                 "thread polls it: docs/benchmarks.md)";
  }
  return {line, compare("P9 ref", "CPU µs/req h2 16 streams, vs libcurl multi", series[0],
                        series[1], "libcurl", kCpu, 1, std::nullopt)};
}

std::vector<TableRow> row_p8_idle_connections(const BenchSetup& setup) {
  TableRow line{"P8", "bytes/idle pooled conn (heap)", "", "", "", "≤ 8192", "", ""};
  if (setup.server->worker_connections() < kIdleConns + 10) {
    line.verdict = "n/a";
    line.note = "nginx can take only " + std::to_string(setup.server->worker_connections()) +
                " connections: raise ulimit -Hn to 20000";
    return {line};
  }
  const Finished run =
      run_to_completion({(setup.bin_dir / "bench_idle_conns").string(), "--url",
                         setup.server->url("/hello"), "--conns", std::to_string(kIdleConns)});
  const nlohmann::json json =
      nlohmann::json::parse(run.output.substr(0, run.output.find('\n')), nullptr, false);
  if (!json.is_object() || json.contains("error")) {
    line.verdict = "ERROR";
    line.note = json.is_object() ? json["error"].get<std::string>() : "no result line";
    return {line};
  }
  const double heap = json.value("heap_bytes_per_conn", 0.0);
  const double rss = json.value("rss_bytes_per_conn", 0.0);
  line.ours = fixed(heap, 0);
  line.verdict = heap <= 8192 ? "PASS" : "MISS";
  line.note = "RSS " + fixed(rss, 0) + " B/conn; " + std::to_string(json.value("idle_conns", 0)) +
              " idle of " + std::to_string(kIdleConns);
  if (heap > 8192) line.note = fixed(heap, 0) + " > 8192; " + line.note;
  return {line};
}

}  // namespace bench
