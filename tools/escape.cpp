// Dump line encoding and decoding (layer: tools). See escape.hpp.
#include "escape.hpp"

#include <cctype>

namespace aspen::tools {
namespace {

constexpr char kHex[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_hex_byte(std::string& out, unsigned char c) {
  out += kHex[c >> 4];
  out += kHex[c & 0xf];
}

}  // namespace

void append_dump_line(std::string& out, Bytes bytes, bool printable) {
  out += ' ';
  for (std::byte b : bytes) {
    const auto c = static_cast<unsigned char>(b);
    // isprint in the C locale, which the tools never change: the same bytes mdb_dump prints as themselves.
    if (printable && std::isprint(c)) {
      out += static_cast<char>(c);
    } else {
      if (printable) out += '\\';
      append_hex_byte(out, c);
    }
  }
  out += '\n';
}

const char* decode_dump_line(std::string_view text, bool printable, std::string& out) {
  out.clear();
  if (!printable) {
    if (text.size() % 2) return "odd number of hex digits";
    for (size_t i = 0; i < text.size(); i += 2) {
      int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
      if (hi < 0 || lo < 0) return "not a hex digit";
      out += static_cast<char>(hi << 4 | lo);
    }
    return nullptr;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 >= text.size()) {
      out += text[i];
    } else if (text[i + 1] == '\\') {
      out += '\\';
      ++i;
    } else if (i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) << 4 | hex_value(text[i + 2]));
      i += 2;
    } else {
      out += '\\';  // a raw backslash, as LMDB 0.9.24's mdb_dump writes it
    }
  }
  return nullptr;
}

}  // namespace aspen::tools
