#pragma once
// What `stat` learned about one request: its Timeline, its outcome, and per hop the views the
// pretty, JSON and SLO outputs read — each derived once from the Timeline, so the outputs
// cannot disagree (timeline.md).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <httptrace/timeline.hpp>

namespace httptrace::cli {

struct HopView {
  std::optional<HopRequest> request;
  std::optional<HopResponse> response;  // nullopt: the hop failed
  HopFacts facts;
  Phases phases;
  Marks marks;
};

struct Inspection {
  int index = 0;  // 0-based within the run (--repeat)
  std::shared_ptr<Timeline> timeline;
  std::vector<HopView> hops;  // empty when the request was refused before any round trip
  double redirect_ms = 0;
  std::optional<std::string> error;  // the request, or reading its body, failed
  uint64_t body_bytes = 0;
  std::string body_file;  // where the body went; empty = discarded

  // The final hop, or null.
  const HopView* final_hop() const { return hops.empty() ? nullptr : &hops.back(); }
  // The whole request, redirects included (curl's time_total).
  double total_ms() const { return redirect_ms + (hops.empty() ? 0.0 : hops.back().phases.total); }
};

// Certificates by connection id across the requests of a run: a Timeline knows the certificate
// of the handshakes it saw, so a later request on the same (reused) connection borrows it here.
class CertificateMemory {
 public:
  void remember_or_fill(HopView& hop);

 private:
  std::map<uint64_t, CertificateSummary> by_conn_;
};

// The hop views of a finished request.
std::vector<HopView> hop_views(const Timeline& timeline, CertificateMemory& certificates);

}  // namespace httptrace::cli
