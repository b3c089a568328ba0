#pragma once
// Time bounds for tests: generous upper bounds, multiplied under sanitizers (DESIGN "Build
// configurations": × 5 when HTTPTRACE_SANITIZED is defined).

#include <chrono>

namespace httptrace::testing {

// The test binaries get HTTPTRACE_SANITIZED from httptrace_test(); the support library does
// not, so it also recognises the compilers' own sanitizer macros — otherwise the library and
// the tests would disagree about kSlowdown in the same sanitized binary.
#if defined(HTTPTRACE_SANITIZED) || defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr int kSlowdown = 5;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr int kSlowdown = 5;
#else
inline constexpr int kSlowdown = 1;
#endif
#else
inline constexpr int kSlowdown = 1;
#endif

// `bound` stretched for the current build: scaled(250ms) is 250 ms in release, 1.25 s under
// ASan/TSan.
template <class Rep, class Period>
constexpr std::chrono::duration<Rep, Period> scaled(std::chrono::duration<Rep, Period> bound) {
  return bound * kSlowdown;
}

}  // namespace httptrace::testing
