#include "http2/request_fields.hpp"

#include <charconv>

#include "message/ascii.hpp"

namespace httptrace::http2 {
namespace {

std::string_view trim(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

// Fields that are meaningful for one connection only, forbidden in HTTP/2 (RFC 9113 §8.2.2),
// and the ones the library writes itself.
bool skipped(std::string_view key) {
  return ascii::iequals(key, "Host") || ascii::iequals(key, "Content-Length") ||
         ascii::iequals(key, "Connection") || ascii::iequals(key, "Proxy-Connection") ||
         ascii::iequals(key, "Transfer-Encoding") || ascii::iequals(key, "Upgrade") ||
         ascii::iequals(key, "Keep-Alive");
}

}  // namespace

std::string_view RequestFields::name(std::size_t i) const noexcept {
  return {bytes_.data() + entries_[i].name_offset, entries_[i].name_size};
}

std::string_view RequestFields::value(std::size_t i) const noexcept {
  return {bytes_.data() + entries_[i].value_offset, entries_[i].value_size};
}

void RequestFields::add(std::string_view name, std::string_view value,
                        const FieldObserver* observer) {
  Entry entry{bytes_.size(), name.size(), bytes_.size() + name.size(), value.size()};
  bytes_.append(name);
  bytes_.append(value);
  entries_.push_back(entry);
  if (observer != nullptr && *observer)
    (*observer)(name, std::vector<std::string>{std::string(value)});
}

void RequestFields::add_lower(std::string_view name, std::string_view value,
                              const FieldObserver* observer) {
  Entry entry{bytes_.size(), name.size(), bytes_.size() + name.size(), value.size()};
  for (char c : name) bytes_.push_back(ascii::to_lower(c));
  bytes_.append(value);
  entries_.push_back(entry);
  if (observer != nullptr && *observer) {
    (*observer)(this->name(entries_.size() - 1), std::vector<std::string>{std::string(value)});
  }
}

std::span<const nghttp2_nv> RequestFields::nva() {
  nva_.clear();
  nva_.reserve(entries_.size());
  for (const Entry& entry : entries_) {
    nghttp2_nv nv{};
    nv.name = reinterpret_cast<uint8_t*>(bytes_.data() + entry.name_offset);
    nv.namelen = entry.name_size;
    nv.value = reinterpret_cast<uint8_t*>(bytes_.data() + entry.value_offset);
    nv.valuelen = entry.value_size;
    nv.flags = NGHTTP2_NV_FLAG_NONE;
    nva_.push_back(nv);
  }
  return nva_;
}

RequestFields RequestFields::build(const RequestHead& head, const FieldObserver* observer) {
  RequestFields fields;
  std::size_t estimate = 64 + head.authority.size() + head.path.size();
  std::size_t count = 6;
  if (head.header != nullptr) {
    for (std::size_t i = 0; i < head.header->size(); ++i) {
      const Header::Field field = head.header->field(i);
      estimate += field.key.size() + field.value.size();
      ++count;
    }
  }
  fields.bytes_.reserve(estimate);
  fields.entries_.reserve(count);

  fields.add(":authority", head.authority, observer);
  fields.add(":method", head.method, observer);
  if (head.method != "CONNECT") {
    fields.add(":path", head.path, observer);
    fields.add(":scheme", head.scheme, observer);
  }

  bool caller_user_agent = false;
  if (head.header != nullptr) {
    for (const auto& [key, values] : *head.header) {
      if (skipped(key) || !ascii::is_token(key)) continue;
      if (ascii::iequals(key, "User-Agent")) {
        // At most one, and an empty one means none (Go's http1 rule, kept for HTTP/2).
        caller_user_agent = true;
        std::string_view agent = trim(values.front());
        if (!agent.empty()) fields.add_lower(key, agent, observer);
        continue;
      }
      if (ascii::iequals(key, "TE")) {
        for (std::string_view value : values) {
          if (ascii::iequals(trim(value), "trailers")) fields.add_lower(key, "trailers", observer);
        }
        continue;
      }
      if (ascii::iequals(key, "Cookie")) {
        for (std::string_view value : values) {
          for (;;) {
            const std::size_t semicolon = value.find(';');
            std::string_view pair = trim(value.substr(0, semicolon));
            if (!pair.empty()) fields.add_lower(key, pair, observer);
            if (semicolon == std::string_view::npos) break;
            value.remove_prefix(semicolon + 1);
          }
        }
        continue;
      }
      for (std::string_view value : values) fields.add_lower(key, trim(value), observer);
    }
  }

  if (head.content_length) {
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, *head.content_length).ptr;
    fields.add("content-length", std::string_view(digits, static_cast<std::size_t>(end - digits)),
               observer);
  }
  if (head.accept_encoding_gzip) fields.add("accept-encoding", "gzip", observer);
  if (!caller_user_agent && !head.default_user_agent.empty()) {
    fields.add("user-agent", head.default_user_agent, observer);
  }
  return fields;
}

}  // namespace httptrace::http2
