// `httptrace load` against nginx (and a deliberately slow scripted server) on loopback: the JSON
// report's contract (docs/cli.md "load --json"), --csv rows that agree with it, the open model's
// latency from the scheduled start, -q holding its rate, and failures counted by their text.
#include "cli/cli_json.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "support/loopback.hpp"
#include "support/nginx.hpp"
#include "support/pki.hpp"
#include "support/script_server.hpp"
#include "support/temp_dir.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kPhases[] = {"queue", "pool_wait", "dns",  "connect",
                                   "tls",   "send",      "wait", "receive"};

json load_json(const std::vector<std::string>& args, int expected_exit = 0) {
  std::vector<std::string> argv{"load", "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult result = run_cli(argv);
  EXPECT_EQ(result.exit_code, expected_exit) << result.err;
  json j = json::parse(result.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << result.out;
  return j;
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, sep)) out.push_back(field);
  if (!line.empty() && line.back() == sep) out.emplace_back();
  return out;
}

// The CSV as maps from column name to text (the errors here have no commas or quotes).
std::vector<std::map<std::string, std::string>> read_csv(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = split(line, ',');
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    const std::vector<std::string> fields = split(line, ',');
    EXPECT_EQ(fields.size(), header.size()) << line;
    std::map<std::string, std::string>& row = rows.emplace_back();
    for (std::size_t i = 0; i < header.size() && i < fields.size(); ++i) row[header[i]] = fields[i];
  }
  return rows;
}

// Milliseconds with 3 decimals as whole microseconds.
int64_t micros(const std::string& ms) {
  return std::llround(std::stod(ms) * 1000);
}
int64_t micros(const json& ms) {
  return std::llround(ms.get<double>() * 1000);
}

class LoadCommand : public ::testing::Test {
 protected:
  NginxServer nginx{NginxOptions{}};
  TempDir dir{"load-test"};
};

TEST_F(LoadCommand, JsonReportCarriesEveryContractField) {
  const json j = load_json({"-n", "200", "-c", "4", nginx.base_url() + "/hello"});
  EXPECT_EQ(j.at("schema_version"), 1);
  EXPECT_EQ(j.at("requests"), 200);
  EXPECT_EQ(j.at("errors"), 0);
  EXPECT_GT(j.at("duration_s").get<double>(), 0);
  const double rate = 200 / j.at("duration_s").get<double>();  // duration_s has 6 decimals
  EXPECT_NEAR(j.at("requests_per_sec").get<double>(), rate, rate * 1e-3);
  EXPECT_EQ(j.at("bytes"), 200 * 12);
  const json& latency = j.at("latency_ms");
  double last = 0;
  for (const char* key : {"min", "p50", "p75", "p90", "p95", "p99", "p999", "max"}) {
    ASSERT_TRUE(latency.at(key).is_number()) << key;
    EXPECT_GE(latency.at(key).get<double>(), last) << key;
    last = latency.at(key).get<double>();
  }
  EXPECT_GE(latency.at("mean").get<double>(), latency.at("min").get<double>());
  EXPECT_LE(latency.at("mean").get<double>(), latency.at("max").get<double>());
  for (const char* phase : kPhases) {
    const json& p = j.at("phases_ms").at(phase);
    for (const char* key : {"count", "mean", "p50", "p99", "max"})
      EXPECT_TRUE(p.contains(key)) << phase << "." << key;
  }
  // Each worker dials once (a worker the others outran may send nothing) and reuses its
  // connection; no lookup for an IP literal.
  const int new_connections = j.at("connections").at("new").get<int>();
  EXPECT_GE(new_connections, 1);
  EXPECT_LE(new_connections, 4);
  EXPECT_EQ(j.at("connections").at("reused").get<int>(), 200 - new_connections);
  EXPECT_EQ(j.at("phases_ms").at("connect").at("count").get<int>(), new_connections);
  EXPECT_EQ(j.at("phases_ms").at("dns").at("count"), 0);
  EXPECT_TRUE(j.at("phases_ms").at("dns").at("mean").is_null());
  EXPECT_EQ(j.at("phases_ms").at("wait").at("count"), 200);
  EXPECT_EQ(j.at("status_codes"), json({{"200", 200}}));
  EXPECT_EQ(j.at("error_counts"), json::object());
  uint64_t histogram_total = 0;
  for (const json& row : j.at("histogram")) histogram_total += row.at("count").get<uint64_t>();
  EXPECT_EQ(histogram_total, 200u);
}

