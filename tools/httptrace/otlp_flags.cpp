#include "otlp_flags.hpp"

#include <cstdlib>
#include <string_view>

#include <httptrace/url.hpp>

namespace httptrace::cli {

std::expected<otel::ExporterOptions, std::string> otlp_exporter_options(
    const std::string& endpoint) {
  auto options = otel::ExporterOptions::from_environment();
  if (!options) return std::unexpected(std::string("--otlp: ") + options.error().what());
  auto url = Url::parse(endpoint);
  if (!url || (url->scheme() != "http" && url->scheme() != "https") || url->host().empty()) {
    return std::unexpected("--otlp wants the collector's http:// or https:// URL, got \"" +
                           endpoint + "\"");
  }
  constexpr std::string_view kTracesPath = "/v1/traces";
  const std::string_view path = url->path();
  const bool traces_url = path.size() >= kTracesPath.size() &&
                          path.substr(path.size() - kTracesPath.size()) == kTracesPath;
  options->traces_url =
      traces_url ? endpoint : otel::ExporterOptions::traces_url_for_base(endpoint);
  return std::move(*options);
}

std::optional<otel::SpanContext> parent_span_from_environment() {
  const char* traceparent = std::getenv("TRACEPARENT");
  if (traceparent == nullptr) return std::nullopt;
  const char* tracestate = std::getenv("TRACESTATE");
  return otel::parse_traceparent(traceparent, tracestate != nullptr ? tracestate : "");
}

}  // namespace httptrace::cli
