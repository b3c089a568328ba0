// httptrace: the command line over the library — `stat` (one request inspected), `events`
// (every hook as JSON lines), `load` (load generation with a per-phase breakdown) and `demo`.
// CLI11 lives in this one translation unit (it is slow to compile); the commands get plain
// structs.

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>

#include "demo_command.hpp"
#include "events.hpp"
#include "load_command.hpp"
#include "stat_command.hpp"

namespace {

using httptrace::cli::RequestFlags;

void add_request_flags(CLI::App& cmd, RequestFlags& f) {
  cmd.add_option("url", f.url, "The URL (http:// or https://)")->required();
  cmd.add_option("-X,--request", f.method, "Request method (default GET, or POST with -d)");
  cmd.add_option("-H,--header", f.headers, "Add a request header 'Key: value' (repeatable)");
  cmd.add_option("-d,--data", f.data, "Request body; @FILE reads a file (sets Content-Length)");
  cmd.add_flag("-L,--location", f.follow_redirects, "Follow redirects (at most 10)");
  cmd.add_flag("--disable-keepalive", f.disable_keepalive,
               "Dial a new connection for every request");
  cmd.add_option("-m,--max-time", f.max_time_s, "Seconds for the whole exchange, body included");
  cmd.add_option("--connect-timeout", f.connect_timeout_s, "Seconds allowed for dialing");
  cmd.add_option(
      "--dns-servers", f.dns_servers,
      "Resolve through these DNS servers: IP[:PORT][,...] (also $HTTPTRACE_DNS_SERVERS)");
  cmd.add_option("--resolve", f.resolve,
                 "HOST:PORT:ADDR — use ADDR for HOST:PORT, no DNS (repeatable)");
  cmd.add_flag("-4,--ipv4", f.ipv4_only, "Connect over IPv4 only");
  cmd.add_flag("-6,--ipv6", f.ipv6_only, "Connect over IPv6 only");
  cmd.add_flag("--http1.1", f.http1_1, "Speak HTTP/1.1 only");
  cmd.add_flag("--http2", f.http2, "Offer HTTP/2 over TLS (ALPN h2; the default)");
  cmd.add_flag("--http2-prior-knowledge", f.http2_prior_knowledge,
               "Speak HTTP/2 to http:// URLs without asking (h2c)");
  cmd.add_option("--cacert", f.cacert,
                 "Trust the CA certificates in this PEM file instead of the system's");
  cmd.add_flag("-k,--insecure", f.insecure, "Skip certificate verification");
  cmd.add_option("--cert", f.cert, "Client certificate (PEM) for mutual TLS");
  cmd.add_option("--key", f.key, "The client certificate's private key (PEM; default: in --cert)");
  cmd.add_flag("--tlsv1.2", f.tlsv1_2, "Use TLS 1.2 or later");
  cmd.add_flag("--tlsv1.3", f.tlsv1_3, "Use TLS 1.3 or later");
  cmd.add_option("--proxy", f.proxy,
                 "Use this proxy (http:// or https://, user:password@ for Basic auth); default: "
                 "$HTTP_PROXY / $HTTPS_PROXY / $NO_PROXY");
  cmd.add_option("--noproxy", f.noproxy,
                 "Hosts that bypass --proxy: comma list (IP, CIDR, host[:port], .domain, *)");
}

CLI::App* add_events_command(CLI::App& app, httptrace::cli::EventsFlags& f) {
  CLI::App* cmd =
      app.add_subcommand("events", "Print every hook call as one JSON line (see docs/cli.md)");
  add_request_flags(*cmd, f.request);
  cmd->add_option("--repeat", f.repeat, "Send N requests in turn on one client (default 1)");
  cmd->footer(
      "Examples:\n"
      "  httptrace events http://127.0.0.1:8080/hello\n"
      "  httptrace events --repeat 2 -H 'Accept: text/plain' http://127.0.0.1:8080/\n"
      "  httptrace events -X POST -d @body.json -H 'Expect: 100-continue' "
      "http://127.0.0.1:8080/upload");
  return cmd;
}

CLI::App* add_stat_command(CLI::App& app, httptrace::cli::StatFlags& f) {
  CLI::App* cmd =
      app.add_subcommand("stat", "Inspect one request: waterfall, connection, TLS, headers");
  add_request_flags(*cmd, f.request);
  cmd->add_option("--repeat", f.repeat,
                  "Send N requests in turn on one client: cold, then warm (default 1)");
  cmd->add_flag("--json", f.json, "Print one JSON object per request instead of the waterfall");
  cmd->add_option("--har", f.har_file, "Write every hop as HAR 1.2 to FILE ('-' = stdout)");
  cmd->add_option("-o,--output", f.output_file,
                  "Write the response body to FILE (default: discard it)");
  cmd->add_option("--slo", f.slo,
                  "Limits such as total=500ms,ttfb=200ms; exit 4 when one is exceeded");
  cmd->add_option("--otlp", f.otlp,
                  "Export each request as OpenTelemetry spans (OTLP/HTTP JSON) to this collector, "
                  "e.g. http://127.0.0.1:4318; headers and service name from $OTEL_*; the trace "
                  "joins $TRACEPARENT");
  cmd->footer(
      "Examples:\n"
      "  httptrace stat http://127.0.0.1:8080/hello\n"
      "  httptrace stat -L --repeat 2 http://127.0.0.1:8080/redirect\n"
      "  httptrace stat --json --har trace.har -o body.bin http://127.0.0.1:8080/static/1m.bin\n"
      "  httptrace stat --slo total=500ms,ttfb=200ms http://127.0.0.1:8080/hello\n"
      "  httptrace stat --otlp http://127.0.0.1:4318 http://127.0.0.1:8080/hello");
  return cmd;
}

CLI::App* add_load_command(CLI::App& app, httptrace::cli::LoadFlags& f) {
  CLI::App* cmd = app.add_subcommand(
      "load", "Generate load; report latency, every phase, connections, statuses");
  add_request_flags(*cmd, f.request);
  cmd->add_option("-n,--requests", f.requests,
                  "Send N requests in all (default 200 unless -z is given)");
  cmd->add_option("-z,--duration", f.duration,
                  "Send for this long, e.g. 10s or 2m (with -n: whichever ends first)");
  cmd->add_option("-c,--concurrency", f.concurrency,
                  "Requests in flight at once, one connection each (default 50)");
  cmd->add_option("-t,--threads", f.threads,
                  "Event-loop threads sharing the -c connections (default: one per CPU, half\n"
                  "of them for a localhost or loopback URL)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-q,--rate", f.rate,
                  "Requests per second across all workers (open model; default: no limit)");
  cmd->add_option("--timeout", f.timeout,
                  "Per request, body included, e.g. 5s (default 20s, or -m)");
  cmd->add_flag("--json", f.json, "Print the report as one JSON object");
  cmd->add_option("--csv", f.csv_file, "Write one row per request, every phase, to FILE");
  CLI::Option* otlp = cmd->add_option(
      "--otlp", f.otlp,
      "Export requests as OpenTelemetry spans (OTLP/HTTP JSON) to this collector, e.g. "
      "http://127.0.0.1:4318; headers and service name from $OTEL_*; see docs/otel.md");
  cmd->add_option("--otlp-sample", f.otlp_sample,
                  "Share of requests exported with --otlp, 0 to 1 (by trace id; default 1)")
      ->check(CLI::Range(0.0, 1.0))
      ->needs(otlp);
  cmd->footer(
      "Examples:\n"
      "  httptrace load -n 10000 -c 32 http://127.0.0.1:8080/hello\n"
      "  httptrace load -c 64 -z 10s http://127.0.0.1:8080/hello\n"
      "  httptrace load -q 500 -z 30s --csv requests.csv http://127.0.0.1:8080/hello\n"
      "  httptrace load -X POST -d @body.json -n 1000 --json http://127.0.0.1:8080/upload\n"
      "  httptrace load -z 30s --otlp http://127.0.0.1:4318 --otlp-sample 0.1 "
      "http://127.0.0.1:8080/hello");
  return cmd;
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
      "  httptrace demo\n"
      "  httptrace stat http://127.0.0.1:8080/hello\n"
      "  httptrace events --repeat 2 http://127.0.0.1:8080/hello\n"
      "  httptrace load -c 64 -z 10s http://127.0.0.1:8080/hello\n"
      "\n'httptrace COMMAND --help' lists a command's options and examples; docs/cli.md has the "
      "rest.\n"
      "Exit status: 0 success, 1 a request failed, 2 usage error, 4 an SLO was exceeded (stat).");

  CLI::App* demo_cmd = app.add_subcommand(
      "demo", "Run an embedded loopback HTTP and HTTPS server and inspect it (no network)");
  demo_cmd->footer("Example:\n  httptrace demo");
  httptrace::cli::StatFlags stat;
  CLI::App* stat_cmd = add_stat_command(app, stat);
  httptrace::cli::EventsFlags events;
  CLI::App* events_cmd = add_events_command(app, events);
  httptrace::cli::LoadFlags load;
  CLI::App* load_cmd = add_load_command(app, load);

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
  if (demo_cmd->parsed()) return httptrace::cli::run_demo();
  if (stat_cmd->parsed()) return httptrace::cli::run_stat(stat);
  if (events_cmd->parsed()) return httptrace::cli::run_events(events);
  if (load_cmd->parsed()) return httptrace::cli::run_load(load);
  return 2;
}
