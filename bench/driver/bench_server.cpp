#include "bench_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "process.hpp"

namespace bench {
namespace {

using namespace std::chrono_literals;

constexpr int kBindAttempts = 5;

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

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

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Bytes that do not compress (so nothing on the way is tempted to) and are the same each run.
std::string file_content(std::size_t size) {
  std::string content(size, '\0');
  std::uint32_t state = 2463534242u;
  for (char& c : content) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    c = static_cast<char>(state & 0xff);
  }
  return content;
}

int loopback_socket(std::uint16_t port, sockaddr_in& addr) {
  addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

// A port the kernel just handed out; closed again before nginx binds it, so another process can
// take it in between — start_once() notices and the constructor tries again.
std::uint16_t free_port(std::vector<int>& held) {
  sockaddr_in addr;
  const int fd = loopback_socket(0, addr);
  socklen_t length = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    throw std::runtime_error("cannot bind a port on 127.0.0.1");
  }
  held.push_back(fd);
  return ntohs(addr.sin_port);
}

bool accepts(std::uint16_t port) {
  sockaddr_in addr;
  const int fd = loopback_socket(port, addr);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  const Finished done = run_to_completion(argv, true);
  if (done.exit_status != 0) throw std::runtime_error("openssl " + args.front() + " failed");
}

}  // namespace

BenchServer::BenchServer(std::uint64_t max_files) : max_files_(max_files) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "httptrace-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  // nginx needs a few descriptors beyond its connections: listeners, files, logs.
  worker_connections_ = static_cast<int>(std::clamp<std::uint64_t>(max_files - 64, 1024, 16384));
  try {
    make_certificates();
    write_files();
    for (int attempt = 1;; ++attempt) {
      if (start_once()) return;
      if (attempt == kBindAttempts) {
        throw std::runtime_error("nginx did not start:\n" + read_file(dir_ / "error.log") +
                                 read_file(dir_ / "nginx.out"));
      }
    }
  } catch (...) {
    std::filesystem::remove_all(dir_);
    throw;
  }
}

BenchServer::~BenchServer() {
  // Single-process nginx exits at once on SIGQUIT.
  if (pid_ > 0) stop_process(pid_, SIGQUIT);
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string BenchServer::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

std::string BenchServer::tls_url(std::string_view path) const {
  return "https://127.0.0.1:" + std::to_string(tls_port_) + std::string(path);
}

std::string BenchServer::h2_url(std::string_view path) const {
  return "https://127.0.0.1:" + std::to_string(h2_port_) + std::string(path);
}

void BenchServer::make_certificates() const {
  const std::string d = dir_.string() + "/";
  const std::vector<std::string> ec_key = {"-newkey", "ec", "-pkeyopt",
                                           "ec_paramgen_curve:prime256v1", "-nodes"};
  std::vector<std::string> ca = {"req", "-x509"};
  ca.insert(ca.end(), ec_key.begin(), ec_key.end());
  ca.insert(ca.end(), {"-keyout", d + "ca.key", "-out", d + "ca.pem", "-days", "2", "-subj",
                       "/CN=httptrace bench CA", "-addext", "basicConstraints=critical,CA:TRUE",
                       "-addext", "keyUsage=critical,keyCertSign"});
  openssl(ca);
  std::vector<std::string> csr = {"req"};
  csr.insert(csr.end(), ec_key.begin(), ec_key.end());
  csr.insert(csr.end(),
             {"-keyout", d + "server.key", "-out", d + "server.csr", "-subj", "/CN=127.0.0.1"});
  openssl(csr);
  write_file(
      dir_ / "server.ext",
      "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
  openssl({"x509", "-req", "-in", d + "server.csr", "-CA", d + "ca.pem", "-CAkey", d + "ca.key",
           "-CAcreateserial", "-out", d + "server.pem", "-days", "2", "-extfile",
           d + "server.ext"});
}

void BenchServer::write_files() const {
  std::filesystem::create_directories(dir_ / "www" / "static");
  write_file(dir_ / "www" / "static" / "16k.bin", file_content(16 * 1024));
  write_file(dir_ / "www" / "static" / "1m.bin", file_content(1024 * 1024));
}

std::string BenchServer::config() const {
  auto in_dir = [this](std::string_view name) { return quoted(dir_ / name); };
  const std::string locations = "    root " + in_dir("www") +
                                ";\n"
                                "    location = /hello { return 200 \"hello world\\n\"; }\n";
  std::string out;
  out += "daemon off;\nmaster_process off;\nworker_processes 1;\n";
  out += "worker_rlimit_nofile " + std::to_string(max_files_) + ";\n";
  out += "pid " + in_dir("nginx.pid") + ";\nlock_file " + in_dir("nginx.lock") + ";\n";
  out += "error_log " + in_dir("error.log") + " warn;\n";
  out += "events { worker_connections " + std::to_string(worker_connections_) + "; }\n";
  out += "http {\n";
  out += "  access_log off;\n";
  out += "  types { application/octet-stream bin; }\n  default_type text/plain;\n";
  out += "  keepalive_requests 10000000;\n  keepalive_timeout 300s;\n";
  for (const char* temp : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
    out += "  " + std::string(temp) + "_temp_path " + in_dir(std::string(temp) + "_temp") + ";\n";
  }
  out += "  server {\n    listen 127.0.0.1:" + std::to_string(port_) + ";\n" + locations + "  }\n";
  for (const auto& [port, flags] : {std::pair{tls_port_, " ssl"}, {h2_port_, " ssl http2"}}) {
    out += "  server {\n    listen 127.0.0.1:" + std::to_string(port) + flags + ";\n";
    out += "    ssl_certificate " + in_dir("server.pem") + ";\n";
    out += "    ssl_certificate_key " + in_dir("server.key") + ";\n";
    out += "    ssl_protocols TLSv1.2 TLSv1.3;\n";
    out += "    ssl_session_cache shared:bench:10m;\n";
    // The default (128) is above the 16 streams of the HTTP/2 row: no stream ever waits.
    out += locations + "  }\n";
  }
  out += "}\n";
  return out;
}

bool BenchServer::start_once() {
  std::vector<int> held;
  port_ = free_port(held);
  tls_port_ = free_port(held);
  h2_port_ = free_port(held);
  for (const int fd : held) ::close(fd);
  write_file(dir_ / "nginx.conf", config());
  write_file(dir_ / "error.log", "");
  std::filesystem::remove(dir_ / "nginx.pid");

  const std::filesystem::path nginx = find_program("nginx");
  if (nginx.empty()) throw std::runtime_error("no nginx in PATH or /usr/sbin (nginx-light)");
  pid_ = start_process({nginx.string(), "-p", dir_.string() + "/", "-c",
                        (dir_ / "nginx.conf").string(), "-e", (dir_ / "error.log").string()},
                       dir_ / "nginx.out");
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    // nginx writes its pid file after binding every listener.
    const bool pid_written = std::filesystem::exists(dir_ / "nginx.pid");
    if (pid_written && accepts(port_) && accepts(tls_port_) && accepts(h2_port_)) return true;
    if (!process_running(pid_) ||
        read_file(dir_ / "error.log").find("Address already in use") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  stop_process(pid_, SIGKILL);
  pid_ = -1;
  return false;
}

}  // namespace bench
