#pragma once
// Percent-encoding with Go's net/url rules: which bytes each URL component must escape, which
// escapes it accepts, and the checks behind Go's RawPath/RawFragment hints. Internal to Url.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace httptrace::url_detail {

// The URL component a string belongs to; each allows a different set of bytes unescaped.
enum class Component { path, host, zone, user_password, fragment };

// Whether `c` is written as %XX in `component` (Go's shouldEscape; RFC 3986 §2 with Go's
// deliberate deviations, golang.org/issue/5684).
bool should_escape(unsigned char c, Component component) noexcept;

// Go's unescape checks without the decoding: the problem with the escapes of `s` ("invalid URL
// escape \"%zz\"", "invalid character \" \" in host name"), or nullopt when `s` decodes.
std::optional<std::string> check_escapes(std::string_view s, Component component);

// Appends `s` with every %XX decoded; `s` must have passed check_escapes.
void append_unescaped(std::string& out, std::string_view s);

// Appends `s` escaped for `component` (upper-case hex, as Go writes it).
void append_escaped(std::string& out, std::string_view s, Component component);

// The length append_escaped would add.
std::size_t escaped_size(std::string_view s, Component component) noexcept;

// Whether append_escaped(decoded) would produce exactly `encoded`, computed without building it.
bool escapes_to(std::string_view decoded, std::string_view encoded, Component component) noexcept;

// Go's validEncoded: `s` needs no further escaping to be a valid path or fragment.
bool is_valid_encoded(std::string_view s, Component component) noexcept;

// Go's setPath/setFragment followed by EscapedPath/EscapedFragment's choice, done once: stores
// the decoded form of `escaped` (which must have passed check_escapes) in `decoded`, and keeps
// `escaped` in `hint` only when it differs from the default escaping and is a valid one, that
// is, exactly when Go would write it back out.
void store_decoded(std::string_view escaped, Component component, std::string& decoded,
                   std::string& hint);

// `s` in double quotes with quotes, backslashes and bytes outside printable ASCII escaped the
// way Go's %q shows them (\n, \t, \x7f, ...): URL text inside a one-line error message.
std::string quote(std::string_view s);

}  // namespace httptrace::url_detail
