#pragma once
// OTLP/JSON (OTLP specification, "JSON Protobuf Encoding"): the protobuf JSON mapping with
// OTLP's exceptions — traceId and spanId as lowercase hex (not base64), enums as integers,
// 64-bit integers as decimal strings, field names in lowerCamelCase.

#include <string>
#include <vector>

#include "httptrace/otel.hpp"

namespace httptrace::otel::detail {

// One ExportTraceServiceRequest: a single resourceSpans with `resource` attributes, holding one
// scopeSpans (scope "httptrace", this library's version) with every span.
std::string export_request_json(const std::vector<SpanData>& spans,
                                const std::vector<Attribute>& resource);
// The same appended to `out` (the exporter reuses one buffer from batch to batch).
void append_export_request_json(std::string& out, const std::vector<SpanData>& spans,
                                const std::vector<Attribute>& resource);

// This library's version: the instrumentation scope's, and the exporter's User-Agent.
std::string_view library_version() noexcept;

// One attribute as a KeyValue object: {"key":…,"value":{"stringValue":…}}.
std::string key_value_json(const Attribute& attribute);

}  // namespace httptrace::otel::detail
