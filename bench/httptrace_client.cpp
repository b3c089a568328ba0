// Our client, as a user writes it: a Client over a Transport with default options (but no
// proxy), one Request sent again and again, its body read to EOF into a fixed buffer. Modes:
//   keepalive  no trace (P1, P3, P4, P7)
//   hooks      all 16 ClientTrace hooks set to trivial lambdas (P2)
//   new-conn   TransportOptions::disable_keep_alives: a new connection per request (P5)
//   h2-16      16 threads sharing the Client: 16 concurrent streams over one HTTP/2
//              connection (P9; ALPN picks h2 by default)
// An https URL uses --ca as TlsOptions::ca_file.

#include <array>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "client_args.hpp"
#include "client_harness.hpp"
#include "httptrace/http.hpp"
#include "trivial_hooks.hpp"

namespace {

httptrace::TransportOptions transport_options(const bench::ClientArgs& args) {
  httptrace::TransportOptions options;
  options.proxy = nullptr;
  options.tls.ca_file = args.ca_file;
  options.disable_keep_alives = args.mode == "new-conn";
  return options;
}

httptrace::ClientOptions client_options(const bench::ClientArgs& args) {
  httptrace::ClientOptions options;
  options.transport = std::make_shared<httptrace::Transport>(transport_options(args));
  return options;
}

constexpr int kStreams = 16;

class HttptraceClient {
 public:
  HttptraceClient(const bench::ClientArgs& args, httptrace::Request request)
      : client_(client_options(args)), request_(std::move(request)) {}

  std::expected<std::uint64_t, std::string> get() { return get_into(buffer_, false); }

  // Thread-safe: each thread reads into its own buffer.
  std::expected<std::uint64_t, std::string> get_concurrently() {
    thread_local std::array<std::byte, 64 * 1024> buffer;
    return get_into(buffer, true);
  }

 private:
  std::expected<std::uint64_t, std::string> get_into(std::span<std::byte> buffer, bool http2) {
    auto response = client_.send(request_);
    if (!response) return std::unexpected(response.error().message());
    if (http2 && response->proto_major() != 2)
      return std::unexpected("not HTTP/2: " + std::string(response->proto()));
    if (response->status_code() != 200) {
      return std::unexpected("status " + std::to_string(response->status_code()));
    }
    std::uint64_t total = 0;
    for (;;) {
      auto n = response->body().read(buffer);
      if (!n) return std::unexpected(n.error().message());
      if (*n == 0) return total;
      total += *n;
    }
  }

  httptrace::Client client_;
  httptrace::Request request_;
  std::array<std::byte, 64 * 1024> buffer_;
};

}  // namespace

int main(int argc, char** argv) {
  const bench::ClientArgs args =
      bench::parse_client_args(argc, argv, {"keepalive", "hooks", "new-conn", "h2-16"});
  auto request = httptrace::Request::make("GET", args.url);
  if (!request) {
    std::fprintf(stderr, "httptrace_client: %s\n", request.error().what());
    return 2;
  }
  if (args.mode == "hooks") {
    *request = request->with_context(
        httptrace::with_client_trace(request->context(), bench::trivial_hooks()));
  }
  auto client = std::make_unique<HttptraceClient>(args, std::move(*request));
  if (args.mode == "h2-16") {
    return bench::run_client_threads("httptrace", args, kStreams,
                                     [&client] { return client->get_concurrently(); });
  }
  return bench::run_client("httptrace", args, [&client] { return client->get(); });
}
