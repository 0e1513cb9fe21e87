// JournalStreamSink: the syslog priorities and line shape journald reads from a stream.
#include <gtest/gtest.h>

#include "journal_stream_sink.hh"

namespace credd {
namespace {

using spdlog::level::level_enum;

TEST(JournalStreamSink, LevelsMapToSyslogPriorities) {
    EXPECT_EQ(journal_priority(level_enum::critical), 2);
    EXPECT_EQ(journal_priority(level_enum::err), 3);
    EXPECT_EQ(journal_priority(level_enum::warn), 4);
    EXPECT_EQ(journal_priority(level_enum::info), 6);
    EXPECT_EQ(journal_priority(level_enum::debug), 7);
    EXPECT_EQ(journal_priority(level_enum::trace), 7);
}

TEST(JournalStreamSink, ALineIsPrefixedAndEndsInOneNewline) {
    EXPECT_EQ(journal_line(level_enum::warn, "accept: out of file descriptors"),
              "<4>accept: out of file descriptors\n");
    EXPECT_EQ(journal_line(level_enum::info, ""), "<6>\n");
}

// journald files a line without a prefix at the unit's default priority: every line of
// a multi-line message keeps the message's priority.
TEST(JournalStreamSink, EveryLineOfAMessageCarriesThePriority) {
    EXPECT_EQ(journal_line(level_enum::err, "store: cannot open\nhint: check it"),
              "<3>store: cannot open\n<3>hint: check it\n");
    EXPECT_EQ(journal_line(level_enum::err, "ends in a newline\n"), "<3>ends in a newline\n");
}

} // namespace
} // namespace credd
