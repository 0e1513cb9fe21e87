// Output: what cred writes to stdout and stderr, with write(2) and no stdio buffering.
#pragma once

#include <string_view>

#include "error.hh"
#include "full_write.hh"

namespace credd {

// Data for the caller (a token, a table, JSON). A failure here (a closed pipe, a full
// disk) is reported, since a script must not take a truncated token for a good one.
Result<void> print_stdout(std::string_view text);

// `cred: <message>` and, when there is one, `hint: <hint>` on stderr. Both lines are
// made printable: messages may quote what the daemon or a user supplied.
void report_error(const Error& error);

} // namespace credd
