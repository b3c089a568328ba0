#include "support/nginx_config.hpp"

#include <array>

namespace httptrace::testing {

namespace {

// nginx strings in double quotes take backslash escapes; temp paths may contain spaces.
std::string quoted(const std::filesystem::path& path) {
  std::string out = "\"";
  for (const char c : path.string()) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

constexpr std::array kStatusesWithBody = {200, 201, 400, 401, 403, 404, 417, 500, 502, 503};
constexpr std::array kRedirectStatuses = {301, 302, 303, 307, 308};
constexpr std::array kBodylessStatuses = {204, 304};

std::string status_locations() {
  std::string out;
  for (const int status : kStatusesWithBody) {
    const std::string code = std::to_string(status);
    out += "    location = /status/" + code + " {";
    if (status == 401) out += " add_header WWW-Authenticate 'Basic realm=\"httptrace\"' always;";
    // A text argument sends the response through the normal filter chain; a bare `return 400`
    // goes through the special-response path, which disables keep-alive for 400 and 500.
    out += " return " + code + " \"status " + code + "\\n\"; }\n";
  }
  for (const int status : kRedirectStatuses) {
    const std::string code = std::to_string(status);
    out += "    location = /status/" + code + " { absolute_redirect off; return " + code +
           " /hello; }\n";
  }
  for (const int status : kBodylessStatuses) {
    const std::string code = std::to_string(status);
    out += "    location = /status/" + code + " { return " + code + "; }\n";
  }
  return out;
}

std::string common_locations(const NginxOptions& options, const NginxLayout& layout,
                             std::string_view scheme, std::uint16_t port) {
  std::string out;
  out += "    root " + quoted(layout.document_root()) + ";\n";
  out += "    client_max_body_size 100m;\n";
  out += "    location = /hello { return 200 \"hello world\\n\"; }\n";
  out += "    location /static/ { gzip on; gzip_types text/plain; gzip_min_length 1; }\n";
  out += "    location = /redirect { absolute_redirect off; return 302 /hello; }\n";
  out += "    location = /redirect-abs { return 302 " + std::string(scheme) +
         "://127.0.0.1:" + std::to_string(port) + "/hello; }\n";
  // keepalive_timeout 0 makes nginx answer with `Connection: close` and close afterwards.
  out += "    location = /close { keepalive_timeout 0; return 200 \"closing\\n\"; }\n";
  // `return` discards the request body before answering (ngx_http_send_response), so the
  // connection stays reusable after an upload of any size up to client_max_body_size.
  out += "    location = /upload { return 200 \"ok\\n\"; }\n";
  out += status_locations();
  if (!options.extra_server_config.empty()) out += options.extra_server_config + "\n";
  return out;
}

std::string listen_lines(const NginxOptions& options, std::uint16_t port, std::string_view flags) {
  std::string out = "    listen 127.0.0.1:" + std::to_string(port) + std::string(flags) + ";\n";
  if (options.ipv6) out += "    listen [::1]:" + std::to_string(port) + std::string(flags) + ";\n";
  return out;
}

std::string plain_server(const NginxOptions& options, const NginxLayout& layout) {
  std::string out = "  server {\n";
  out += listen_lines(options, layout.port, "");
  out += common_locations(options, layout, "http", layout.port);
  out += "  }\n";
  return out;
}

std::string tls_server(const NginxOptions& options, const NginxLayout& layout) {
  const NginxTlsOptions& tls = *options.tls;
  std::string out = "  server {\n";
  out += listen_lines(options, layout.tls_port, tls.http2 ? " ssl http2" : " ssl");
  out += "    ssl_certificate " + quoted(tls.certificate) + ";\n";
  out += "    ssl_certificate_key " + quoted(tls.private_key) + ";\n";
  out += "    ssl_protocols " + tls.protocols + ";\n";
  if (tls.client_certs != NginxTlsOptions::ClientCerts::none) {
    const bool required = tls.client_certs == NginxTlsOptions::ClientCerts::required;
    out += std::string("    ssl_verify_client ") + (required ? "on" : "optional") + ";\n";
    out += "    ssl_client_certificate " + quoted(tls.client_ca) + ";\n";
  }
  out += common_locations(options, layout, "https", layout.tls_port);
  out += "  }\n";
  return out;
}

}  // namespace

std::string render_nginx_config(const NginxOptions& options, const NginxLayout& layout) {
  const std::filesystem::path& dir = layout.dir;
  std::string out;
  out += "daemon off;\nmaster_process off;\nworker_processes 1;\n";
  out += "pid " + quoted(layout.pid_path()) + ";\n";
  out += "lock_file " + quoted(dir / "nginx.lock") + ";\n";
  out += "error_log " + quoted(layout.error_log_path()) + " info;\n";
  out += "events { worker_connections " + std::to_string(options.worker_connections) + "; }\n";
  out += "http {\n";
  out += "  access_log off;\n";
  out += "  types { text/plain txt; application/octet-stream bin; }\n";
  out += "  default_type text/plain;\n";
  out += "  keepalive_requests 100000;\n";
  out += "  keepalive_timeout 75s;\n";
  for (const char* temp : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
    out += "  " + std::string(temp) + "_temp_path " + quoted(dir / (std::string(temp) + "_temp")) +
           ";\n";
  }
  if (!options.extra_http_config.empty()) out += options.extra_http_config + "\n";
  if (options.plain) out += plain_server(options, layout);
  if (options.tls) out += tls_server(options, layout);
  out += "}\n";
  return out;
}

}  // namespace httptrace::testing
