#include "support/nginx.hpp"

#include <charconv>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/child_process.hpp"
#include "support/loopback.hpp"
#include "support/nginx_config.hpp"
#include "support/temp_dir.hpp"

namespace httptrace::testing {

namespace {

using namespace std::chrono_literals;

// The brief's bound for "nginx is up"; nginx itself is never sanitized, so it is not scaled.
constexpr auto kStartupBound = 5s;
constexpr auto kStopGrace = 2s;
constexpr int kMaxBindRaces = 5;

struct Ports {
  std::uint16_t plain = 0;
  std::uint16_t tls = 0;
};

// One free port number, bindable on 127.0.0.1 and (if wanted) on [::1]. The sockets are held
// in `held` until every port is chosen, so the plain and TLS ports differ.
std::uint16_t pick_port(bool ipv6, std::vector<UniqueFd>& held) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto v4 = bind_loopback(Loopback::ipv4, 0, -1);
    if (!v4) throw std::runtime_error("cannot bind 127.0.0.1:0: " + errno_text(v4.error()));
    const std::uint16_t port = local_port(v4->get());
    if (ipv6) {
      auto v6 = bind_loopback(Loopback::ipv6, port, -1);
      if (!v6) continue;
      held.push_back(std::move(*v6));
    }
    held.push_back(std::move(*v4));
    return port;
  }
  throw std::runtime_error("no port free on both 127.0.0.1 and [::1] after 50 tries");
}

// The ports are closed again before nginx binds them: another process can take one in
// between, which NginxServer detects in the error log and answers with fresh ports.
Ports pick_ports(const NginxOptions& options) {
  std::vector<UniqueFd> held;
  Ports ports;
  if (options.plain) ports.plain = pick_port(options.ipv6, held);
  if (options.tls) ports.tls = pick_port(options.ipv6, held);
  return ports;
}

void validate(const NginxOptions& options) {
  if (!options.plain && !options.tls) {
    throw std::invalid_argument("NginxOptions: neither a plain nor a TLS listener");
  }
  if (options.worker_connections < 16) {
    throw std::invalid_argument("NginxOptions: worker_connections below 16");
  }
  if (!options.tls) return;
  const NginxTlsOptions& tls = *options.tls;
  if (tls.certificate.empty() || tls.private_key.empty()) {
    throw std::invalid_argument("NginxTlsOptions: certificate and private_key are required");
  }
  if (tls.client_certs != NginxTlsOptions::ClientCerts::none && tls.client_ca.empty()) {
    throw std::invalid_argument("NginxTlsOptions: client certificate checks need client_ca");
  }
}

void write_static_files(const std::filesystem::path& document_root) {
  const std::filesystem::path static_dir = document_root / "static";
  std::filesystem::create_directories(static_dir);
  for (const char* name : {"16k.bin", "1m.bin", "text.txt"}) {
    write_file(static_dir / name, static_file_content(name));
  }
}

bool accepts_connections(Loopback family, std::uint16_t port) {
  return port == 0 || connect_loopback(family, port, 500ms).has_value();
}

enum class Startup { ready, bind_race, failed, timed_out };

}  // namespace

struct NginxServer::Impl {
  TempDir dir{"nginx"};
  NginxLayout layout;
  std::string config;
  std::optional<ChildProcess> process;

  std::filesystem::path output_path() const { return dir / "stderr.log"; }

  bool pid_file_written() const {
    const std::string text = read_file(layout.pid_path());
    long pid = 0;
    std::from_chars(text.data(), text.data() + text.size(), pid);
    return pid == process->pid();
  }

  bool all_listeners_accept(const NginxOptions& options) const {
    if (!accepts_connections(Loopback::ipv4, layout.port)) return false;
    if (!accepts_connections(Loopback::ipv4, layout.tls_port)) return false;
    if (!options.ipv6) return true;
    return accepts_connections(Loopback::ipv6, layout.port) &&
           accepts_connections(Loopback::ipv6, layout.tls_port);
  }

