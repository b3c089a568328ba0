#include "otel/otlp_receiver.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "httptrace/client.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;

// The last lines of a log, for a skip message.
std::string tail(const std::string& text, std::size_t max = 600) {
  return text.size() <= max ? text : "…" + text.substr(text.size() - max);
}

// Whether npm's failure says the registry could not be reached (npm's error codes for a
// network failure), as opposed to a broken install that a test must not hide by skipping.
bool registry_unreachable(const std::string& log) {
  for (std::string_view code :
       {"ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET", "ENETUNREACH",
        "EHOSTUNREACH", "ERR_SOCKET_TIMEOUT", "network request", "FETCH_ERROR", "E503", "E502"}) {
    if (log.find(code) != std::string::npos) return true;
  }
  return false;
}

// install.sh once per test process; its verdict is kept for every later test. Without node or
// npm the tests fail (scripts/install-deps.sh installs them); they skip only when npm's
// registry is unreachable, and say so.
std::expected<void, std::string> install_packages() {
  static std::once_flag once;
  static std::expected<void, std::string> verdict;
  static std::string broken;
  std::call_once(once, [] {
    for (const char* program : {"node", "npm"}) {
      if (!find_program(program)) {
        broken = std::string(program) +
                 " is not installed: the OTLP receiver is a Node.js program (run "
                 "scripts/install-deps.sh, which installs nodejs and npm)";
        return;
      }
    }
    const std::string log = std::string(HTTPTRACE_OTEL_RECEIVER_CACHE) + "/install.log";
    const std::string command = "/bin/sh '" + std::string(HTTPTRACE_OTEL_RECEIVER_DIR) +
                                "/install.sh' '" + HTTPTRACE_OTEL_RECEIVER_CACHE + "' >'" + log +
                                "' 2>&1";
    std::filesystem::create_directories(HTTPTRACE_OTEL_RECEIVER_CACHE);
    if (std::system(command.c_str()) == 0) return;
    const std::string output = read_file(log);
    if (!registry_unreachable(output)) {
      broken = "installing the receiver's npm packages failed: " + tail(output);
      return;
    }
    verdict = std::unexpected(
        "npm's registry is unreachable, so the receiver's packages "
        "(tests/otel/receiver/package.json) cannot be installed: " +
        tail(output));
    std::fprintf(stderr, "OTLP receiver tests skipped: %s\n", verdict.error().c_str());
  });
  if (!broken.empty()) throw std::runtime_error(broken);
  return verdict;
}

}  // namespace

std::expected<std::unique_ptr<OtlpReceiver>, std::string> OtlpReceiver::start() {
  if (auto installed = install_packages(); !installed) return std::unexpected(installed.error());
  auto dir = std::make_unique<TempDir>("otlp-receiver");
  const auto output = *dir / "receiver.out";
  ChildProcess process = ChildProcess::spawn(
      {find_program("node")->string(), std::string(HTTPTRACE_OTEL_RECEIVER_DIR) + "/receiver.js",
       std::string(HTTPTRACE_OTEL_RECEIVER_CACHE) + "/node_modules"},
      output);
  // The receiver prints its port once listening; node takes a moment to load the definitions.
  const auto deadline = std::chrono::steady_clock::now() + scaled(20s);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = read_file(output);
    if (text.find('\n') != std::string::npos) {
      auto line = nlohmann::json::parse(text.substr(0, text.find('\n')), nullptr, false);
      if (line.is_object() && line.contains("port")) {
        const int port = line["port"].get<int>();
        return std::unique_ptr<OtlpReceiver>(
            new OtlpReceiver(std::move(dir), std::move(process), port));
      }
      throw std::runtime_error("OTLP receiver: unexpected output: " + tail(text));
    }
    if (!process.running()) {
      throw std::runtime_error("OTLP receiver " + process.describe_exit() + ": " + tail(text));
    }
    std::this_thread::sleep_for(20ms);
  }
  throw std::runtime_error("OTLP receiver: no port after 20 s: " + tail(read_file(output)));
}

OtlpReceiver::OtlpReceiver(std::unique_ptr<TempDir> dir, ChildProcess process, int port)
    : dir_(std::move(dir)), process_(std::move(process)), port_(port) {}

OtlpReceiver::~OtlpReceiver() {
  process_.stop();
}

std::string OtlpReceiver::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

nlohmann::json OtlpReceiver::get(std::string_view path) const {
  auto response = Client().get(url(path));
  if (!response) throw std::runtime_error(std::string("OTLP receiver: ") + response.error().what());
  auto body = response->body().read_all();
  if (!body) throw std::runtime_error(std::string("OTLP receiver: ") + body.error().what());
  return nlohmann::json::parse(*body);
}

void OtlpReceiver::post(std::string_view path, const std::string& body) const {
  auto request = Request::make("POST", url(path), RequestBody::from_string(body)).value();
  auto response = Client().send(request);
  if (!response || response->status_code() != 200) {
    throw std::runtime_error("OTLP receiver: POST " + std::string(path) + " failed");
  }
  (void)response->body().discard();
}

nlohmann::json OtlpReceiver::spans() const {
  return get("/_test/spans")["spans"];
}

nlohmann::json OtlpReceiver::posts() const {
  return get("/_test/posts");
}

void OtlpReceiver::respond_next(const std::vector<int>& statuses,
                                std::optional<std::string> retry_after) const {
  nlohmann::json order = {{"statuses", statuses}};
  if (retry_after) order["retryAfter"] = *retry_after;
  post("/_test/respond", order.dump());
}

}  // namespace httptrace::testing
