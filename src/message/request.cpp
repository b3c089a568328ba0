#include "httptrace/request.hpp"

#include <atomic>
#include <memory>
#include <utility>

#include "message/ascii.hpp"

namespace httptrace {
namespace {

struct FieldValues {
  std::string method;
  Url url;
  Header header;
  RequestBody body;
  std::string host;
  bool close = false;
};

}  // namespace

struct Request::Fields : FieldValues {
  Fields() = default;
  explicit Fields(const FieldValues& values) : FieldValues(values) {}
  // How many requests share these fields. Our own count rather than a shared_ptr's: its
  // use_count() is a relaxed read, so a copy's last reads on another thread would not be
  // ordered before an in-place change that trusted it.
  std::atomic<long> owners{1};
};

[[gnu::hot]] Request::Request(Fields* fields, Context context) noexcept
    : fields_(fields), context_(std::move(context)) {}

[[gnu::hot]] Request::Request(const Request& other) : fields_(share(other.fields_)), context_(other.context_) {}

[[gnu::hot]] Request::Request(Request&& other) noexcept
    : fields_(std::exchange(other.fields_, nullptr)), context_(std::move(other.context_)) {}

Request& Request::operator=(const Request& other) {
  if (this != &other) {
    Fields* old = std::exchange(fields_, share(other.fields_));
    release(old);
    context_ = other.context_;
  }
  return *this;
}

Request& Request::operator=(Request&& other) noexcept {
  if (this != &other) {
    release(std::exchange(fields_, std::exchange(other.fields_, nullptr)));
    context_ = std::move(other.context_);
  }
  return *this;
}

[[gnu::hot]] Request::~Request() { release(fields_); }

[[gnu::hot]] Request::Fields* Request::share(Fields* fields) noexcept {
  // A new owner comes from an existing one, which keeps the fields alive meanwhile.
  if (fields) fields->owners.fetch_add(1, std::memory_order_relaxed);
  return fields;
}

[[gnu::hot]] void Request::release(Fields* fields) noexcept {
  // Release: this owner's reads come before whatever the next sole owner does with the fields.
  if (fields && fields->owners.fetch_sub(1, std::memory_order_acq_rel) == 1) delete fields;
}

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
  auto fields = std::make_unique<Fields>();
  fields->method = method;
  fields->url = std::move(url);
  fields->body = std::move(body);
  return Request(fields.release(), Context());
}

[[gnu::hot]] Request Request::with_context(Context ctx) const { return Request(share(fields_), std::move(ctx)); }

Request::Fields& Request::mutable_fields() {
  // Copy-on-write: a copy (with_context, a Response's request) keeps seeing the old fields.
  // Acquire: when the other owners are gone, their last reads happened before our change.
  if (fields_->owners.load(std::memory_order_acquire) != 1) {
    auto own = std::make_unique<Fields>(static_cast<const FieldValues&>(*fields_));
    release(std::exchange(fields_, own.release()));
  }
  return *fields_;
}

[[gnu::hot]] Header& Request::header() { return mutable_fields().header; }
[[gnu::hot]] const Header& Request::header() const noexcept { return fields_->header; }
const Url& Request::url() const noexcept { return fields_->url; }
std::string_view Request::method() const noexcept { return fields_->method; }
[[gnu::hot]] const RequestBody& Request::body() const noexcept { return fields_->body; }
void Request::set_body(RequestBody body) { mutable_fields().body = std::move(body); }
void Request::set_host(std::string_view host) { mutable_fields().host = host; }
std::string_view Request::host() const noexcept { return fields_->host; }
void Request::set_close(bool close) { mutable_fields().close = close; }
bool Request::close() const noexcept { return fields_->close; }

}  // namespace httptrace
