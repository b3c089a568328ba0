#pragma once
// The waterfall of one hop: a row per phase — its duration, a bar on the hop's time axis, and
// the cumulative curl mark where it ends — then the total. Phases in the order they happen
// (DNS lookup, TCP connect, TLS handshake, pool wait until the connection is in hand, request
// send, server processing, content transfer), so the bars tile the total exactly: the phases
// add up to it (timeline.md). An absent phase shows "—" and no bar, never 0.

#include <string>

#include "inspection.hpp"
#include "terminal.hpp"

namespace httptrace::cli {

// `with_tls_row`: show the TLS handshake row (an https hop); plain HTTP leaves it out, as
// httpstat does.
std::string waterfall(const HopView& hop, bool with_tls_row, const Palette& palette);

}  // namespace httptrace::cli
