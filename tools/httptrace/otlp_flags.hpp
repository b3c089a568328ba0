#pragma once
// What `stat --otlp` and `load --otlp` share: the exporter options for an --otlp ENDPOINT over
// the standard OTEL_* variables, and the span a run joins when its parent process passed one.

#include <expected>
#include <optional>
#include <string>

#include <httptrace/otel.hpp>

namespace httptrace::cli {

// ExporterOptions::from_environment() with the traces URL taken from `endpoint`: used as is
// when its path ends in /v1/traces, else a base URL (<endpoint>/v1/traces, as
// OTEL_EXPORTER_OTLP_ENDPOINT). The error is a usage message starting "--otlp".
std::expected<otel::ExporterOptions, std::string> otlp_exporter_options(
    const std::string& endpoint);

// $TRACEPARENT / $TRACESTATE (the OpenTelemetry convention for handing context to a child
// process); nullopt when unset or malformed.
std::optional<otel::SpanContext> parent_span_from_environment();

}  // namespace httptrace::cli
