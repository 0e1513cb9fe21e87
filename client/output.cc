// Writing to stdout and stderr.
#include "output.hh"

#include <cerrno>
#include <cstring>
#include <string>

#include <unistd.h>

#include "full_write.hh"
#include "terminal_text.hh"

namespace credd {

Result<void> print_stdout(std::string_view text) {
    auto written = write_all(STDOUT_FILENO, text);
    if (!written) {
        return make_error(Errc::io_error, "stdout: " + written.error().message);
    }
    return {};
}

void report_error(const Error& error) {
    std::string text = "cred: ";
    text += printable(error.message.empty() ? code_name(error.code) : error.message);
    text += '\n';
    if (!error.hint.empty()) {
        text += "hint: " + printable(error.hint) + '\n';
    }
    // Nothing sensible is left to do if stderr itself cannot be written.
    (void)write_all(STDERR_FILENO, text);
}

} // namespace credd
