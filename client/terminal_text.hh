// Text bound for a terminal: neutralising control bytes and measuring display width.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace credd {

// Replaces C0/C1 control characters and DEL with '?'. Labels, error messages and
// URLs come from the daemon and, before it, from whoever added a credential: an
// escape sequence in them must not be able to rewrite the user's terminal.
std::string printable(std::string_view text);

// Columns `text` takes on a terminal, counted as code points (no wide-glyph tables:
// tables are aligned for the names, URLs and times credd deals in).
std::size_t display_width(std::string_view text);

} // namespace credd
