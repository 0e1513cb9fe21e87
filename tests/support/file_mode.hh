// mode_of: a path's permission bits, for tests that check what credd created or refused.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include <sys/stat.h>

namespace credd::test {

// The permission bits of `path` itself (lstat: a symlink is not followed); a path
// that cannot be read fails the calling test.
inline mode_t mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

} // namespace credd::test
