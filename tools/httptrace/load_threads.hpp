#pragma once
// How many event-loop threads a `load` run spreads its connections over.

#include <httptrace/url.hpp>

namespace httptrace::cli {

// Whether `target` names this machine: `localhost` and its subdomains (RFC 6761: they never
// leave it) or a loopback address literal. Names resolved elsewhere (--resolve, /etc/hosts)
// are not looked at.
bool loopback_target(const Url& target);

// -t when given (`requested` > 0); else one thread per CPU, or half of them (at least one)
// when the target is on this machine, whose server needs cores too. Never more than the
// `connections`. `cpus` is what std::thread::hardware_concurrency() said (0: unknown, one).
int loop_threads(int requested, int connections, const Url& target, int cpus);

}  // namespace httptrace::cli
