#include "support/dns_message.hpp"

#include <array>
#include <cctype>

namespace httptrace::testing {
namespace {

void put16(std::string& out, uint16_t value) {
  out += static_cast<char>(value >> 8);
  out += static_cast<char>(value & 0xff);
}

void put32(std::string& out, uint32_t value) {
  put16(out, static_cast<uint16_t>(value >> 16));
  put16(out, static_cast<uint16_t>(value & 0xffff));
}

uint16_t get16(std::string_view in, std::size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(in[at]) << 8) |
                               static_cast<uint8_t>(in[at + 1]));
}

void put_name(std::string& out, std::string_view name) {
  while (!name.empty()) {
    const auto dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    out += static_cast<char>(label.size());
    out += label;
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  out += '\0';
}

// Reads an uncompressed name at `at` (a question never uses compression); advances `at`.
std::optional<std::string> get_name(std::string_view in, std::size_t& at) {
  std::string name;
  for (;;) {
    if (at >= in.size()) return std::nullopt;
    const auto length = static_cast<uint8_t>(in[at++]);
    if (length == 0) return name;
    if (length > 63 || at + length > in.size()) return std::nullopt;
    if (!name.empty()) name += '.';
    for (std::size_t i = 0; i < length; ++i) {
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(in[at + i])));
    }
    at += length;
  }
}

// Skips a possibly compressed name in a response.
bool skip_name(std::string_view in, std::size_t& at) {
  for (;;) {
    if (at >= in.size()) return false;
    const auto length = static_cast<uint8_t>(in[at]);
    if ((length & 0xc0) == 0xc0) {
      at += 2;
      return at <= in.size();
    }
    ++at;
    if (length == 0) return true;
    at += length;
  }
}

}  // namespace

std::string encode_query(uint16_t id, std::string_view name, uint16_t type) {
  std::string out;
  put16(out, id);
  put16(out, 0x0100);  // RD
  put16(out, 1);
  put16(out, 0);
  put16(out, 0);
  put16(out, 0);
  put_name(out, name);
  put16(out, type);
  put16(out, 1);
  return out;
}

std::optional<DnsQuestion> parse_query(std::string_view packet) {
  if (packet.size() < 12) return std::nullopt;
  const uint16_t flags = get16(packet, 2);
  if ((flags & 0x8000) != 0 || get16(packet, 4) != 1) return std::nullopt;
  DnsQuestion question;
  question.id = get16(packet, 0);
  question.recursion_desired = (flags & 0x0100) != 0;
  std::size_t at = 12;
  auto name = get_name(packet, at);
  if (!name || at + 4 > packet.size()) return std::nullopt;
  question.name = std::move(*name);
  question.type = get16(packet, at);
  question.klass = get16(packet, at + 2);
  return question;
}

std::string encode_response(const DnsQuestion& question, Rcode rcode,
                            const std::vector<IpAddress>& addresses) {
  std::vector<const IpAddress*> records;
  if (rcode == Rcode::no_error) {
    for (const IpAddress& ip : addresses) {
      if ((question.type == kTypeA && ip.is_v4()) || (question.type == kTypeAAAA && ip.is_v6())) {
        records.push_back(&ip);
      }
    }
  }
  std::string out;
  put16(out, question.id);
  // QR, AA, RD as asked, RA, and the code.
  put16(out, static_cast<uint16_t>(0x8400 | (question.recursion_desired ? 0x0100 : 0) | 0x0080 |
                                   static_cast<uint16_t>(rcode)));
  put16(out, 1);
  put16(out, static_cast<uint16_t>(records.size()));
  put16(out, 0);
  put16(out, 0);
  put_name(out, question.name);
  put16(out, question.type);
  put16(out, question.klass);
  for (const IpAddress* ip : records) {
    put16(out, 0xc00c);  // the question's name
    put16(out, question.type);
    put16(out, 1);
    put32(out, 60);
    const auto bytes = ip->bytes();
    put16(out, static_cast<uint16_t>(bytes.size()));
    out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  return out;
}

std::optional<DnsAnswer> parse_response(std::string_view packet) {
  if (packet.size() < 12) return std::nullopt;
  DnsAnswer answer;
  answer.id = get16(packet, 0);
  answer.rcode = static_cast<Rcode>(get16(packet, 2) & 0x000f);
  const uint16_t questions = get16(packet, 4);
  const uint16_t records = get16(packet, 6);
  std::size_t at = 12;
  for (uint16_t i = 0; i < questions; ++i) {
    if (!skip_name(packet, at) || at + 4 > packet.size()) return std::nullopt;
    at += 4;
  }
  for (uint16_t i = 0; i < records; ++i) {
    if (!skip_name(packet, at) || at + 10 > packet.size()) return std::nullopt;
    const uint16_t type = get16(packet, at);
    const uint16_t length = get16(packet, at + 8);
    at += 10;
    if (at + length > packet.size()) return std::nullopt;
    if (type == kTypeA && length == 4) {
      std::array<uint8_t, 4> bytes;
      for (std::size_t b = 0; b < 4; ++b) bytes[b] = static_cast<uint8_t>(packet[at + b]);
      answer.addresses.push_back(IpAddress::v4(bytes));
    } else if (type == kTypeAAAA && length == 16) {
      std::array<uint8_t, 16> bytes;
      for (std::size_t b = 0; b < 16; ++b) bytes[b] = static_cast<uint8_t>(packet[at + b]);
      answer.addresses.push_back(IpAddress::v6(bytes));
    }
    at += length;
  }
  return answer;
}

}  // namespace httptrace::testing