TEST_F(LoadCommand, CsvRowsAgreeWithTheReport) {
  const std::string file = (dir / "requests.csv").string();
  const json j = load_json({"-n", "300", "-c", "3", "--csv", file, nginx.base_url() + "/hello"});
  const auto rows = read_csv(read_file(file));
  ASSERT_EQ(rows.size(), 300u);
  std::set<std::string> indexes;
  std::map<std::string, int64_t> phase_max;
  std::map<std::string, int64_t> phase_count;
  int64_t latency_sum = 0, latency_max = 0, new_connections = 0, reused = 0;
  for (const auto& row : rows) {
    indexes.insert(row.at("request"));
    EXPECT_EQ(row.at("status"), "200");
    EXPECT_EQ(row.at("bytes"), "12");
    EXPECT_EQ(row.at("error"), "");
    int64_t phases = 0;
    for (const char* phase : kPhases) {
      const std::string& cell = row.at(std::string(phase) + "_ms");
      if (cell.empty()) continue;
      const int64_t us = micros(cell);
      phases += us;
      ++phase_count[phase];
      phase_max[phase] = std::max(phase_max[phase], us);
    }
    // Every row adds up: queue + phases = latency, phases = total (whole microseconds).
    EXPECT_EQ(phases, micros(row.at("latency_ms"))) << row.at("request");
    EXPECT_EQ(phases - micros(row.at("queue_ms")), micros(row.at("total_ms"))) << row.at("request");
    latency_sum += micros(row.at("latency_ms"));
    latency_max = std::max(latency_max, micros(row.at("latency_ms")));
    if (!row.at("connect_ms").empty()) ++new_connections;
    if (row.at("reused") == "true") ++reused;
  }
  EXPECT_EQ(indexes.size(), 300u);
  EXPECT_EQ(latency_max, micros(j.at("latency_ms").at("max")));
  EXPECT_NEAR(static_cast<double>(latency_sum) / 300.0 / 1000.0,
              j.at("latency_ms").at("mean").get<double>(), 0.0015);
  for (const char* phase : kPhases) {
    const json& p = j.at("phases_ms").at(phase);
    EXPECT_EQ(phase_count[phase], p.at("count").get<int64_t>()) << phase;
    if (phase_count[phase] > 0) {
      EXPECT_EQ(phase_max[phase], micros(p.at("max"))) << phase;
    }
  }
  EXPECT_EQ(new_connections, j.at("connections").at("new").get<int64_t>());
  EXPECT_EQ(reused, j.at("connections").at("reused").get<int64_t>());
}

// The open model (rate_schedule.hpp): with -q faster than the server can answer on one worker,
// requests start ever later than they were due, and their latency counts from when they were
// due — a stalled server cannot hide (no coordinated omission).
TEST_F(LoadCommand, OpenModelCountsLatencyFromWhenEachRequestWasDue) {
  ScriptServer slow([](ServerConn& conn) {
    while (conn.read_request()) {
      std::this_thread::sleep_for(50ms);  // the server's think time, not synchronisation
      if (!conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) return;
    }
  });
  const json j = load_json({"-n", "10", "-c", "1", "-q", "100", slow.url("/")});
  EXPECT_EQ(j.at("model"), "open");
  // Request 9 was due at 90 ms but could not start before the 9 earlier ones took ≥ 450 ms.
  EXPECT_GE(j.at("phases_ms").at("queue").at("max").get<double>(), 300.0);
  EXPECT_GE(j.at("latency_ms").at("max").get<double>(), 400.0);
  EXPECT_GE(j.at("latency_ms").at("max").get<double>(),
            j.at("phases_ms").at("queue").at("max").get<double>() + 50.0);
}

// A rate-limiter accuracy check: release build only (DESIGN "Build configurations"), over a
// window of seconds.
TEST_F(LoadCommand, RateHoldsWithinFivePercent) {
#ifdef HTTPTRACE_SANITIZED
  GTEST_SKIP() << "timing accuracy is checked in the release build";
#endif
  const json j = load_json({"-q", "200", "-z", "4s", "-c", "16", nginx.base_url() + "/hello"});
  EXPECT_NEAR(j.at("requests").get<double>(), 800.0, 40.0);
  EXPECT_NEAR(j.at("requests_per_sec").get<double>(), 200.0, 10.0);
  EXPECT_EQ(j.at("target_rate"), 200.0);
}

