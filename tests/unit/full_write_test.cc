// write_all: whole buffers through short writes, and failures as io_error.
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include "full_write.hh"
#include "unique_fd.hh"

namespace credd {
namespace {

TEST(FullWrite, DeliversABufferLargerThanThePipeWholeAndInOrder) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    UniqueFd read_end(fds[0]);
    UniqueFd write_end(fds[1]);
    std::string data(1 << 20, '\0'); // far more than a 64 KiB pipe: many short writes
    for (std::size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<char>(i * 31 % 251);
    }
    std::string received;
    std::thread reader([&] {
        char buf[4096];
        ssize_t n;
        while ((n = ::read(read_end.get(), buf, sizeof buf)) > 0) {
            received.append(buf, static_cast<std::size_t>(n));
        }
    });
    const auto written = write_all(write_end.get(), data);
    write_end.reset();
    reader.join();
    EXPECT_TRUE(written.has_value());
    EXPECT_TRUE(received == data);
}

TEST(FullWrite, ABadDescriptorIsAnIoError) {
    const auto written = write_all(-1, "x");
    ASSERT_FALSE(written.has_value());
    EXPECT_EQ(written.error().code, Errc::io_error);
}

TEST(FullWrite, NothingToWriteSucceedsWithoutTouchingTheDescriptor) {
    EXPECT_TRUE(write_all(-1, "").has_value());
}

} // namespace
} // namespace credd
