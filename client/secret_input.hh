// Secret input for `cred add`: piped stdin, or a no-echo prompt on the terminal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "error.hh"
#include "secret.hh"

namespace credd {

// Far beyond any token or JWT, and small enough that the request carrying it stays
// under the protocol's 64 KiB line limit after JSON escaping of ordinary tokens.
inline constexpr std::size_t max_secret_bytes = 32 * 1024;

// Reads the token for credential `name`: all of stdin when stdin is not a terminal,
// else a prompt ("token for NAME: ") on /dev/tty with echo off. One trailing "\n" or
// "\r\n" is dropped. An empty token is a usage error; every buffer is wiped.
Result<Secret> read_secret(std::string_view name);

// Removes one trailing "\n" or "\r\n" — what `echo` or a terminal's Enter adds —
// but no more, so a token that really ends in whitespace survives.
void strip_one_newline(std::string& bytes);

} // namespace credd
