// Header validation, canonicalisation and the Header container, against a plain model.
// Properties: canonical_key is idempotent, keeps the length and changes only letter case of
// tokens (other keys stay as they are); valid_header_name / valid_header_value follow their
// definitions; validate() agrees with them field by field; add/set/del/get/values/keys and
// iteration behave like a vector of (key, value) pairs matched case-insensitively.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_check.hpp"
#include "httptrace/header.hpp"

namespace {

using httptrace::Header;
using httptrace::fuzz::check;

bool ieq(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
           return lower(x) == lower(y);
         });
}

bool token_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  return std::string_view("\"(),/:;<=>?@[\\]{}").find(c) == std::string_view::npos;
}

void check_key_rules(const std::string& key) {
  const std::string canonical = httptrace::canonical_key(key);
  const bool token = !key.empty() && std::all_of(key.begin(), key.end(), token_char);
  check(httptrace::valid_header_name(key) == token,
        "valid_header_name disagrees with the token rule", key);
  check(httptrace::canonical_key(canonical) == canonical, "canonical_key is not idempotent", key);
  check(canonical.size() == key.size(), "canonical_key changed the length", key);
  if (token) {
    check(ieq(canonical, key), "canonical_key changed more than case", key);
    check(httptrace::valid_header_name(canonical), "canonical form of a token is not a token", key);
  } else {
    check(canonical == key, "canonical_key changed a non-token key", key);
  }
}

void check_value_rules(const std::string& value) {
  const bool ok = std::none_of(value.begin(), value.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
  check(httptrace::valid_header_value(value) == ok,
        "valid_header_value disagrees with its definition", value);
}

using Model = std::vector<std::pair<std::string, std::string>>;

void check_same(const Header& header, const Model& model, const std::vector<std::string>& probes) {
  check(header.size() == model.size(), "size");
  check(header.empty() == model.empty(), "empty");
  auto fields = header.fields();
  for (std::size_t i = 0; i < model.size(); ++i) {
    check(fields[i].key == model[i].first && fields[i].value == model[i].second,
          "fields() order or content");
    check(header.field(i).key == model[i].first, "field(i)");
  }
  for (const std::string& probe : probes) {
    std::vector<std::string_view> expected;
    for (const auto& [k, v] : model) {
      if (ieq(k, probe)) expected.emplace_back(v);
    }
    auto values = header.values(probe);
    check(values == expected, "values()", probe);
    check(header.has(probe) == !expected.empty(), "has()", probe);
    auto first = header.get(probe);
    check(first.has_value() == !expected.empty() && (!first || *first == expected.front()), "get()",
          probe);
  }
  // Iteration: keys in order of first appearance, each with all its values.
  std::vector<std::string> seen;
  for (const auto& [key, values] : header) {
    for (const std::string& s : seen) check(!ieq(s, key), "a key iterated twice");
    seen.emplace_back(key);
    std::vector<std::string> expected;
    for (const auto& [k, v] : model) {
      if (ieq(k, key)) expected.push_back(v);
    }
    check(values.to_strings() == expected, "iteration values", key);
    check(values.size() == expected.size(), "Values::size");
  }
  check(header.keys().size() == seen.size(), "keys()");
  bool all_valid = std::all_of(model.begin(), model.end(), [](const auto& f) {
    return httptrace::valid_header_name(f.first) && httptrace::valid_header_value(f.second);
  });
  check(header.validate().has_value() == all_valid, "validate() disagrees with the field rules");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  Header header;
  Model model;
  std::vector<std::string> probes;
  while (fdp.remaining_bytes() > 0) {
    const int op = fdp.ConsumeIntegralInRange(0, 5);
    std::string key = fdp.ConsumeRandomLengthString(24);
    std::string value = fdp.ConsumeRandomLengthString(24);
    check_key_rules(key);
    check_value_rules(value);
    probes.push_back(key);
    switch (op) {
      case 0:
      case 1:
        header.add(key, value);
        model.emplace_back(httptrace::canonical_key(key), value);
        break;
      case 2: {
        header.set(key, value);
        std::erase_if(model, [&](const auto& f) { return ieq(f.first, key); });
        model.emplace_back(httptrace::canonical_key(key), value);
        break;
      }
      case 3:
        header.del(key);
        std::erase_if(model, [&](const auto& f) { return ieq(f.first, key); });
        break;
      case 4:
        header.add_raw(key, value);
        model.emplace_back(key, value);
        break;
      case 5: {
        // Set from a view into the header itself (aliasing).
        if (!model.empty()) {
          Header::Field field = header.field(model.size() / 2);
          std::string k(field.key), v(field.value);
          header.set(field.key, field.value);
          std::erase_if(model, [&](const auto& f) { return ieq(f.first, k); });
          model.emplace_back(httptrace::canonical_key(k), v);
        }
        break;
      }
    }
    if (probes.size() > 8) probes.erase(probes.begin());
    check_same(header, model, probes);
  }
  Header copy = header;
  check(copy == header, "copy differs");
  header.clear();
  check(header.empty() && header.begin() == header.end(), "clear");
  return 0;
}
