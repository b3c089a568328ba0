#pragma once
// The leaf certificate's summary for TlsFacts, parsed from its DER with OpenSSL when a view
// asks (never while recording).

#include <optional>
#include <string_view>

#include "httptrace/timeline.hpp"

namespace httptrace::detail {

// nullopt when `der` is not a certificate OpenSSL can parse.
std::optional<CertificateSummary> summarize_certificate(std::string_view der);

}  // namespace httptrace::detail
