// Credential names: the one rule, shared by the daemon (which enforces it) and the client
// (which checks before asking).
#pragma once

#include <cstddef>
#include <string_view>

namespace credd {

inline constexpr std::size_t max_credential_name_bytes = 128;

// Names are what users type and what logs show: short, printable, nothing a shell
// would need quoted. [A-Za-z0-9][A-Za-z0-9._@+-]{0,127}
bool is_valid_name(std::string_view name);

// Whether `c` may appear in a name (anywhere but first, which must be a letter or digit).
bool is_name_char(char c);

} // namespace credd
