// Times as users write them (RFC 3339, unix seconds, "+30d") and as credd prints them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "error.hh"

namespace credd {

// Unix milliseconds: the one time unit of the store and the protocol.
using UnixMs = std::int64_t;

UnixMs now_ms();

// Accepts "2026-12-31T00:00:00Z" (RFC 3339, any offset, optional fraction),
// "1798675200" (unix seconds) or a relative "+30d" / "+12h" / "+15m" / "+45s".
Result<UnixMs> parse_when(std::string_view text, UnixMs now);

// "2026-12-31T00:00:00Z" (UTC, whole seconds).
std::string format_rfc3339(UnixMs t);

// "3d 4h", "12m", "40s": a short, human duration for tables and messages.
std::string format_duration(std::int64_t ms);

} // namespace credd
