#include "waterfall.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "text_layout.hpp"
#include "units.hpp"

namespace httptrace::cli {
namespace {

constexpr std::size_t kNameWidth = 18;
constexpr std::size_t kTookWidth = 9;
constexpr std::size_t kBarCells = 24;
constexpr std::size_t kMarkWidth = 14;
constexpr std::size_t kAtWidth = 9;

struct Row {
  const char* name;
  std::optional<double> took;
  const char* mark;
  std::optional<double> at;
  Color color;
};

// Eighth blocks: a bar's length is drawn to 1/8 of a cell.
constexpr const char* kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};

// A bar from `from` to `to` (milliseconds) on an axis of `total`, kBarCells wide. A phase that
// happened always shows at least an eighth, however short.
std::string bar(double from, double to, double total) {
  const double eighths_per_ms = total > 0 ? static_cast<double>(kBarCells * 8) / total : 0.0;
  auto start = static_cast<std::size_t>(std::lround(from * eighths_per_ms));
  auto end = static_cast<std::size_t>(std::lround(to * eighths_per_ms));
  start = std::min(start, kBarCells * 8 - 1);
  end = std::clamp(end, start + 1, kBarCells * 8);
  const std::size_t first_cell = start / 8;
  const std::size_t length = end - start;
  std::string out(first_cell, ' ');
  std::size_t cells = first_cell;
  for (std::size_t i = 0; i < length / 8 && cells < kBarCells; ++i, ++cells) out += "█";
  if (length % 8 != 0 && cells < kBarCells) {
    out += kEighths[length % 8];
    ++cells;
  }
  return out;
}

std::vector<Row> rows_of(const HopView& hop, bool with_tls_row) {
  const Phases& p = hop.phases;
  const Marks& m = hop.marks;
  std::vector<Row> rows;
  rows.push_back({"DNS lookup", p.dns, "namelookup", m.namelookup, Color::cyan});
  rows.push_back({"TCP connect", p.connect, "connect", m.connect, Color::yellow});
  if (with_tls_row)
    rows.push_back({"TLS handshake", p.tls, "appconnect", m.appconnect, Color::magenta});
  rows.push_back({"Pool wait", p.pool_wait, "pretransfer", m.pretransfer, Color::gray});
  rows.push_back({"Request send", p.send, "posttransfer", m.posttransfer, Color::gray});
  rows.push_back({"Server processing", p.wait, "starttransfer", m.starttransfer, Color::green});
  rows.push_back({"Content transfer", p.receive, "total", m.total, Color::blue});
  return rows;
}

std::string ms_or_dash(const std::optional<double>& ms) {
  return ms ? format_ms(*ms) : "—";
}

}  // namespace

std::string waterfall(const HopView& hop, bool with_tls_row, const Palette& palette) {
  std::string out;
  double elapsed = 0;
  const double total = hop.phases.total;
  for (const Row& row : rows_of(hop, with_tls_row)) {
    std::string line = "  " + pad_right(row.name, kNameWidth);
    const std::string took = pad_left(ms_or_dash(row.took), kTookWidth);
    line += row.took ? palette.paint(took, Color::cyan) : palette.paint(took, Color::dim);
    line += "  ";
    std::string drawn;
    if (row.took) {
      drawn = bar(elapsed, elapsed + *row.took, total);
      elapsed += *row.took;
    }
    const std::size_t drawn_width = display_width(drawn);
    line += palette.paint(drawn, row.color);
    line += std::string(kBarCells - std::min(drawn_width, kBarCells), ' ');
    line += "  ";
    line += palette.paint(pad_right(row.mark, kMarkWidth), Color::dim);
    const std::string at = pad_left(ms_or_dash(row.at), kAtWidth);
    line += row.at ? palette.paint(at, Color::cyan) : palette.paint(at, Color::dim);
    out += line;
    out += '\n';
  }
  out += "  " + palette.paint(pad_right("Total", kNameWidth), Color::bold);
  out += palette.paint(pad_left(format_ms(total), kTookWidth), Color::bold);
  out += '\n';
  return out;
}

}  // namespace httptrace::cli
