#include "http2/nghttpd.hpp"

#include <chrono>
#include <stdexcept>
#include <thread>

#include "support/child_process.hpp"
#include "support/loopback.hpp"
#include "support/temp_dir.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;

constexpr auto kStartupBound = 5s;
constexpr int kMaxAttempts = 5;

// A port free on 127.0.0.1 a moment ago; nghttpd binds it next (a race another process may
// win: nghttpd then exits and the caller picks again).
std::uint16_t pick_port() {
  auto socket = bind_loopback(Loopback::ipv4, 0, -1);
  if (!socket) throw std::runtime_error("bind 127.0.0.1:0: " + errno_text(socket.error()));
  return local_port(socket->get());
}

}  // namespace

std::string nghttpd_big_content() {
  std::string content(kNghttpdBigSize, '\0');
  for (std::size_t i = 0; i < content.size(); ++i)
    content[i] = static_cast<char>((i * 7 + i / 251) % 256);
  return content;
}

struct NghttpdServer::Impl {
  TempDir dir{"nghttpd"};
  std::optional<ChildProcess> process;
  std::filesystem::path output_path() const { return dir / "output.log"; }
};

NghttpdServer::NghttpdServer(NghttpdOptions options) : impl_(std::make_unique<Impl>()) {
  const auto nghttpd = find_program("nghttpd");
  if (!nghttpd) throw std::runtime_error("NghttpdServer: no nghttpd in PATH (nghttp2-server)");
  const std::filesystem::path root = document_root();
  std::filesystem::create_directories(root);
  write_file(root / "hello.txt", kNghttpdHello);
  write_file(root / "big.bin", nghttpd_big_content());

  const auto deadline = std::chrono::steady_clock::now() + kStartupBound;
  for (int attempt = 1;; ++attempt) {
    const std::uint16_t port = pick_port();
    std::vector<std::string> argv = {
        nghttpd->string(), "--address=127.0.0.1", "--htdocs=" + root.string(), "--echo-upload",
        "--trailer=" + std::string(kNghttpdTrailerKey) + ": " + std::string(kNghttpdTrailerValue)};
    if (options.max_concurrent_streams) {
      argv.push_back("--max-concurrent-streams=" + std::to_string(*options.max_concurrent_streams));
    }
    if (!options.tls) argv.push_back("--no-tls");
    argv.push_back(std::to_string(port));
    if (options.tls) {
      argv.push_back(options.tls->key.string());
      argv.push_back(options.tls->chain.string());
    }
    impl_->process = ChildProcess::spawn(argv, impl_->output_path());
    // No readiness signal exists: poll for the listener, with backoff.
    auto pause = 1ms;
    bool ready = false;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!impl_->process->running()) break;
      if (connect_loopback(Loopback::ipv4, port, 500ms).has_value() && impl_->process->running()) {
        ready = true;
        break;
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
    if (ready) {
      port_ = port;
      return;
    }
    const bool exited = !impl_->process->running();
    impl_->process->stop(SIGKILL, 1s);
    if (exited && attempt < kMaxAttempts && std::chrono::steady_clock::now() < deadline) continue;
    throw std::runtime_error("NghttpdServer: nghttpd did not come up (" +
                             impl_->process->describe_exit() + ")\n" + output());
  }
}

NghttpdServer::~NghttpdServer() {
  if (impl_->process) impl_->process->stop(SIGTERM, 2s);
}

std::filesystem::path NghttpdServer::document_root() const {
  return impl_->dir / "htdocs";
}

std::string NghttpdServer::output() const {
  return read_file(impl_->output_path());
}

}  // namespace httptrace::testing
