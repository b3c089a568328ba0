// A program outside the repository, built against the installed package, using the public
// names exactly as spec/api.md gives them.
#include <httptrace/http.hpp>

#include <chrono>
#include <cstdio>

int main() {
  using namespace std::chrono_literals;
  static const httptrace::ContextKey<int> attempt_key;

  httptrace::ClientTrace trace;
  int calls = 0;
  trace.got_conn = [&](const httptrace::GotConnInfo& info) { calls += info.reused ? 1 : 0; };
  auto [ctx, cancel] = httptrace::with_timeout(httptrace::background(), 5s);
  httptrace::Context traced = httptrace::with_client_trace(httptrace::with_value(ctx, attempt_key, 1), trace);

  httptrace::GotConnInfo info;
  info.reused = true;
  httptrace::call_hook(httptrace::context_client_trace(traced), &httptrace::ClientTrace::got_conn, info);
  cancel();
  const httptrace::Error* err = traced.err();
  if (calls != 1 || err == nullptr || err->code() != httptrace::ErrorCode::canceled ||
      *traced.value(attempt_key) != 1) {
    std::puts("consumer: unexpected behaviour");
    return 1;
  }
  httptrace::Result<int> result = std::unexpected(httptrace::Error(httptrace::ErrorCode::dns, "x"));
  if (result.has_value()) return 1;

  // The whole stack links from the package alone (OpenSSL, c-ares, zlib through pkg-config):
  // a request to a port nothing listens on is refused, as a value.
  httptrace::TransportOptions options;
  options.proxy = nullptr;
  httptrace::ClientOptions client_options;
  client_options.transport = std::make_shared<httptrace::Transport>(options);
  httptrace::Client client(client_options);
  auto request = httptrace::Request::make("GET", "http://127.0.0.1:1/").value();
  request = request.with_context(httptrace::with_client_trace(httptrace::background(), trace));
  auto response = client.send(request);
  if (response || response.error().code() != httptrace::ErrorCode::connection_refused) {
    std::puts("consumer: expected connection_refused");
    return 1;
  }
  return 0;
}
