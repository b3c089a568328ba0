// ExporterOptions from the OpenTelemetry environment variables ("SDK Environment Variables",
// "OTLP Exporter Configuration").

#include <charconv>
#include <cstdlib>

#include "httptrace/otel.hpp"
#include "httptrace/url.hpp"
#include "message/ascii.hpp"
#include "message/url_escape.hpp"

namespace httptrace::otel {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Error bad_variable(std::string_view name, std::string_view problem) {
  return Error(ErrorCode::invalid_request, std::string(name) + ": " + std::string(problem));
}

// Unset and empty are the same (spec: "an empty value is treated as unset").
std::optional<std::string> lookup(const ExporterOptions::EnvLookup& getenv, std::string_view name) {
  auto value = getenv(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

Result<std::string> checked_url(std::string_view name, const std::string& text) {
  auto url = Url::parse(text);
  if (!url || (url->scheme() != "http" && url->scheme() != "https") || url->host().empty()) {
    return std::unexpected(
        bad_variable(name, "\"" + ascii::printable(text) + "\" is not an http:// or https:// URL"));
  }
  return text;
}

// W3C Baggage's list form, which OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES use:
// "key=value" members separated by ',', values percent-encoded.
Result<Pairs> parse_pairs(std::string_view name, std::string_view list) {
  Pairs out;
  while (true) {
    const auto comma = list.find(',');
    std::string_view member = ascii::trim_ows(list.substr(0, comma));
    if (!member.empty()) {
      const auto eq = member.find('=');
      if (eq == std::string_view::npos) {
        return std::unexpected(
            bad_variable(name, "\"" + ascii::printable(member) + "\" is not key=value"));
      }
      std::string_view key = ascii::trim_ows(member.substr(0, eq));
      std::string_view raw = ascii::trim_ows(member.substr(eq + 1));
      if (key.empty()) return std::unexpected(bad_variable(name, "a member has an empty key"));
      if (auto problem = url_detail::check_escapes(raw, url_detail::Component::fragment)) {
        return std::unexpected(bad_variable(name, *problem));
      }
      std::string value;
      url_detail::append_unescaped(value, raw);
      out.emplace_back(std::string(key), std::move(value));
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

Result<int64_t> positive_number(std::string_view name, const std::string& text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) {
    return std::unexpected(
        bad_variable(name, "\"" + ascii::printable(text) + "\" is not a positive integer"));
  }
  return value;
}

// A positive integer variable into `target` (converted by `convert`), if set.
template <class Convert>
std::optional<Error> read_number(const ExporterOptions::EnvLookup& getenv, std::string_view name,
                                 Convert convert) {
  auto text = lookup(getenv, name);
  if (!text) return std::nullopt;
  auto value = positive_number(name, *text);
  if (!value) return value.error();
  convert(*value);
  return std::nullopt;
}

std::optional<Error> read_headers(const ExporterOptions::EnvLookup& getenv, std::string_view name,
                                  Header& headers) {
  auto text = lookup(getenv, name);
  if (!text) return std::nullopt;
  auto pairs = parse_pairs(name, *text);
  if (!pairs) return pairs.error();
  for (auto& [key, value] : *pairs) {
    if (!ascii::is_token(key)) {
      return bad_variable(name, "\"" + ascii::printable(key) + "\" is not a header name");
    }
    headers.set(key, value);
  }
  return std::nullopt;
}

std::optional<Error> read_protocol(const ExporterOptions::EnvLookup& getenv,
                                   std::string_view name) {
  auto protocol = lookup(getenv, name);
  if (!protocol || *protocol == "http/json" || *protocol == "http/protobuf") return std::nullopt;
  return bad_variable(name, "\"" + ascii::printable(*protocol) +
                                "\": httptrace exports OTLP/HTTP with JSON only; use http/json "
                                "and the collector's HTTP port (4318)");
}

std::optional<Error> read_endpoint(const ExporterOptions::EnvLookup& getenv,
                                   ExporterOptions& options) {
  constexpr std::string_view kTraces = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
  constexpr std::string_view kBase = "OTEL_EXPORTER_OTLP_ENDPOINT";
  if (auto traces = lookup(getenv, kTraces)) {
    auto url = checked_url(kTraces, *traces);
    if (!url) return url.error();
    options.traces_url = *url;
  } else if (auto base = lookup(getenv, kBase)) {
    auto url = checked_url(kBase, *base);
    if (!url) return url.error();
    options.traces_url = ExporterOptions::traces_url_for_base(*url);
  }
  return std::nullopt;
}

std::optional<Error> read_resource(const ExporterOptions::EnvLookup& getenv,
                                   ExporterOptions& options) {
  constexpr std::string_view kAttributes = "OTEL_RESOURCE_ATTRIBUTES";
  if (auto text = lookup(getenv, kAttributes)) {
    auto pairs = parse_pairs(kAttributes, *text);
    if (!pairs) return pairs.error();
    for (auto& [key, value] : *pairs) {
      if (key == "service.name") {
        options.service_name = value;
      } else {
        options.resource_attributes.emplace_back(key, value);
      }
    }
  }
  // OTEL_SERVICE_NAME wins over a service.name in OTEL_RESOURCE_ATTRIBUTES.
  if (auto name = lookup(getenv, "OTEL_SERVICE_NAME")) options.service_name = *name;
  return std::nullopt;
}

}  // namespace

std::string ExporterOptions::traces_url_for_base(std::string_view endpoint) {
  std::string url(endpoint);
  if (url.empty() || url.back() != '/') url += '/';
  return url + "v1/traces";
}

Result<ExporterOptions> ExporterOptions::from_environment() {
  return from_environment([](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

Result<ExporterOptions> ExporterOptions::from_environment(const EnvLookup& getenv) {
  using std::chrono::milliseconds;
  ExporterOptions options;
  std::optional<Error> problem;
  auto first = [&](std::optional<Error> e) {
    if (!problem && e) problem = std::move(e);
  };
  first(read_protocol(getenv, "OTEL_EXPORTER_OTLP_PROTOCOL"));
  first(read_protocol(getenv, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"));
  first(read_endpoint(getenv, options));
  // The signal-specific headers are applied last so that they win per key.
  first(read_headers(getenv, "OTEL_EXPORTER_OTLP_HEADERS", options.headers));
  first(read_headers(getenv, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", options.headers));
  first(read_resource(getenv, options));
  auto set_timeout = [&](int64_t ms) { options.export_timeout = milliseconds(ms); };
  first(read_number(getenv, "OTEL_EXPORTER_OTLP_TIMEOUT", set_timeout));
  first(read_number(getenv, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", set_timeout));
  first(read_number(getenv, "OTEL_BSP_MAX_QUEUE_SIZE",
                    [&](int64_t n) { options.max_queue_size = static_cast<std::size_t>(n); }));
  first(read_number(getenv, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
                    [&](int64_t n) { options.max_batch_size = static_cast<std::size_t>(n); }));
  first(read_number(getenv, "OTEL_BSP_SCHEDULE_DELAY",
                    [&](int64_t ms) { options.schedule_delay = milliseconds(ms); }));
  if (problem) return std::unexpected(std::move(*problem));
  // The batch processor's rule: a batch is never larger than the queue.
  options.max_batch_size = std::min(options.max_batch_size, options.max_queue_size);
  return options;
}

}  // namespace httptrace::otel
