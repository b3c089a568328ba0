// httptrace: the command line over the library — `events` (every hook as JSON lines), and
// later `stat`, `load` and `demo`. CLI11 lives in this one translation unit (it is slow to
// compile); the commands get plain structs.

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>

#include "events.hpp"

namespace {

using httptrace::cli::RequestFlags;

void add_request_flags(CLI::App& cmd, RequestFlags& f) {
  cmd.add_option("url", f.url, "The URL (http:// or https://)")->required();
  cmd.add_option("-X,--request", f.method, "Request method (default GET, or POST with -d)");
  cmd.add_option("-H,--header", f.headers, "Add a request header 'Key: value' (repeatable)");
  cmd.add_option("-d,--data", f.data, "Request body; @FILE reads a file (sets Content-Length)");
  cmd.add_flag("-L,--location", f.follow_redirects, "Follow redirects (at most 10)");
  cmd.add_flag("--disable-keepalive", f.disable_keepalive, "Dial a new connection for every request");
  cmd.add_option("-m,--max-time", f.max_time_s, "Seconds for the whole exchange, body included");
  cmd.add_option("--connect-timeout", f.connect_timeout_s, "Seconds allowed for dialing");
  cmd.add_option("--dns-servers", f.dns_servers,
                 "Resolve through these DNS servers: IP[:PORT][,...] (also $HTTPTRACE_DNS_SERVERS)");
  cmd.add_option("--resolve", f.resolve, "HOST:PORT:ADDR — use ADDR for HOST:PORT, no DNS (repeatable)");
  cmd.add_flag("-4,--ipv4", f.ipv4_only, "Connect over IPv4 only");
  cmd.add_flag("-6,--ipv6", f.ipv6_only, "Connect over IPv6 only");
  cmd.add_flag("--http1.1", f.http1_1, "Speak HTTP/1.1");
  cmd.add_option("--cacert", f.cacert, "Trust the CA certificates in this PEM file instead of the system's");
  cmd.add_flag("-k,--insecure", f.insecure, "Skip TLS certificate verification");
  cmd.add_option("--cert", f.cert, "Client certificate (PEM) for mutual TLS");
  cmd.add_option("--key", f.key, "Private key (PEM) for --cert, if not in the same file");
  cmd.add_flag("--tlsv1.2", f.tlsv1_2, "Use TLS 1.2 or later");
  cmd.add_flag("--tlsv1.3", f.tlsv1_3, "Use TLS 1.3 or later");
}

}  // namespace

int main(int argc, char** argv) {
  // A peer closing mid-write must be an error value, not a signal.
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App app("httptrace — watch every phase of an HTTP request", "httptrace");
  app.require_subcommand(1);
  app.set_version_flag("--version", "httptrace 0.1.0");
  app.footer(
      "Examples:\n"
      "  httptrace events http://127.0.0.1:8080/hello\n"
      "  httptrace events --repeat 2 -H 'Accept: text/plain' http://127.0.0.1:8080/\n"
      "  httptrace events -X POST -d @body.json -H 'Expect: 100-continue' http://127.0.0.1:8080/upload\n"
      "\nExit status: 0 success, 1 a request failed, 2 usage error.");

  httptrace::cli::EventsFlags events;
  CLI::App* events_cmd = app.add_subcommand("events", "Print every hook call as one JSON line (see docs/cli.md)");
  add_request_flags(*events_cmd, events.request);
  events_cmd->add_option("--repeat", events.repeat, "Send N requests in turn on one client (default 1)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "httptrace: %s (see httptrace --help)\n", e.what());
    return 2;
  }
  if (events_cmd->parsed()) return httptrace::cli::run_events(events);
  return 2;
}
