#pragma once
// `httptrace demo` (what `make run` runs): starts the embedded loopback server, plain and HTTPS
// with a certificate made at start, and shows `stat` and `load` at work on it — cold and warm
// requests, a redirect, a TLS handshake, a short load run — with no network at all.

namespace httptrace::cli {

// Returns the exit status: 0 when every request of the tour succeeded, else 1.
int run_demo();

}  // namespace httptrace::cli
