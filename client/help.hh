// Help and version texts of cred.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cli.hh"

namespace credd {

// The overview (no topic) or one command's help; ends with '\n'.
std::string_view help_text(std::optional<cli::CommandKind> topic);

// "cred 0.1.0 (protocol 1)\n"
std::string version_text();

} // namespace credd
