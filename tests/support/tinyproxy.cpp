#include "support/tinyproxy.hpp"

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/loopback.hpp"

namespace httptrace::testing {
namespace {

std::uint16_t free_port() {
  auto listener = bind_loopback(Loopback::ipv4, 0, -1);
  if (!listener) throw std::runtime_error("tinyproxy: cannot find a free port");
  return local_port(listener->get());
}

}  // namespace

bool Tinyproxy::available() { return find_program("tinyproxy").has_value(); }

Tinyproxy::Tinyproxy(TinyproxyOptions options) : options_(std::move(options)), dir_("tinyproxy") {
  auto program = find_program("tinyproxy");
  if (!program) throw std::runtime_error("tinyproxy is not installed (tinyproxy-bin)");
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_port();
    const auto config = dir_.path() / "tinyproxy.conf";
    std::ofstream out(config);
    out << "Port " << port_ << "\nListen 127.0.0.1\nTimeout 60\nMaxClients 100\nAllow 127.0.0.1\n"
        << "LogFile \"" << (dir_.path() / "log").string() << "\"\nLogLevel Info\n"
        << "PidFile \"" << (dir_.path() / "pid").string() << "\"\nDisableViaHeader Yes\n";
    if (options_.basic_auth) out << "BasicAuth " << options_.basic_auth->first << " " << options_.basic_auth->second << "\n";
    out.close();
    process_.emplace(ChildProcess::spawn({program->string(), "-d", "-c", config.string()}, dir_.path() / "output"));
    // Ready once it accepts a connection: bounded retries, each a real connect attempt.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < give_up && process_->running()) {
      if (connect_loopback(Loopback::ipv4, port_, std::chrono::milliseconds(200))) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    process_->stop();
  }
  throw std::runtime_error("tinyproxy did not come up:\n" + log());
}

Tinyproxy::~Tinyproxy() { stop(); }

void Tinyproxy::stop() {
  if (process_) process_->stop(SIGTERM, std::chrono::seconds(2));
}

std::string Tinyproxy::url(bool with_credentials) const {
  std::string url = "http://";
  if (with_credentials && options_.basic_auth) url += options_.basic_auth->first + ":" + options_.basic_auth->second + "@";
  return url + "127.0.0.1:" + std::to_string(port_);
}

std::string Tinyproxy::log() const {
  std::ostringstream text;
  for (const char* name : {"log", "output"}) {
    std::ifstream in(dir_.path() / name);
    text << in.rdbuf();
  }
  return text.str();
}

}  // namespace httptrace::testing
