// UTF-8 for protocol lines: validation (RFC 3629: no overlongs, no surrogates, max
// U+10FFFF) and cutting text without splitting a character.
#pragma once

#include <cstddef>
#include <string_view>

namespace credd {

bool is_valid_utf8(std::string_view bytes) noexcept;

// The longest prefix of `text` of at most `max_bytes` that does not end inside a
// multi-byte sequence: quoting a cut-off valid string in a message keeps it valid.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) noexcept;

} // namespace credd