  // nginx writes its pid file after binding every listener (ngx_init_cycle, then
  // ngx_create_pidfile), so "pid file is ours" + "connect succeeds" means the port is nginx's
  // and not a squatter's.
  Startup await_startup(const NginxOptions& options,
                        std::chrono::steady_clock::time_point deadline) {
    auto pause = 1ms;
    for (;;) {
      if (pid_file_written() && all_listeners_accept(options)) return Startup::ready;
      const bool exited = !process->running();
      // nginx retries a failed bind for 2.5 s before giving up; the first failure is already in
      // the log, so a race costs a few milliseconds.
      if (read_file(layout.error_log_path()).find("Address already in use") != std::string::npos) {
        return Startup::bind_race;
      }
      if (exited) return Startup::failed;
      if (std::chrono::steady_clock::now() >= deadline) return Startup::timed_out;
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
  }

  std::string diagnostics(std::string_view what) const {
    std::string text = "NginxServer: " + std::string(what);
    if (process) text += " (nginx " + process->describe_exit() + ")";
    text += "\n--- error log ---\n" + read_file(layout.error_log_path());
    text += "\n--- stderr ---\n" + read_file(output_path());
    text += "\n--- nginx.conf ---\n" + config;
    return text;
  }
};

NginxServer::NginxServer(NginxOptions options) : impl_(std::make_unique<Impl>()) {
  validate(options);
  const auto nginx = find_program("nginx");
  if (!nginx) throw std::runtime_error("NginxServer: no nginx in PATH or /usr/sbin (nginx-light)");
  Impl& impl = *impl_;
  impl.layout.dir = impl.dir.path();
  write_static_files(impl.layout.document_root());

  const auto deadline = std::chrono::steady_clock::now() + kStartupBound;
  for (int attempt = 1;; ++attempt) {
    const Ports ports = pick_ports(options);
    impl.layout.port = ports.plain;
    impl.layout.tls_port = ports.tls;
    impl.config = render_nginx_config(options, impl.layout);
    write_file(impl.layout.config_path(), impl.config);
    std::filesystem::remove(impl.layout.pid_path());
    write_file(impl.layout.error_log_path(), "");

    const std::string prefix = impl.layout.dir.string() + "/";
    impl.process = ChildProcess::spawn(
        {nginx->string(), "-p", prefix, "-c", impl.layout.config_path().string(), "-e",
         impl.layout.error_log_path().string()},
        impl.output_path());
    const Startup startup = impl.await_startup(options, deadline);
    if (startup == Startup::ready) break;
    if (startup == Startup::bind_race && attempt < kMaxBindRaces &&
        std::chrono::steady_clock::now() < deadline) {
      impl.process->stop(SIGKILL, kStopGrace);
      continue;
    }
    const std::string message = impl.diagnostics(startup == Startup::timed_out
                                                     ? "nginx did not accept connections within 5 s"
                                                     : "nginx failed to start");
    impl.process->stop(SIGKILL, kStopGrace);
    throw std::runtime_error(message);
  }
  port_ = impl.layout.port;
  tls_port_ = impl.layout.tls_port;
}

NginxServer::~NginxServer() {
  stop();
}

void NginxServer::stop() {
  // Single-process nginx exits at once on SIGQUIT (no graceful drain without workers).
  if (impl_->process) impl_->process->stop(SIGQUIT, kStopGrace);
}

std::string NginxServer::base_url() const {
  return "http://" + loopback_authority(Loopback::ipv4, port_);
}

std::string NginxServer::tls_base_url() const {
  return "https://" + loopback_authority(Loopback::ipv4, tls_port_);
}

std::string NginxServer::base_url_v6() const {
  return "http://" + loopback_authority(Loopback::ipv6, port_);
}

std::string NginxServer::tls_base_url_v6() const {
  return "https://" + loopback_authority(Loopback::ipv6, tls_port_);
}

std::string NginxServer::error_log() const {
  return read_file(impl_->layout.error_log_path());
}

std::filesystem::path NginxServer::error_log_path() const {
  return impl_->layout.error_log_path();
}

std::string NginxServer::config() const {
  return impl_->config;
}

std::filesystem::path NginxServer::static_dir() const {
  return impl_->layout.document_root() / "static";
}

pid_t NginxServer::pid() const noexcept {
  return impl_->process ? impl_->process->pid() : -1;
}

}  // namespace httptrace::testing
