#include "request_flags.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace httptrace::cli {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (true) {
    auto at = s.find(sep);
    out.push_back(trim(s.substr(0, at)));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

std::chrono::nanoseconds seconds(double s) {
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(s * 1e9)));
}

// curl's --resolve HOST:PORT:ADDR[,ADDR...]; IPv6 addresses with or without brackets.
std::expected<std::pair<std::string, std::vector<IpAddress>>, UsageError> parse_resolve(
    const std::string& spec) {
  auto first = spec.find(':');
  auto second = first == std::string::npos ? std::string::npos : spec.find(':', first + 1);
  if (second == std::string::npos)
    return std::unexpected("--resolve wants HOST:PORT:ADDR, got \"" + spec + "\"");
  std::string host = spec.substr(0, first);
  std::string port = spec.substr(first + 1, second - first - 1);
  if (host.empty() || port.empty() || port.find_first_not_of("0123456789") != std::string::npos) {
    return std::unexpected("--resolve wants HOST:PORT:ADDR, got \"" + spec + "\"");
  }
  std::vector<IpAddress> addrs;
  for (std::string addr : split(std::string_view(spec).substr(second + 1), ',')) {
    if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']')
      addr = addr.substr(1, addr.size() - 2);
    auto ip = IpAddress::parse(addr);
    if (!ip) return std::unexpected("--resolve: \"" + addr + "\" is not an IP address");
    addrs.push_back(*ip);
  }
  std::string key =
      host.find(':') != std::string::npos ? "[" + host + "]:" + port : host + ":" + port;
  return std::pair{key, addrs};
}

}  // namespace

std::expected<Prepared, UsageError> prepare(const RequestFlags& flags) {
  if (flags.ipv4_only && flags.ipv6_only) return std::unexpected("-4 and -6 exclude each other");
  if (flags.max_time_s < 0 || flags.connect_timeout_s < 0)
    return std::unexpected("timeouts must not be negative");

  RequestBody body;
  if (flags.data) {
    const std::string& data = *flags.data;
    if (!data.empty() && data.front() == '@') {
      std::ifstream file(data.substr(1), std::ios::binary);
      if (!file) return std::unexpected("-d: cannot read \"" + data.substr(1) + "\"");
      std::ostringstream contents;
      contents << file.rdbuf();
      body = RequestBody::from_string(contents.str());
    } else {
      body = RequestBody::from_string(data);
    }
  }
  std::string method = flags.method.empty() ? (flags.data ? "POST" : "GET") : flags.method;
  auto request = Request::make(method, flags.url, body);
  if (!request) return std::unexpected(std::string(request.error().what()));
  const Url& url = request->url();
  if (url.scheme() != "http" && url.scheme() != "https") {
    return std::unexpected("unsupported URL scheme \"" + std::string(url.scheme()) + "\" in \"" +
                           url.redacted() + "\" (use http:// or https://)");
  }
  if (url.host().empty()) return std::unexpected("no host in URL \"" + url.redacted() + "\"");
  for (const std::string& line : flags.headers) {
    auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      return std::unexpected("-H wants 'Key: value', got \"" + line + "\"");
    }
    std::string key = trim(std::string_view(line).substr(0, colon));
    std::string value = trim(std::string_view(line).substr(colon + 1));
    if (!valid_header_name(key) || !valid_header_value(value)) {
      return std::unexpected("-H: invalid header \"" + line + "\"");
    }
    if (canonical_key(key) == "Host") {
      request->set_host(value);
    } else {
      request->header().add(key, value);
    }
  }

  if (flags.http1_1 && (flags.http2 || flags.http2_prior_knowledge)) {
    return std::unexpected(
        std::string("--http1.1 contradicts --http2 and --http2-prior-knowledge"));
  }
  TransportOptions options;
  options.disable_keep_alives = flags.disable_keepalive;
  options.force_attempt_http2 = !flags.http1_1;
  options.http2_prior_knowledge = flags.http2_prior_knowledge;
  if (flags.connect_timeout_s > 0) options.dial_timeout = seconds(flags.connect_timeout_s);
  if (flags.ipv4_only) options.ip_family = IpFamily::v4;
  if (flags.ipv6_only) options.ip_family = IpFamily::v6;
  std::string servers = flags.dns_servers;
  if (servers.empty()) {
    if (const char* env = std::getenv("HTTPTRACE_DNS_SERVERS")) servers = env;
  }
  if (!servers.empty()) options.dns_servers = split(servers, ',');
  for (const std::string& spec : flags.resolve) {
    auto parsed = parse_resolve(spec);
    if (!parsed) return std::unexpected(parsed.error());
    options.resolve_overrides[parsed->first] = parsed->second;
  }
  for (const auto& [flag, path] :
       {std::pair{"--cacert", flags.cacert}, {"--cert", flags.cert}, {"--key", flags.key}}) {
    if (!path.empty() && !std::ifstream(path))
      return std::unexpected(std::string(flag) + ": cannot read \"" + path + "\"");
  }
  if (!flags.key.empty() && flags.cert.empty()) return std::unexpected("--key needs --cert");
  options.tls.ca_file = flags.cacert;
  options.tls.insecure_skip_verify = flags.insecure;
  options.tls.cert_file = flags.cert;
  options.tls.key_file = flags.key;
  if (flags.tlsv1_2) options.tls.min_version = 0x0303;
  if (flags.tlsv1_3) options.tls.min_version = 0x0304;
  if (!flags.noproxy.empty() && flags.proxy.empty())
    return std::unexpected("--noproxy needs --proxy");
  if (!flags.proxy.empty()) {
    std::string proxy_text =
        flags.proxy.find("://") == std::string::npos ? "http://" + flags.proxy : flags.proxy;
    auto proxy = Url::parse(proxy_text);
    if (!proxy || (proxy->scheme() != "http" && proxy->scheme() != "https") ||
        proxy->hostname().empty()) {
      return std::unexpected("--proxy wants http://HOST[:PORT] or https://HOST[:PORT], got \"" +
                             (proxy ? proxy->redacted() : std::string("an unparsable URL")) + "\"");
    }
    options.proxy = proxy_url(*proxy, flags.noproxy);
  }
  std::shared_ptr<Transport> transport;
  try {
    transport = std::make_shared<Transport>(std::move(options));
  } catch (const std::invalid_argument& e) {
    return std::unexpected(std::string(e.what()));
  }

  ClientOptions client;
  client.transport = transport;
  if (flags.max_time_s > 0) client.timeout = seconds(flags.max_time_s);
  if (!flags.follow_redirects) {
    client.check_redirect = [](const Request&, std::span<const Request>) -> std::optional<Error> {
      return use_last_response();
    };
  }
  return Prepared{std::move(*request), std::move(transport), std::move(client)};
}

bool may_use_http2(const RequestFlags& flags) {
  if (flags.http1_1) return false;
  if (flags.http2_prior_knowledge) return true;
  auto url = Url::parse(flags.url);
  return url && url->scheme() == "https";
}

}  // namespace httptrace::cli
