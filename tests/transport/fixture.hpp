#pragma once
// Helpers shared by the transport suites: a Transport that never consults the environment's
// proxy settings, traced requests, and body reading.

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "httptrace/http.hpp"
#include "support/hook_recorder.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::testing {

inline TransportOptions test_options() {
  TransportOptions options;
  options.proxy = nullptr;  // tests decide proxies explicitly
  return options;
}

inline std::shared_ptr<Transport> make_transport(TransportOptions options = test_options()) {
  return std::make_shared<Transport>(std::move(options));
}

inline Request traced(std::string_view method, const std::string& url, HookRecorder& hooks,
                      RequestBody body = RequestBody::empty(), Context ctx = background()) {
  auto request = Request::make(method, url, std::move(body));
  EXPECT_TRUE(request) << (request ? "" : request.error().what());
  return request->with_context(with_client_trace(ctx, hooks.trace()));
}

inline std::string body_of(Response& response) {
  auto body = response.body().read_all();
  EXPECT_TRUE(body) << (body ? "" : body.error().what());
  return body ? *body : std::string();
}

inline std::string ms_since(std::chrono::steady_clock::time_point start) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start).count()) + " ms";
}

}  // namespace httptrace::testing
