#pragma once
// Shared plumbing for the http2 tests: a ClientConnection over an H2TestServer's socketpair,
// and requests to "http://127.0.0.1:8080" (h2c with prior knowledge; the port is only a name
// here — no socket is bound).

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "http2/client_connection.hpp"
#include "http2/h2_test_server.hpp"
#include "httptrace/request.hpp"
#include "httptrace/trace.hpp"
#include "support/hook_recorder.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::testing {

using namespace std::chrono_literals;

inline http2::ConnectionOptions test_options() {
  http2::ConnectionOptions options;
  options.default_user_agent = "httptrace-test";
  return options;
}

inline std::shared_ptr<http2::ClientConnection> connect_to(
    H2TestServer& server, http2::ConnectionOptions options = test_options()) {
  auto conn =
      http2::ClientConnection::start(server.take_client_stream(), std::move(options), background());
  if (!conn) throw std::runtime_error("start: " + conn.error().message());
  return *conn;
}

inline Request make_request(std::string_view method, std::string_view path,
                            RequestBody body = RequestBody::empty()) {
  auto request =
      Request::make(method, "http://127.0.0.1:8080" + std::string(path), std::move(body));
  if (!request) throw std::runtime_error(request.error().message());
  return *request;
}

inline Request traced(Request request, HookRecorder& hooks) {
  return request.with_context(with_client_trace(request.context(), hooks.trace()));
}

inline Result<Response> send(http2::ClientConnection& conn, const Request& request,
                             bool gzip = false) {
  http2::ClientConnection::RequestParams params;
  params.request = &request;
  params.ctx = request.context();
  params.trace = context_client_trace(request.context());
  params.requested_gzip = gzip;
  params.authority = request.url().host();
  return conn.round_trip(params);
}

// A response with a text body and a Content-Length.
inline H2Response text_response(std::string body, int status = 200) {
  H2Response response;
  response.status = status;
  response.headers = {{"content-type", "text/plain"},
                      {"content-length", std::to_string(body.size())}};
  response.body = std::move(body);
  return response;
}

// Answers every complete request with "ok <path>".
inline void answer_with_path(H2TestServer& server) {
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    control.respond(request.stream_id, text_response("ok " + request.header(":path")));
  };
}

}  // namespace httptrace::testing
