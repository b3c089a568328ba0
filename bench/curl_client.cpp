// The peer a C++ user would pick instead (spec/performance.md "The common setup"): libcurl's
// easy interface, one handle reused so its connection cache keeps the connection alive, the
// body discarded by a write callback. Modes: keepalive, and new-conn (CURLOPT_FORBID_REUSE: a
// fresh connection, and for https a fresh handshake — resumed from curl's session cache, as
// ours resumes from its own — per request); and h2-16: the multi interface keeping 16 transfers
// in flight as streams over one HTTP/2 connection (CURLPIPE_MULTIPLEX, PIPEWAIT, one
// connection per host) — each call of the measured function waits for one transfer to
// complete and restarts it.

#include <curl/curl.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>

#include "alloc_counter.hpp"
#include "client_args.hpp"
#include "client_harness.hpp"

namespace {

// libcurl's allocations go through these, so --count-allocs sees them as it sees our
// operator new.
void* counted_malloc(std::size_t size) {
  bench::note_allocation();
  return std::malloc(size);
}
void* counted_realloc(void* p, std::size_t size) {
  bench::note_allocation();
  return std::realloc(p, size);
}
void* counted_calloc(std::size_t count, std::size_t size) {
  bench::note_allocation();
  return std::calloc(count, size);
}
char* counted_strdup(const char* s) {
  bench::note_allocation();
  return ::strdup(s);
}

std::size_t discard(char*, std::size_t size, std::size_t count, void* total) {
  *static_cast<std::uint64_t*>(total) += size * count;
  return size * count;
}

class CurlClient {
 public:
  explicit CurlClient(const bench::ClientArgs& args) : handle_(curl_easy_init()) {
    curl_easy_setopt(handle_, CURLOPT_URL, args.url.c_str());
    curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(handle_, CURLOPT_WRITEDATA, &body_bytes_);
    // Like ours (proxy = nullptr): never a proxy from the environment.
    curl_easy_setopt(handle_, CURLOPT_PROXY, "");
    curl_easy_setopt(handle_, CURLOPT_NOPROXY, "*");
    // Both clients speak HTTP/1.1 on the same nginx (curl would offer h2 over TLS).
    curl_easy_setopt(handle_, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    if (!args.ca_file.empty()) curl_easy_setopt(handle_, CURLOPT_CAINFO, args.ca_file.c_str());
    if (args.mode == "new-conn") curl_easy_setopt(handle_, CURLOPT_FORBID_REUSE, 1L);
  }
  ~CurlClient() { curl_easy_cleanup(handle_); }
  CurlClient(const CurlClient&) = delete;
  CurlClient& operator=(const CurlClient&) = delete;

  std::expected<std::uint64_t, std::string> get() {
    body_bytes_ = 0;
    const CURLcode code = curl_easy_perform(handle_);
    if (code != CURLE_OK) return std::unexpected(std::string(curl_easy_strerror(code)));
    long status = 0;
    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) return std::unexpected("status " + std::to_string(status));
    return body_bytes_;
  }

 private:
  CURL* handle_;
  std::uint64_t body_bytes_ = 0;
};

// 16 transfers always in flight on one multi handle, over one HTTP/2 connection.
class CurlMultiClient {
 public:
  static constexpr int kStreams = 16;

  explicit CurlMultiClient(const bench::ClientArgs& args) : multi_(curl_multi_init()) {
    curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, 1L);
    for (Transfer& transfer : transfers_) {
      CURL* handle = curl_easy_init();
      transfer.handle = handle;
      curl_easy_setopt(handle, CURLOPT_URL, args.url.c_str());
      curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, discard);
      curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer.body_bytes);
      curl_easy_setopt(handle, CURLOPT_PRIVATE, &transfer);
      curl_easy_setopt(handle, CURLOPT_PROXY, "");
      curl_easy_setopt(handle, CURLOPT_NOPROXY, "*");
      curl_easy_setopt(handle, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
      curl_easy_setopt(handle, CURLOPT_PIPEWAIT, 1L);
      if (!args.ca_file.empty()) curl_easy_setopt(handle, CURLOPT_CAINFO, args.ca_file.c_str());
      curl_multi_add_handle(multi_, handle);
    }
  }
  ~CurlMultiClient() {
    for (Transfer& transfer : transfers_) {
      curl_multi_remove_handle(multi_, transfer.handle);
      curl_easy_cleanup(transfer.handle);
    }
    curl_multi_cleanup(multi_);
  }
  CurlMultiClient(const CurlMultiClient&) = delete;
  CurlMultiClient& operator=(const CurlMultiClient&) = delete;

  // Drives the transfers until one completes, restarts it and returns its body size.
  std::expected<std::uint64_t, std::string> get() {
    for (;;) {
      if (!done_.empty()) {
        auto result = std::move(done_.front());
        done_.pop_front();
        return result;
      }
      int running = 0;
      if (curl_multi_perform(multi_, &running) != CURLM_OK) {
        return std::unexpected(std::string("curl_multi_perform failed"));
      }
      collect();
      if (done_.empty() && curl_multi_poll(multi_, nullptr, 0, 1000, nullptr) != CURLM_OK) {
        return std::unexpected(std::string("curl_multi_poll failed"));
      }
    }
  }

 private:
  struct Transfer {
    CURL* handle = nullptr;
    std::uint64_t body_bytes = 0;
  };

  void collect() {
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* handle = message->easy_handle;
      const CURLcode code = message->data.result;
      char* private_data = nullptr;
      curl_easy_getinfo(handle, CURLINFO_PRIVATE, &private_data);
      Transfer* transfer = reinterpret_cast<Transfer*>(private_data);
      long status = 0;
      long version = 0;
      curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
      curl_easy_getinfo(handle, CURLINFO_HTTP_VERSION, &version);
      if (code != CURLE_OK) {
        done_.push_back(std::unexpected(std::string(curl_easy_strerror(code))));
      } else if (status != 200) {
        done_.push_back(std::unexpected("status " + std::to_string(status)));
      } else if (version != CURL_HTTP_VERSION_2_0) {
        done_.push_back(std::unexpected(std::string("not HTTP/2")));
      } else {
        done_.push_back(transfer->body_bytes);
      }
      transfer->body_bytes = 0;
      curl_multi_remove_handle(multi_, handle);
      curl_multi_add_handle(multi_, handle);
    }
  }

  CURLM* multi_;
  std::array<Transfer, kStreams> transfers_{};
  std::deque<std::expected<std::uint64_t, std::string>> done_;
};

}  // namespace

int main(int argc, char** argv) {
  const bench::ClientArgs args =
      bench::parse_client_args(argc, argv, {"keepalive", "new-conn", "h2-16"});
  curl_global_init_mem(CURL_GLOBAL_ALL, counted_malloc, std::free, counted_realloc, counted_strdup,
                       counted_calloc);
  int status = 0;
  if (args.mode == "h2-16") {
    CurlMultiClient client(args);
    status = bench::run_client("libcurl", args, [&client] { return client.get(); });
  } else {
    CurlClient client(args);
    status = bench::run_client("libcurl", args, [&client] { return client.get(); });
  }
  curl_global_cleanup();
  return status;
}
