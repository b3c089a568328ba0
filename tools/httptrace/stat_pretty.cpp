#include "stat_pretty.hpp"

#include <fmt/format.h>

#include "stat_json.hpp"
#include "text_layout.hpp"
#include "units.hpp"
#include "waterfall.hpp"

namespace httptrace::cli {
namespace {

using std::chrono::system_clock;

Color status_color(int code) {
  if (code >= 500) return Color::red;
  if (code >= 400) return Color::yellow;
  if (code >= 300) return Color::cyan;
  return Color::green;
}

std::string connection_lines(const HopView& hop, const Palette& palette) {
  std::string out;
  if (!hop.facts.conn) {
    // With one address the error line says it all; with several, each failure is news.
    if (hop.facts.connect_attempts.size() < 2) return out;
    for (const ConnectAttempt& attempt : hop.facts.connect_attempts) {
      out += palette.paint(fmt::format("  a dial to {} failed: {}\n", attempt.addr,
                                       attempt.err.value_or("did not finish")),
                           Color::dim);
    }
    return out;
  }
  const ConnFacts& c = *hop.facts.conn;
  const std::string remote = palette.paint(c.remote_addr, Color::cyan);
  const std::string local = palette.paint(c.local_addr, Color::cyan);
  if (c.reused) {
    out += fmt::format("Reused connection #{} to {} from {}", c.id, remote, local);
    if (c.was_idle)
      out += ", idle " +
             palette.paint(format_ms(static_cast<double>(c.idle_time.count()) / 1e6), Color::cyan);
    out += '\n';
  } else {
    out += fmt::format("Connected to {} from {} (new connection #{})\n", remote, local, c.id);
  }
  for (const ConnectAttempt& attempt : hop.facts.connect_attempts) {
    if (attempt.err)
      out += palette.paint(fmt::format("  a dial to {} failed: {}\n", attempt.addr, *attempt.err),
                           Color::dim);
  }
  return out;
}

std::string expiry(system_clock::time_point not_after, const Palette& palette) {
  const auto days =
      std::chrono::duration_cast<std::chrono::hours>(not_after - system_clock::now()).count() / 24;
  std::string when = rfc3339(not_after);
  if (not_after < system_clock::now())
    return palette.paint(fmt::format("expired {} ({} days ago)", when, -days), Color::red);
  const std::string text = fmt::format("expires {} (in {} days)", when, days);
  return days < 14 ? palette.paint(text, Color::yellow) : text;
}

std::string tls_lines(const HopView& hop, const Palette& palette) {
  if (!hop.facts.tls) return {};
  const TlsFacts& tls = *hop.facts.tls;
  std::string out = fmt::format("{}, {}", palette.paint(tls.version_name, Color::cyan),
                                palette.paint(tls.cipher_suite_name, Color::cyan));
  out +=
      ", ALPN " + palette.paint(tls.negotiated_protocol.empty() ? "none" : tls.negotiated_protocol,
                                Color::cyan);
  if (tls.did_resume) out += ", session resumed";
  out += '\n';
  if (tls.leaf) {
    const std::string issuer =
        tls.leaf->issuer == tls.leaf->subject ? "self-signed" : "issued by " + tls.leaf->issuer;
    out += fmt::format("Certificate {}\n  {}, {}\n", palette.paint(tls.leaf->subject, Color::cyan),
                       issuer, expiry(tls.leaf->not_after, palette));
  }
  return out;
}

std::string response_lines(const HopResponse& response, const Palette& palette) {
  std::string out = palette.paint(response.proto, Color::green) + " " +
                    palette.paint(response.status, status_color(response.status_code)) + "\n";
  for (const auto& [key, values] : response.header) {
    for (const std::string& value : values.to_strings()) {
      out += palette.paint(std::string(key) + ":", Color::gray) + " " +
             palette.paint(value, Color::cyan) + "\n";
    }
  }
  return out;
}

bool is_https(const HopView& hop) {
  return hop.facts.tls.has_value() || (hop.request && hop.request->url.starts_with("https:"));
}

std::string hop_block(const HopView& hop, const Palette& palette) {
  std::string out;
  if (hop.request)
    out += palette.paint(hop.request->method + " " + hop.request->url, Color::bold) + "\n";
  out += connection_lines(hop, palette);
  out += tls_lines(hop, palette);
  if (hop.response) {
    out += '\n';
    out += response_lines(*hop.response, palette);
  } else if (hop.facts.error) {
    out += palette.paint(std::string("Error: ") + hop.facts.error->what(), Color::red) + "\n";
  }
  return out;
}

std::string body_line(const Inspection& in, const Palette& palette) {
  if (in.error && in.final_hop() && in.final_hop()->response) {
    return palette.paint("Error reading the body: " + *in.error, Color::red) + "\n";
  }
  if (!in.final_hop() || !in.final_hop()->response) return {};
  if (!in.body_file.empty())
    return fmt::format("Body stored in {} ({})\n", in.body_file, format_bytes(in.body_bytes));
  return palette.paint(fmt::format("Body discarded ({})", format_bytes(in.body_bytes)),
                       Color::dim) +
         "\n";
}

std::string heading(const Inspection& in, int of, const Palette& palette) {
  const HopView* first = in.hops.empty() ? nullptr : &in.hops.front();
  std::string kind = "failed before connecting";
  if (first && first->facts.conn)
    kind = first->facts.conn->reused ? "warm: reused connection" : "cold: new connection";
  return palette.paint(fmt::format("Request {} of {}", in.index + 1, of), Color::bold) + " — " +
         kind + "\n\n";
}

}  // namespace

std::string stat_pretty(const Inspection& in, int of, const Palette& palette) {
  std::string out;
  if (of > 1) out += heading(in, of, palette);
  if (in.hops.empty() && in.error)
    return out + palette.paint("Error: " + *in.error, Color::red) + "\n";
  for (std::size_t i = 0; i < in.hops.size(); ++i) {
    const HopView& hop = in.hops[i];
    if (in.hops.size() > 1)
      out += palette.paint(fmt::format("Hop {} of {}: ", i + 1, in.hops.size()), Color::bold);
    out += hop_block(hop, palette);
    if (i + 1 == in.hops.size()) {
      if (const std::string body = body_line(in, palette); !body.empty()) out += "\n" + body;
    }
    out += '\n';
    out += waterfall(hop, is_https(hop), palette);
    out += '\n';
  }
  if (in.hops.size() > 1) {
    out += fmt::format("{} redirect{} followed in {}; {} in all\n\n", in.hops.size() - 1,
                       in.hops.size() > 2 ? "s" : "",
                       palette.paint(format_ms(in.redirect_ms), Color::cyan),
                       palette.paint(format_ms(in.total_ms()), Color::cyan));
  }
  return out;
}

std::string stat_summary(const std::vector<Inspection>& inspections, const Palette& palette) {
  std::string out =
      palette.paint(fmt::format("Summary of {} requests", inspections.size()), Color::bold) + "\n";
  out += palette.paint("     #  connection        status       ttfb      total", Color::dim) + "\n";
  for (const Inspection& in : inspections) {
    const HopView* hop = in.final_hop();
    std::string connection = "none";
    if (hop && hop->facts.conn) {
      connection =
          fmt::format("{} #{}", hop->facts.conn->reused ? "reused" : "new", hop->facts.conn->id);
    }
    std::string status = "error";
    if (hop && hop->response) status = std::to_string(hop->response->status_code);
    std::string ttfb = "—";
    if (hop && hop->marks.starttransfer)
      ttfb = format_ms(in.redirect_ms + *hop->marks.starttransfer);
    out += fmt::format("  {:>4}  {}{}{}{}\n", in.index + 1, pad_right(connection, 18),
                       pad_right(status, 8), palette.paint(pad_left(ttfb, 10), Color::cyan),
                       palette.paint(pad_left(format_ms(in.total_ms()), 11), Color::cyan));
  }
  return out;
}

std::string slo_report(const Inspection& in, const std::vector<SloViolation>& violations,
                       const Palette& palette) {
  std::string out;
  for (const SloViolation& v : violations) {
    out += palette.paint(fmt::format("SLO violated (request {}): {} {} > {}", in.index + 1, v.key,
                                     format_ms(v.value_ms), format_ms(v.limit_ms)),
                         Color::red);
    out += '\n';
  }
  return out;
}

}  // namespace httptrace::cli
