#include "inspection.hpp"

namespace httptrace::cli {

void CertificateMemory::remember_or_fill(HopView& hop) {
  if (!hop.facts.conn || !hop.facts.tls) return;
  const uint64_t id = hop.facts.conn->id;
  if (hop.facts.tls->leaf) {
    by_conn_[id] = *hop.facts.tls->leaf;
    return;
  }
  if (auto it = by_conn_.find(id); it != by_conn_.end()) hop.facts.tls->leaf = it->second;
}

std::vector<HopView> hop_views(const Timeline& timeline, CertificateMemory& certificates) {
  std::vector<HopView> hops;
  const std::size_t count = timeline.hops();
  hops.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    HopView& hop = hops.emplace_back();
    hop.request = timeline.request(i);
    hop.response = timeline.response(i);
    hop.facts = timeline.facts(i);
    hop.phases = timeline.phases(i);
    hop.marks = timeline.marks(i);
    certificates.remember_or_fill(hop);
  }
  return hops;
}

}  // namespace httptrace::cli
