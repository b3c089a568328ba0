#include "transport/gunzip_reader.hpp"

namespace httptrace {

Error GunzipReader::truncated() {
  Error error(ErrorCode::body_truncated, "unexpected EOF in gzip-encoded body");
  error.with_op("read body");
  return error;
}

}  // namespace httptrace
