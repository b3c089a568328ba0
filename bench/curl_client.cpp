// The peer a C++ user would pick instead (spec/performance.md "The common setup"): libcurl's
// easy interface, one handle reused so its connection cache keeps the connection alive, the
// body discarded by a write callback. Modes: keepalive, and new-conn (CURLOPT_FORBID_REUSE: a
// fresh connection, and for https a fresh handshake — resumed from curl's session cache, as
// ours resumes from its own — per request).

#include <curl/curl.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
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

}  // namespace

int main(int argc, char** argv) {
  const bench::ClientArgs args = bench::parse_client_args(argc, argv, {"keepalive", "new-conn"});
  curl_global_init_mem(CURL_GLOBAL_ALL, counted_malloc, std::free, counted_realloc, counted_strdup,
                       counted_calloc);
  int status = 0;
  {
    CurlClient client(args);
    status = bench::run_client("libcurl", args, [&client] { return client.get(); });
  }
  curl_global_cleanup();
  return status;
}
