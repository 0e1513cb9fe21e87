// UTF-8 validation for protocol lines (RFC 3629: no overlongs, no surrogates, max U+10FFFF).
#pragma once

#include <string_view>

namespace credd {

bool is_valid_utf8(std::string_view bytes) noexcept;

} // namespace credd
