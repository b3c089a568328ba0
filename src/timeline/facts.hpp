#pragma once
// Decoding a hop's recorded arguments into the public fact views. Callers hold the Timeline's
// lock (TimelineAccess).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "httptrace/timeline.hpp"
#include "timeline/hop_record.hpp"

namespace httptrace::detail {

// `with_certificate`: parse the leaf certificate (TlsFacts::leaf).
HopFacts hop_facts(const Timeline& t, std::size_t hop, bool with_certificate = true);
// hop_facts(t, hop).connect_attempts.size(), without building the facts.
std::size_t connect_attempt_count(const Timeline& t, std::size_t hop);
std::optional<HopRequest> hop_request(const Timeline& t, std::size_t hop);
std::optional<HopResponse> hop_response(const Timeline& t, std::size_t hop);
std::vector<TimelineEvent> hop_events(const Timeline& t, std::size_t hop);

// One line for an event's arguments (TimelineEvent::detail).
std::string event_detail(const HopRecord& hop, const RawEvent& event);

}  // namespace httptrace::detail
