// The value encodings of the mdb_dump text format, version 3 (layer: tools).
//
// Every key and value is one line starting with a space. "bytevalue" lines hold two lowercase hex digits per
// byte. "print" lines (mdb_dump -p) hold printable ASCII bytes as themselves and every other byte as a
// backslash and two hex digits. Like LMDB 0.9.24, a backslash is printable and is written as itself, so a
// dump of a value containing "\41" cannot be told from one containing "A": decoding takes "\\" as one
// backslash, "\hh" as a byte, and (unlike mdb_load, which rejects it) any other backslash literally, so
// that such dumps still load. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "aspen/aspen.hpp"

namespace aspen::tools {

// Appends the dump line for `bytes` (leading space and newline included).
void append_dump_line(std::string& out, Bytes bytes, bool printable);

// Decodes the text of one dump line (after its leading space, without the newline) into `out`. Returns
// null on success, else why the line is malformed.
const char* decode_dump_line(std::string_view text, bool printable, std::string& out);

}  // namespace aspen::tools
