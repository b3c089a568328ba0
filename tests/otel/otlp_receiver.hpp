#pragma once
// OtlpReceiver: the Node.js OTLP/HTTP receiver of tests/otel/receiver on 127.0.0.1, for the
// export tests. It decodes what it gets with the OpenTelemetry protocol definitions (npm
// @opentelemetry/otlp-transformer, installed once per build directory by install.sh) and answers
// 400 to anything that is not valid OTLP/JSON. Tests read back what it accepted.
//
//   auto receiver = OtlpReceiver::start();
//   if (!receiver) GTEST_SKIP() << receiver.error();
//   ... export to (*receiver)->traces_url() ...
//   nlohmann::json spans = (*receiver)->spans();

#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace httptrace::testing {

class OtlpReceiver {
 public:
  // Installs the packages if needed and starts the receiver. The error (a reason to skip) is
  // only ever that npm's registry is unreachable; no node or npm, or any other failure, throws:
  // the test fails rather than silently skipping.
  static std::expected<std::unique_ptr<OtlpReceiver>, std::string> start();
  ~OtlpReceiver();

  // "http://127.0.0.1:P" + path.
  std::string url(std::string_view path = "/v1/traces") const;
  std::string traces_url() const { return url("/v1/traces"); }

  // Every span accepted so far, flattened: {traceId, spanId, parentSpanId, traceState, flags,
  // name, kind, startTimeUnixNano, endTimeUnixNano (strings), attributes: {key: AnyValue},
  // status: {code, message}, resource: {key: AnyValue}, scope: {name, version}}.
  nlohmann::json spans() const;
  // Every export POST: {path, headers (lowercase names), status, atMs, spans, error}.
  nlohmann::json posts() const;
  // The next export POSTs get these statuses (their spans are not accepted), with Retry-After
  // when given.
  void respond_next(const std::vector<int>& statuses,
                    std::optional<std::string> retry_after = std::nullopt) const;

 private:
  OtlpReceiver(std::unique_ptr<TempDir> dir, ChildProcess process, int port);
  nlohmann::json get(std::string_view path) const;
  void post(std::string_view path, const std::string& body) const;

  std::unique_ptr<TempDir> dir_;
  ChildProcess process_;
  int port_;
};

}  // namespace httptrace::testing
