#pragma once
// The one table `make bench` prints: a line per measured figure of spec/performance.md.

#include <string>
#include <vector>

namespace bench {

struct TableRow {
  std::string row;      // "P1"
  std::string measure;  // what is compared, peer named: "CPU µs/req vs floor"
  std::string ours;
  std::string peer;
  std::string ratio;
  std::string target;
  std::string verdict;  // PASS, MISS, pending, info, ERROR, n/a
  std::string note;     // why a miss, the per-round spread, what is pending on what
};

// Column-aligned (by code points, for µs and ×), with a header line.
std::string render_table(const std::vector<TableRow>& rows);

// Number formatting for the cells.
std::string fixed(double value, int decimals);

}  // namespace bench