TEST_F(LoadCommand, DurationEndsTheRun) {
  const json j = load_json({"-z", "1s", "-c", "2", nginx.base_url() + "/hello"});
  EXPECT_GE(j.at("duration_s").get<double>(), 1.0);
  EXPECT_LT(j.at("duration_s").get<double>(),
            1.0 + std::chrono::duration<double>(scaled(2s)).count());
  EXPECT_GT(j.at("requests").get<int>(), 0);
}

TEST_F(LoadCommand, FailuresAreCountedByTheirTextAndExitOne) {
  UniqueFd refusing = bind_loopback(Loopback::ipv4, 0, -1).value();
  const std::string url = "http://127.0.0.1:" + std::to_string(local_port(refusing.get())) + "/";
  const json j = load_json({"-n", "5", "-c", "1", url}, 1);
  EXPECT_EQ(j.at("requests"), 5);
  EXPECT_EQ(j.at("errors"), 5);
  ASSERT_EQ(j.at("error_counts").size(), 1u);
  EXPECT_EQ(j.at("error_counts").begin().value(), 5);
  EXPECT_NE(j.at("error_counts").begin().key().find("refused"), std::string::npos);
  EXPECT_EQ(j.at("status_codes"), json::object());
  EXPECT_TRUE(j.at("latency_ms").at("p50").is_null());
}

// The TLS row describes new connections only: one handshake per connection, not per request.
TEST(LoadOverTls, HandshakesAreCountedPerNewConnection) {
  TestPki pki;
  const CertFiles leaf = pki.localhost_server();
  NginxOptions options;
  options.plain = false;
  options.tls = NginxTlsOptions{};
  options.tls->certificate = leaf.chain;
  options.tls->private_key = leaf.key;
  NginxServer nginx(options);
  const json j = load_json(
      {"-n", "60", "-c", "3", "--cacert", pki.ca_cert().string(), nginx.tls_base_url() + "/hello"});
  EXPECT_EQ(j.at("errors"), 0);
  const int new_connections = j.at("connections").at("new").get<int>();
  EXPECT_GE(new_connections, 1);
  EXPECT_EQ(j.at("phases_ms").at("tls").at("count").get<int>(), new_connections);
  EXPECT_GT(j.at("phases_ms").at("tls").at("mean").get<double>(), 0.0);
  EXPECT_EQ(j.at("status_codes"), json({{"200", 60}}));
}

// Without -L a redirect is the answer (the EventLoop does not follow it); with -L the run goes
// through the Client, which does, and each request then has two hops on one connection.
TEST_F(LoadCommand, RedirectsAreFollowedOnlyWithL) {
  const json plain = load_json({"-n", "10", "-c", "2", nginx.base_url() + "/redirect"});
  EXPECT_EQ(plain.at("status_codes"), json({{"302", 10}}));
  const json followed = load_json({"-n", "10", "-c", "2", "-L", nginx.base_url() + "/redirect"});
  EXPECT_EQ(followed.at("status_codes"), json({{"200", 10}}));
  EXPECT_EQ(followed.at("connections").at("new").get<int>() +
                followed.at("connections").at("reused").get<int>(),
            20);
}

TEST_F(LoadCommand, StatusCodesAreCountedAsTheServerSentThem) {
  const json j = load_json({"-n", "20", "-c", "2", nginx.base_url() + "/status/503"});
  EXPECT_EQ(j.at("status_codes"), json({{"503", 20}}));
  EXPECT_EQ(j.at("errors"), 0);
}

TEST_F(LoadCommand, TextReportHasTheSectionsAndNoProgressLineOffATerminal) {
  CommandResult result = run_cli({"load", "-n", "50", "-c", "2", nginx.base_url() + "/hello"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* text :
       {"Summary", "Throughput", "Latency", "p99.9", "Phases", "Pool wait", "Server processing",
        "Connections", " new, ", " reused (", "Status codes", "[200] 50 responses"}) {
    EXPECT_NE(result.out.find(text), std::string::npos) << text << " in\n" << result.out;
  }
  EXPECT_EQ(result.out.find("\x1b["), std::string::npos);
  EXPECT_EQ(result.err, "");
}

}  // namespace
}  // namespace httptrace::testing
