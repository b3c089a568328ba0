#pragma once
// From a hop's raw events to timeline.md's stamps, and from stamps to every vocabulary. Pure
// functions: the Timeline calls them under its lock; tests may call them directly.

#include <cstdint>
#include <optional>

#include "httptrace/timeline.hpp"
#include "timeline/hop_record.hpp"

namespace httptrace::detail {

// timeline.md "Stamps" for `hop`, ending at `end`.
Stamps select_stamps(const HopRecord& hop, std::chrono::steady_clock::time_point end);

// The stamps as whole microseconds since the hop's start (rounded half up), so that every
// phase is an exact difference of them and phases add up to total exactly.
struct Offsets {
  std::optional<int64_t> get_conn, dns_start, dns_done, connect_start, connect_done, tls_start,
      tls_done, got_conn, wrote_request, first_byte;
  int64_t end = 0;
};
Offsets offsets_of(const Stamps& stamps);

// timeline.md "Phases", in microseconds.
using PhaseMicros = httptrace::PhaseMicros;
PhaseMicros phase_micros(const Offsets& o);

Phases to_phases(const PhaseMicros& p);
Marks to_marks(const Offsets& o);
K6Timings to_k6(const Offsets& o, const PhaseMicros& p);
// HAR's timings in microseconds (-1 absent) and its `time`.
struct HarMicros {
  int64_t blocked = -1, dns = -1, connect = -1, ssl = -1, send = -1, wait = -1, receive = -1;
  int64_t time = 0;
};
HarMicros to_har_micros(const PhaseMicros& p);
HarTimings to_har(const HarMicros& h);

// Milliseconds from microseconds.
inline double ms(int64_t micros) {
  return static_cast<double>(micros) / 1000.0;
}
// Rounded half up to whole microseconds (floor division, so it is monotonic for any sign).
int64_t round_micros(std::chrono::nanoseconds d) noexcept;

}  // namespace httptrace::detail
