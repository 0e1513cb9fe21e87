// JournalStreamSink: log lines for a stderr that systemd connected to the journal.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include <spdlog/sinks/base_sink.h>

namespace credd {

// The syslog priority (sd-daemon(3): 2 crit … 7 debug) journald files a line under.
int journal_priority(spdlog::level::level_enum level);
// One message as journald reads it from a stream: each line of `message` prefixed with
// "<priority>", newline-terminated. No timestamp: the journal stamps every line itself.
std::string journal_line(spdlog::level::level_enum level, std::string_view message);

// Whether stderr is the stream systemd set up for the journal: JOURNAL_STREAM holds
// "device:inode" of it, and only when stderr still is that file (not redirected by a
// wrapper or a shell) may the priority prefixes be used.
bool stderr_is_journal();

// An spdlog sink writing journal_line()s to stderr. Owned by the logger set up in main.
class JournalStreamSink final : public spdlog::sinks::base_sink<std::mutex> {
protected:
    void sink_it_(const spdlog::details::log_msg& msg) override;
    void flush_() override {}
};

} // namespace credd
