#include "stat_json.hpp"

#include <ctime>

#include <fmt/format.h>
#include <httptrace/json.hpp>

namespace httptrace::cli {
namespace {

constexpr int kSchemaVersion = 1;
constexpr int kDecimals = 3;

JsonObject& ms_field(JsonObject& o, std::string_view key, const std::optional<double>& value) {
  if (!value) return o.null_field(key);
  return o.field(key, *value, kDecimals);
}

std::string timings_json(const Phases& p) {
  JsonObject o;
  ms_field(o, "pool_wait", p.pool_wait);
  ms_field(o, "dns", p.dns);
  ms_field(o, "connect", p.connect);
  ms_field(o, "tls", p.tls);
  ms_field(o, "send", p.send);
  ms_field(o, "wait", p.wait);
  ms_field(o, "receive", p.receive);
  o.field("total", p.total, kDecimals);
  return o.str();
}

std::string marks_json(const Marks& m) {
  JsonObject o;
  ms_field(o, "namelookup", m.namelookup);
  ms_field(o, "connect", m.connect);
  ms_field(o, "appconnect", m.appconnect);
  ms_field(o, "pretransfer", m.pretransfer);
  ms_field(o, "posttransfer", m.posttransfer);
  ms_field(o, "starttransfer", m.starttransfer);
  o.field("total", m.total, kDecimals);
  return o.str();
}

std::string tls_json(const TlsFacts& tls) {
  JsonObject o;
  o.field("version", tls.version_name)
      .field("cipher_suite", tls.cipher_suite_name)
      .field("alpn", tls.negotiated_protocol)
      .field("server_name", tls.server_name)
      .field("did_resume", tls.did_resume);
  if (tls.leaf) {
    o.field("subject", tls.leaf->subject)
        .field("issuer", tls.leaf->issuer)
        .field("not_before", rfc3339(tls.leaf->not_before))
        .field("not_after", rfc3339(tls.leaf->not_after))
        .string_array("dns_names", tls.leaf->dns_names);
  } else {
    o.null_field("subject").null_field("issuer").null_field("not_before").null_field("not_after");
    o.raw_field("dns_names", "null");
  }
  return o.str();
}

std::string header_json(const Header& header) {
  JsonObject o;
  for (const auto& [key, values] : header) o.string_array(key, values.to_strings());
  return o.str();
}

// The fields one hop contributes, at the top level (final hop) and in `hops`; the top level
// writes its own `error`.
void hop_fields(JsonObject& o, const HopView& hop, bool with_error) {
  if (hop.request) {
    o.field("url", hop.request->url).field("method", hop.request->method);
  } else {
    o.null_field("url").null_field("method");
  }
  if (hop.response) {
    o.field("status", hop.response->status_code)
        .field("status_text", hop.response->status)
        .field("proto", hop.response->proto);
  } else {
    o.null_field("status").null_field("status_text").null_field("proto");
  }
  if (hop.facts.conn) {
    const ConnFacts& c = *hop.facts.conn;
    o.field("remote_addr", c.remote_addr)
        .field("local_addr", c.local_addr)
        .field("connection_id", c.id)
        .field("reused", c.reused);
    if (c.was_idle) {
      o.field("idle_ms", static_cast<double>(c.idle_time.count()) / 1e6, kDecimals);
    } else {
      o.null_field("idle_ms");
    }
  } else {
    o.null_field("remote_addr").null_field("local_addr").null_field("connection_id");
    o.null_field("reused").null_field("idle_ms");
  }
  o.raw_field("tls", hop.facts.tls ? tls_json(*hop.facts.tls) : "null");
  o.raw_field("timings_ms", timings_json(hop.phases));
  o.raw_field("marks_ms", marks_json(hop.marks));
  o.raw_field("headers", hop.response ? header_json(hop.response->header) : "null");
  if (!with_error) return;
  o.optional_field("error", hop.facts.error ? std::optional<std::string>(hop.facts.error->what())
                                            : std::nullopt);
}

std::string slo_json(const std::vector<SloViolation>& violations) {
  std::string list = "[";
  for (const SloViolation& v : violations) {
    if (list.size() > 1) list += ',';
    JsonObject item;
    item.field("key", v.key).field("value_ms", v.value_ms, kDecimals);
    item.field("limit_ms", v.limit_ms, kDecimals);
    list += item.str();
  }
  list += ']';
  JsonObject o;
  o.field("passed", violations.empty()).raw_field("violations", list);
  return o.str();
}

}  // namespace

std::string rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

std::string stat_json(const Inspection& in, const std::vector<SloViolation>* violations) {
  JsonObject o;
  o.field("schema_version", kSchemaVersion).field("request", in.index);
  if (const HopView* final_hop = in.final_hop()) {
    hop_fields(o, *final_hop, false);
  } else {
    // Refused before any round trip: nothing but the error and the (empty) timing objects.
    hop_fields(o, HopView{}, false);
  }
  // The request's error, which also covers reading the body after the final hop's response.
  o.optional_field("error", in.error);
  o.field("redirect_ms", in.redirect_ms, kDecimals);
  o.field("time_total_ms", in.total_ms(), kDecimals);
  o.field("body_bytes", in.body_bytes);
  o.optional_field("body_file",
                   in.body_file.empty() ? std::nullopt : std::optional<std::string>(in.body_file));
  std::string hops = "[";
  for (const HopView& hop : in.hops) {
    if (hops.size() > 1) hops += ',';
    JsonObject h;
    hop_fields(h, hop, true);
    hops += h.str();
  }
  hops += ']';
  o.raw_field("hops", hops);
  if (violations != nullptr) o.raw_field("slo", slo_json(*violations));
  return o.str();
}

}  // namespace httptrace::cli
