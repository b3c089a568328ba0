// The training run of the profile-guided release build (docs/benchmarks.md, "The profile-guided
// build"): an instrumented build of the library runs this program, and the counts it leaves
// tell the compiler which paths are hot. So it asks for what programs ask for, in about the
// proportions they do: pooled keep-alive GETs above all (plain, then with every hook set, then
// under a Timeline as `httptrace stat` and `load` attach one), uploads, chunked and large
// bodies, redirects, HEAD, 404s, HTTPS (pooled and a handshake per request), and the
// EventLoop that `httptrace load` drives. All of it against the demo server on 127.0.0.1.
//
// A step that fails is reported and skipped, and the library is then optimised with whatever
// was counted (untrained code is compiled as without a profile): the build does not depend on
// it. A run that hangs fails the build after five minutes, since that would be a library bug.
//
//   httptrace_pgo_train WORK_DIR     (WORK_DIR receives the demo certificate for the HTTPS steps)

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "demo_certificate.hpp"
#include "demo_server.hpp"
#include "httptrace/http.hpp"
#include "trivial_hooks.hpp"

namespace {

using namespace httptrace;

TransportOptions loopback_options(const std::string& ca_file = {}) {
  TransportOptions options;
  options.proxy = nullptr;
  options.tls.ca_file = ca_file;
  return options;
}

// Runs `step` and reports how long it took; a failure is reported and the run goes on.
void step(const char* name, const std::function<void()>& body) {
  const auto start = std::chrono::steady_clock::now();
  try {
    body();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    std::printf("  %-28s %.2f s\n", name, took.count());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "httptrace_pgo_train: %s: %s (skipped)\n", name, e.what());
  }
}

// Sends `request` `times` times through `client`, reading each body to its end.
void send(Client& client, const Request& request, int times) {
  for (int i = 0; i < times; ++i) {
    auto response = client.send(request);
    if (!response) throw std::runtime_error(response.error().message());
    if (auto drained = response->body().discard(); !drained) {
      throw std::runtime_error(drained.error().message());
    }
  }
}

Request make(std::string_view method, const std::string& url, RequestBody body = {}) {
  auto request = Request::make(method, url, std::move(body));
  if (!request) throw std::runtime_error(request.error().message());
  return std::move(*request);
}

// `total` requests through an EventLoop, `concurrency` at a time, each slot under a Timeline
// reset between its requests: what `httptrace load` does.
void drive_event_loop(const std::string& url, int total, int concurrency) {
  EventLoop loop(loopback_options());
  struct Slot {
    std::shared_ptr<Timeline> timeline;
    std::optional<Request> request;
  };
  std::vector<Slot> slots(static_cast<std::size_t>(concurrency));
  const Request base = make("GET", url);
  int submitted = 0;
  std::optional<std::string> failure;
  std::function<void(Slot&)> next = [&](Slot& slot) {
    if (submitted == total || failure) return;
    ++submitted;
    if (slot.request) {
      slot.timeline->reset();
    } else {
      auto [ctx, timeline] =
          Timeline::attach(base.context(), TimelineOptions{.header_fields = false});
      slot.timeline = std::move(timeline);
      slot.request = base.with_context(std::move(ctx));
    }
    loop.submit(*slot.request, [&next, &failure, &slot](EventLoop::Completion& done) {
      if (!done.response) {
        failure = done.response.error().message();
        return;
      }
      slot.timeline->mark_end(done.body_bytes);
      (void)slot.timeline->measure(0);
      next(slot);
    });
  };
  for (Slot& slot : slots) next(slot);
  loop.run();
  if (failure) throw std::runtime_error(*failure);
}

void train(const std::filesystem::path& work_dir) {
  cli::DemoCertificate certificate = cli::make_demo_certificate();
  const std::filesystem::path ca_file = work_dir / "train-ca.pem";
  std::filesystem::create_directories(work_dir);
  std::ofstream(ca_file) << certificate.certificate_pem;
  cli::DemoServer server(&certificate);
  const std::string http = "http://127.0.0.1:" + std::to_string(server.port());
  const std::string https = "https://127.0.0.1:" + std::to_string(server.tls_port());

  ClientOptions client_options;
  client_options.transport = std::make_shared<Transport>(loopback_options());
  Client client(client_options);
  const Request hello = make("GET", http + "/hello");

  step("keep-alive GET", [&] { send(client, hello, 30000); });
  step("keep-alive GET, 16 hooks", [&] {
    send(client, hello.with_context(with_client_trace(hello.context(), bench::trivial_hooks())),
         8000);
  });
  step("keep-alive GET, Timeline", [&] {
    auto [ctx, timeline] = Timeline::attach(hello.context());
    const Request timed = hello.with_context(std::move(ctx));
    for (int i = 0; i < 3000; ++i) {
      timeline->reset();
      send(client, timed, 1);
      timeline->mark_end();
      (void)timeline->phases(0);
    }
  });
  step("POST 1 KiB", [&] {
    send(client, make("POST", http + "/hello", RequestBody::from_string(std::string(1024, 'x'))),
         3000);
  });
  step("GET chunked", [&] { send(client, make("GET", http + "/chunked"), 3000); });
  step("GET 1 MiB", [&] { send(client, make("GET", http + "/large"), 100); });
  step("GET, redirected", [&] { send(client, make("GET", http + "/redirect"), 1000); });
  step("HEAD", [&] { send(client, make("HEAD", http + "/hello"), 500); });
  step("GET 404", [&] { send(client, make("GET", http + "/missing"), 500); });

  ClientOptions tls_options;
  tls_options.transport = std::make_shared<Transport>(loopback_options(ca_file.string()));
  Client tls_client(tls_options);
  step("HTTPS keep-alive GET", [&] { send(tls_client, make("GET", https + "/hello"), 8000); });
  step("HTTPS, new connections", [&] {
    TransportOptions options = loopback_options(ca_file.string());
    options.disable_keep_alives = true;
    ClientOptions fresh;
    fresh.transport = std::make_shared<Transport>(options);
    Client fresh_client(fresh);
    send(fresh_client, make("GET", https + "/hello"), 200);
  });
  step("EventLoop, 8 at a time", [&] { drive_event_loop(http + "/hello", 12000, 8); });
}

// Ends the process with a failure if the training has not finished within the limit.
class Watchdog {
 public:
  explicit Watchdog(std::chrono::minutes limit)
      : thread_([this, limit] {
          std::unique_lock lock(mutex_);
          if (!done_changed_.wait_for(lock, limit, [this] { return done_; })) {
            std::fprintf(stderr, "httptrace_pgo_train: still running after %d minutes; a hang\n",
                         static_cast<int>(limit.count()));
            std::_Exit(1);
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    done_changed_.notify_one();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable done_changed_;
  bool done_ = false;
  std::thread thread_;  // last: it starts once the members it uses exist
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s WORK_DIR\n", argv[0]);
    return 2;
  }
  std::printf("httptrace_pgo_train: training the release build's profile\n");
  Watchdog watchdog(std::chrono::minutes(5));
  try {
    train(argv[1]);
  } catch (const std::exception& e) {
    // No server, no certificate: the library is built from what was counted, if anything.
    std::fprintf(stderr, "httptrace_pgo_train: %s (training stopped)\n", e.what());
  }
  return 0;
}
