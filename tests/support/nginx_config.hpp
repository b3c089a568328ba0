#pragma once
// The nginx.conf text NginxServer runs with (the locations are documented in nginx.hpp).

#include <cstdint>
#include <filesystem>
#include <string>

#include "support/nginx.hpp"

namespace httptrace::testing {

struct NginxLayout {
  std::filesystem::path dir;   // everything below lives here
  std::uint16_t port = 0;      // plain listener, 0 if none
  std::uint16_t tls_port = 0;  // TLS listener, 0 if none

  std::filesystem::path config_path() const { return dir / "nginx.conf"; }
  std::filesystem::path pid_path() const { return dir / "nginx.pid"; }
  std::filesystem::path error_log_path() const { return dir / "error.log"; }
  std::filesystem::path document_root() const { return dir / "www"; }
};

std::string render_nginx_config(const NginxOptions& options, const NginxLayout& layout);

}  // namespace httptrace::testing
