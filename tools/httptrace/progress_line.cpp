#include "progress_line.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "units.hpp"

namespace httptrace::cli {
namespace {

std::size_t terminal_columns(std::FILE* out) {
  winsize size{};
  if (ioctl(fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

}  // namespace

ProgressLine::ProgressLine(std::FILE* out, const LoadPlan& plan, const LoadStats& stats,
                           Clock::time_point start)
    : out_(out), plan_(plan), stats_(stats), start_(start), last_at_(start) {}

std::string ProgressLine::text(const LoadPlan& plan, const LoadStats& stats, double elapsed_s,
                               double rate) {
  const uint64_t done = stats.requests();
  std::string out;
  if (plan.requests != 0) {
    out = fmt::format("{}/{} requests", format_count(done), format_count(plan.requests));
  } else {
    out = fmt::format("{} requests", format_count(done));
  }
  if (plan.duration.count() > 0) {
    out += fmt::format(" · {:.1f}/{:.0f} s", elapsed_s,
                       std::chrono::duration<double>(plan.duration).count());
  } else {
    out += fmt::format(" · {:.1f} s", elapsed_s);
  }
  out += fmt::format(" · {} req/s · {} errors", format_count(static_cast<uint64_t>(rate + 0.5)),
                     format_count(stats.errors()));
  const HdrHistogram& latency = stats.latency();
  if (latency.count() > 0) {
    out += fmt::format(" · p50 {} · p99 {}",
                       format_ms(static_cast<double>(latency.value_at_percentile(50)) / 1000),
                       format_ms(static_cast<double>(latency.value_at_percentile(99)) / 1000));
  }
  return out;
}

void ProgressLine::draw(Clock::time_point now) {
  const uint64_t done = stats_.requests();
  const double interval = std::chrono::duration<double>(now - last_at_).count();
  if (interval > 0) {
    const double current = static_cast<double>(done - last_done_) / interval;
    // Smoothed over about a second of redraws: steady enough to read, quick to show a stall.
    rate_ = drawn_ ? 0.6 * rate_ + 0.4 * current : current;
  }
  last_at_ = now;
  last_done_ = done;
  std::string line =
      "  " + text(plan_, stats_, std::chrono::duration<double>(now - start_).count(), rate_);
  const std::size_t columns = terminal_columns(out_);
  // Never wrap: a wrapped line cannot be redrawn in place. The text is ASCII apart from "·".
  std::size_t width = 0, cut = 0;
  for (; cut < line.size(); ++cut) {
    if ((static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) continue;
    if (++width >= columns) break;
  }
  line.resize(cut);
  std::fprintf(out_, "\r\x1b[2K%s", line.c_str());
  std::fflush(out_);
  drawn_ = true;
}

void ProgressLine::clear() {
  if (!drawn_) return;
  std::fputs("\r\x1b[2K", out_);
  std::fflush(out_);
  drawn_ = false;
}

}  // namespace httptrace::cli
