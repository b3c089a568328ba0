#pragma once
// Growing a std::string by bytes written straight into it, without the zero-fill of resize()
// first: the header, status and request-field writers on every request's path use it.

#include <cstddef>
#include <string>

namespace httptrace {

// Appends `count` bytes to `out`, which `write(char* first)` fills. Views into `out` are still
// valid inside `write` only when `count` fits its spare capacity.
template <class Write>
void append_in_place(std::string& out, std::size_t count, Write&& write) {
  const std::size_t old_size = out.size();
  const std::size_t size = old_size + count;
  // The operation returns `size`, not its second argument: when the string grows, libstdc++ 12
  // passes its new capacity there instead of the size asked for.
  out.resize_and_overwrite(size, [&](char* bytes, std::size_t) {
    write(bytes + old_size);
    return size;
  });
}

}  // namespace httptrace
