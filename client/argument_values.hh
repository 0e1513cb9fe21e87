// Values on cred's command line: names, URLs, labels, durations, and what is refused.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cli.hh"
#include "credential_name.hh"
#include "error.hh"

namespace credd::cli {

// A usage error (Errc::invalid_params, exit code 2) with a hint to the help.
Error usage_error(std::string message, std::string hint = "run: cred --help");
// The same, prefixed with the command and pointing at its --help.
Error command_usage_error(CommandKind kind, std::string message);

// Whether an argument tries to hand over a secret (--token, --secret, --password,
// with or without "=value"). Such a command line is refused before anything else.
bool is_secret_option(std::string_view arg);

// "K=V": a non-empty key, the value after the first '='.
Result<Label> parse_label(std::string_view text);

// Non-negative seconds, plain ("300") or with a unit ("5m", "2h", "1d").
Result<std::int64_t> parse_seconds(std::string_view text);

using credd::is_valid_name; // the credential-name rule of credd-protocol(7)

// The text itself when valid, else a usage error. A URL carrying a password is
// refused without being quoted back.
Result<std::string> checked_url(std::string_view text);
Result<std::string> checked_name(std::string_view text);
Result<std::string> checked_username(std::string_view text);

} // namespace credd::cli
