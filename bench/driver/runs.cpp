#include "runs.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "process.hpp"

namespace bench {

Measurement measure(const std::vector<std::string>& argv) {
  Measurement m;
  Finished done;
  try {
    done = run_to_completion(argv);
  } catch (const std::exception& e) {
    m.error = e.what();
    return m;
  }
  const std::string line = done.output.substr(0, done.output.find('\n'));
  const nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    m.error = "exit status " + std::to_string(done.exit_status) + ", no result line";
    return m;
  }
  if (json.contains("error")) {
    m.error = json["error"].get<std::string>();
    return m;
  }
  // A sanitizer's report (or a crash at exit) after a good line still fails the run.
  if (done.exit_status != 0) {
    m.error = "exit status " + std::to_string(done.exit_status) + " after its result line";
    return m;
  }
  m.cpu_us_per_request = json.value("cpu_us_per_request", 0.0);
  m.requests_per_s = json.value("requests_per_s", 0.0);
  m.allocs_per_request = json.value("allocs_per_request", 0.0);
  m.body_bytes_per_request = json.value("body_bytes_per_request", 0.0);
  return m;
}

std::vector<Series> alternate(const std::vector<Contender>& contenders, int rounds) {
  std::vector<Series> series(contenders.size());
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t i = 0; i < contenders.size(); ++i) {
      if (!series[i].error.empty()) continue;
      Measurement m = measure(contenders[i].argv);
      if (!m.ok()) {
        series[i].error = m.error;
        continue;
      }
      series[i].runs.push_back(std::move(m));
    }
  }
  return series;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

double median_of(const Series& series, Metric metric) {
  std::vector<double> values;
  for (const Measurement& m : series.runs) values.push_back(m.*metric);
  return median(std::move(values));
}

RatioSummary ratio_per_round(const Series& a, const Series& b, Metric metric) {
  std::vector<double> ratios;
  const std::size_t rounds = std::min(a.runs.size(), b.runs.size());
  for (std::size_t i = 0; i < rounds; ++i) {
    if (b.runs[i].*metric > 0) ratios.push_back(a.runs[i].*metric / (b.runs[i].*metric));
  }
  if (ratios.empty()) return {};
  const auto [lo, hi] = std::minmax_element(ratios.begin(), ratios.end());
  return {median(ratios), *lo, *hi};
}

}  // namespace bench
