#include "httptrace/request.hpp"

#include "message/ascii.hpp"

namespace httptrace {

struct Request::Fields {
  std::string method;
  Url url;
  Header header;
  RequestBody body;
  std::string host;
  bool close = false;
};

Request::Request(std::shared_ptr<Fields> fields, Context context) noexcept
    : fields_(std::move(fields)), context_(std::move(context)) {}

Result<Request> Request::make(std::string_view method, std::string_view url, RequestBody body) {
  auto parsed = Url::parse(url);
  if (!parsed) return fail(std::move(parsed.error()));
  return make(method, std::move(*parsed), std::move(body));
}

Result<Request> Request::make(std::string_view method, Url url, RequestBody body) {
  // Go's validMethod: a token (bad-inputs J57: "GE T" is refused before anything happens).
  if (!ascii::is_token(method)) {
    return fail(ErrorCode::invalid_request, "net/http: invalid method \"" + ascii::printable(method) + "\"");
  }
  auto fields = std::make_shared<Fields>();
  fields->method = method;
  fields->url = std::move(url);
  fields->body = std::move(body);
  return Request(std::move(fields), Context());
}

Request Request::with_context(Context ctx) const { return Request(fields_, std::move(ctx)); }

Request::Fields& Request::mutable_fields() {
  // Copy-on-write: a copy (with_context, a Response's request) keeps seeing the old fields.
  if (fields_.use_count() > 1) fields_ = std::make_shared<Fields>(*fields_);
  return *fields_;
}

Header& Request::header() { return mutable_fields().header; }
const Header& Request::header() const noexcept { return fields_->header; }
const Url& Request::url() const noexcept { return fields_->url; }
std::string_view Request::method() const noexcept { return fields_->method; }
const RequestBody& Request::body() const noexcept { return fields_->body; }
void Request::set_body(RequestBody body) { mutable_fields().body = std::move(body); }
void Request::set_host(std::string_view host) { mutable_fields().host = host; }
std::string_view Request::host() const noexcept { return fields_->host; }
void Request::set_close(bool close) { mutable_fields().close = close; }
bool Request::close() const noexcept { return fields_->close; }

}  // namespace httptrace
