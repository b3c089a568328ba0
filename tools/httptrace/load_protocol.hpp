#pragma once
// The protocol a `load` run speaks, learned before the run: HTTP/2 multiplexes every worker's
// requests over one shared Transport (few connections), HTTP/1.1 gives each connection its own
// (the EventLoop, or a Transport per blocking worker). With an https URL only the server can
// say (TLS ALPN), so one untimed, unrecorded HEAD request asks it — as curl and Go, an
// h2-capable server gets HTTP/2 unless --http1.1 is given.

#include <string>

#include <httptrace/http.hpp>

#include "request_flags.hpp"

namespace httptrace::cli {

// "HTTP/2.0" or "HTTP/1.1" (also when the probe fails: the run then reports the errors).
// The probe's connection is closed: the run dials its own, so its connect and TLS phases show.
std::string load_protocol(const RequestFlags& flags, Transport& transport, const Request& request);

}  // namespace httptrace::cli
