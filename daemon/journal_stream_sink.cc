// JournalStreamSink: priority prefixes, the JOURNAL_STREAM check, writing to stderr.
#include "journal_stream_sink.hh"

#include <charconv>
#include <cstdlib>

#include <sys/stat.h>
#include <unistd.h>

#include "full_write.hh"

namespace credd {

int journal_priority(spdlog::level::level_enum level) {
    switch (level) {
    case spdlog::level::critical:
        return 2; // LOG_CRIT
    case spdlog::level::err:
        return 3; // LOG_ERR
    case spdlog::level::warn:
        return 4; // LOG_WARNING
    case spdlog::level::info:
        return 6; // LOG_INFO
    default:
        return 7; // LOG_DEBUG: debug and trace
    }
}

std::string journal_line(spdlog::level::level_enum level, std::string_view message) {
    const std::string prefix = '<' + std::to_string(journal_priority(level)) + '>';
    std::string line;
    line.reserve(prefix.size() + message.size() + 1);
    // A line of its own for each line of the message: journald would file a bare
    // continuation line at the default priority.
    std::size_t start = 0;
    while (true) {
        const std::size_t end = message.find('\n', start);
        line += prefix;
        line += message.substr(start, end - start);
        line += '\n';
        if (end == std::string_view::npos || end + 1 == message.size()) {
            break;
        }
        start = end + 1;
    }
    return line;
}

bool stderr_is_journal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr) {
        return false;
    }
    const std::string_view text(stream);
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
        return false;
    }
    unsigned long long dev = 0;
    unsigned long long ino = 0;
    const auto d = std::from_chars(text.data(), text.data() + colon, dev);
    const auto i = std::from_chars(text.data() + colon + 1, text.data() + text.size(), ino);
    if (d.ec != std::errc{} || d.ptr != text.data() + colon || i.ec != std::errc{} ||
        i.ptr != text.data() + text.size()) {
        return false;
    }
    struct stat st {};
    return ::fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

void JournalStreamSink::sink_it_(const spdlog::details::log_msg& msg) {
    const std::string line =
        journal_line(msg.level, std::string_view(msg.payload.data(), msg.payload.size()));
    // Logging must never stop the daemon: a journal that went away loses the line.
    [[maybe_unused]] auto written = write_all(STDERR_FILENO, line);
}

} // namespace credd
