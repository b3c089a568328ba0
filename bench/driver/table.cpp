#include "table.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace bench {
namespace {

// Display width in code points: UTF-8 continuation bytes take no column.
std::size_t width(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

std::array<const std::string*, 8> cells(const TableRow& row) {
  return {&row.row,   &row.measure, &row.ours,    &row.peer,
          &row.ratio, &row.target,  &row.verdict, &row.note};
}

}  // namespace

std::string fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string render_table(const std::vector<TableRow>& rows) {
  const TableRow header{"row", "measure", "ours", "peer", "ratio", "target", "verdict", "note"};
  std::array<std::size_t, 8> widths{};
  for (const TableRow* row : {&header}) {
    for (std::size_t i = 0; i < widths.size(); ++i) widths[i] = width(*cells(*row)[i]);
  }
  for (const TableRow& row : rows) {
    for (std::size_t i = 0; i < widths.size(); ++i)
      widths[i] = std::max(widths[i], width(*cells(row)[i]));
  }
  auto line = [&widths](const TableRow& row) {
    std::string out;
    const auto values = cells(row);
    for (std::size_t i = 0; i < values.size(); ++i) {
      out += *values[i];
      // The last column (the note) is not padded.
      if (i + 1 < values.size()) out += std::string(widths[i] - width(*values[i]) + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header);
  std::size_t total = 0;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i) total += widths[i] + 2;
  out += std::string(total + widths.back(), '-') + "\n";
  for (const TableRow& row : rows) out += line(row);
  return out;
}

}  // namespace bench
