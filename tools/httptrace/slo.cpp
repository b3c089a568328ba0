#include "slo.hpp"

#include <array>
#include <optional>

#include "units.hpp"

namespace httptrace::cli {
namespace {

constexpr std::array<std::string_view, 9> kKeys = {
    "total", "ttfb", "pool_wait", "dns", "connect", "tls", "send", "wait", "receive"};

std::optional<double> measure(std::string_view key, const Phases& p, const Marks& m,
                              double redirect_ms) {
  if (key == "total") return redirect_ms + p.total;
  if (key == "ttfb") {
    if (!m.starttransfer) return std::nullopt;
    return redirect_ms + *m.starttransfer;
  }
  if (key == "pool_wait") return p.pool_wait;
  if (key == "dns") return p.dns;
  if (key == "connect") return p.connect;
  if (key == "tls") return p.tls;
  if (key == "send") return p.send;
  if (key == "wait") return p.wait;
  if (key == "receive") return p.receive;
  return std::nullopt;
}

std::string known_keys() {
  std::string out;
  for (std::string_view key : kKeys) {
    if (!out.empty()) out += ", ";
    out += key;
  }
  return out;
}

}  // namespace

std::expected<std::vector<SloLimit>, std::string> parse_slo(std::string_view spec) {
  std::vector<SloLimit> limits;
  while (!spec.empty()) {
    const std::size_t comma = spec.find(',');
    const std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    const std::size_t equals = item.find('=');
    if (equals == std::string_view::npos) {
      return std::unexpected("--slo wants KEY=LIMIT[,KEY=LIMIT...], got \"" + std::string(item) +
                             "\"");
    }
    const std::string_view key = item.substr(0, equals);
    bool known = false;
    for (std::string_view k : kKeys) known = known || k == key;
    if (!known) {
      return std::unexpected("--slo: unknown key \"" + std::string(key) +
                             "\" (known: " + known_keys() + ")");
    }
    const auto limit = parse_duration(item.substr(equals + 1), std::chrono::milliseconds(1));
    if (!limit) {
      return std::unexpected("--slo: \"" + std::string(item.substr(equals + 1)) +
                             "\" is not a duration (e.g. 500ms, 1.5s)");
    }
    limits.push_back({std::string(key), static_cast<double>(limit->count()) / 1e6});
  }
  if (limits.empty()) return std::unexpected("--slo needs at least one KEY=LIMIT");
  return limits;
}

std::vector<SloViolation> check_slo(const std::vector<SloLimit>& limits, const Phases& phases,
                                    const Marks& marks, double redirect_ms) {
  std::vector<SloViolation> out;
  for (const SloLimit& limit : limits) {
    const auto value = measure(limit.key, phases, marks, redirect_ms);
    if (value && *value > limit.limit_ms) out.push_back({limit.key, *value, limit.limit_ms});
  }
  return out;
}

}  // namespace httptrace::cli
