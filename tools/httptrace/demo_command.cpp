#include "demo_command.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "demo_certificate.hpp"
#include "demo_server.hpp"
#include "load_command.hpp"
#include "stat_command.hpp"
#include "terminal.hpp"
#include "text_layout.hpp"

namespace httptrace::cli {
namespace {

// The certificate as a PEM file for the client to trust, removed when the demo ends.
class TrustFile {
 public:
  explicit TrustFile(const std::string& pem) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && tmp[0] != '\0' ? tmp : "/tmp") + "/httptrace-demo-XXXXXX";
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0) throw std::runtime_error("cannot create a temporary file for the demo certificate");
    const bool written = ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
    ::close(fd);
    path_ = pattern;
    if (!written) throw std::runtime_error("cannot write the demo certificate to " + path_);
  }
  ~TrustFile() { ::unlink(path_.c_str()); }
  TrustFile(const TrustFile&) = delete;
  TrustFile& operator=(const TrustFile&) = delete;
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

class Tour {
 public:
  explicit Tour(const Palette& palette) : palette_(palette) {}

  void section(const std::string& title, const std::string& command) {
    ++number_;
    std::string rule = fmt::format("── {}. {} ", number_, title);
    for (std::size_t width = display_width(rule); width < 80; ++width) rule += "─";
    print("\n" + palette_.paint(rule, Color::bold) + "\n");
    print(palette_.paint("$ " + command, Color::dim) + "\n\n");
    std::fflush(stdout);
  }
  void note(const std::string& text) { print(palette_.paint(text, Color::yellow) + "\n"); }
  void print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

 private:
  const Palette& palette_;
  int number_ = 0;
};

// Whether HTTPS works end to end in this build (the Transport may not speak it yet).
std::optional<std::string> https_problem(const std::string& url, const std::string& ca_file) {
  TransportOptions options;
  options.tls.ca_file = ca_file;
  ClientOptions client_options;
  client_options.transport = std::make_shared<Transport>(options);
  client_options.timeout = std::chrono::seconds(5);
  Client client(client_options);
  auto response = client.get(url);
  if (!response) return std::string(response.error().what());
  if (auto body = response->body().discard(); !body) return std::string(body.error().what());
  return std::nullopt;
}

StatFlags stat_flags(std::string url, int repeat, bool follow) {
  StatFlags flags;
  flags.request.url = std::move(url);
  flags.request.follow_redirects = follow;
  flags.repeat = repeat;
  return flags;
}

}  // namespace

int run_demo() {
  const Palette palette(color_wanted(stdout));
  Tour tour(palette);
  std::optional<DemoCertificate> certificate;
  std::string tls_note;
  try {
    certificate = make_demo_certificate();
  } catch (const std::runtime_error& e) {
    tls_note = e.what();
  }
  std::optional<DemoServer> server;
  try {
    server.emplace(certificate ? &*certificate : nullptr);
  } catch (const std::runtime_error& e) {
    std::fprintf(stderr, "httptrace demo: %s\n", e.what());
    return 1;
  }
  std::unique_ptr<TrustFile> trust;
  if (certificate) {
    try {
      trust = std::make_unique<TrustFile>(certificate->certificate_pem);
    } catch (const std::runtime_error& e) {
      tls_note = e.what();
      certificate.reset();
    }
  }

  const std::string http = fmt::format("http://127.0.0.1:{}", server->port());
  const std::string https = fmt::format("https://127.0.0.1:{}", server->tls_port());
  tour.print(palette.paint("httptrace demo", Color::bold) +
             " — an HTTP server embedded in this process, on loopback only, and httptrace\n"
             "inspecting requests to it. Nothing leaves this machine.\n\n");
  tour.print(fmt::format("  {}   plain HTTP\n", palette.paint(http, Color::cyan)));
  if (certificate) {
    tour.print(fmt::format("  {}  HTTPS, with a self-signed certificate made just now\n",
                           palette.paint(https, Color::cyan)));
  }
  int status = 0;
  auto merge = [&status](int result) { status = std::max(status, result == 0 ? 0 : 1); };

  tour.section("A request, cold then warm: the second reuses the connection",
               "httptrace stat --repeat 2 " + http + "/hello");
  merge(run_stat(stat_flags(http + "/hello", 2, false)));

  tour.section("A redirect followed (-L): one block per hop",
               "httptrace stat -L " + http + "/redirect");
  merge(run_stat(stat_flags(http + "/redirect", 1, true)));

  tour.section("Server processing: the server takes 30 ms to answer",
               "httptrace stat " + http + "/slow");
  merge(run_stat(stat_flags(http + "/slow", 1, false)));

  if (certificate) {
    tour.section("HTTPS, cold then warm: a TLS handshake, then a reused connection",
                 "httptrace stat --cacert demo-cert.pem --repeat 2 " + https + "/hello");
    if (auto problem = https_problem(https + "/hello", trust->path())) {
      tour.note("Skipped: HTTPS does not work in this build yet (" + *problem + ").");
    } else {
      StatFlags flags = stat_flags(https + "/hello", 2, false);
      flags.request.cacert = trust->path();
      merge(run_stat(flags));
    }
  } else {
    tour.note("No HTTPS part: " + tls_note);
  }

  tour.section("A short load run: 2,000 requests, 8 at a time",
               "httptrace load -n 2000 -c 8 " + http + "/hello");
  LoadFlags load;
  load.request.url = http + "/hello";
  load.requests = 2000;
  load.concurrency = 8;
  merge(run_load(load));

  tour.print(
      "\n" + palette.paint("Next:", Color::bold) +
      " httptrace stat --help, httptrace load --help, httptrace events --help; docs/cli.md\n");
  return status;
}

}  // namespace httptrace::cli
