// Tests for ensure_private_dir and check_private_file: what is created, what is refused.
#include <string>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_mode.hh"
#include "private_dir.hh"
#include "temp_dir.hh"

namespace credd {
namespace {

using test::mode_of;

void make_dir(const std::string& path, mode_t mode) {
    ASSERT_EQ(::mkdir(path.c_str(), mode), 0) << path;
    ASSERT_EQ(::chmod(path.c_str(), mode), 0) << path;
}

void make_file(const std::string& path, mode_t mode) {
    const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
    ASSERT_GE(fd, 0) << path;
    ::close(fd);
    ASSERT_EQ(::chmod(path.c_str(), mode), 0) << path;
}

TEST(PrivateDir, CreatesMissingDirectoryWithMode0700) {
    test::TempDir tmp;
    const std::string dir = tmp.file("credd");
    ASSERT_TRUE(ensure_private_dir(dir));
    EXPECT_EQ(mode_of(dir), 0700u);
}

TEST(PrivateDir, CreatesMissingParentsWithMode0700) {
    test::TempDir tmp;
    const std::string dir = tmp.file("a/b/credd");
    ASSERT_TRUE(ensure_private_dir(dir));
    EXPECT_EQ(mode_of(tmp.file("a")), 0700u);
    EXPECT_EQ(mode_of(tmp.file("a/b")), 0700u);
    EXPECT_EQ(mode_of(dir), 0700u);
}

TEST(PrivateDir, CreatesWithMode0700UnderAPermissiveUmask) {
    test::TempDir tmp;
    const mode_t old = ::umask(0);
    const auto r = ensure_private_dir(tmp.file("credd"));
    ::umask(old);
    ASSERT_TRUE(r);
    EXPECT_EQ(mode_of(tmp.file("credd")), 0700u);
}

TEST(PrivateDir, AcceptsExistingPrivateDirectory) {
    test::TempDir tmp;
    make_dir(tmp.file("credd"), 0700);
    EXPECT_TRUE(ensure_private_dir(tmp.file("credd")));
}

TEST(PrivateDir, RefusesDirectoryOthersCanEnter) {
    test::TempDir tmp;
    make_dir(tmp.file("credd"), 0755);
    const auto r = ensure_private_dir(tmp.file("credd"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::unsafe_path);
    EXPECT_FALSE(r.error().hint.empty());
}

TEST(PrivateDir, NeverChmodsARefusedDirectory) {
    test::TempDir tmp;
    make_dir(tmp.file("credd"), 0750);
    ASSERT_FALSE(ensure_private_dir(tmp.file("credd")));
    EXPECT_EQ(mode_of(tmp.file("credd")), 0750u);
}

TEST(PrivateDir, RefusesSymlinkToPrivateDirectory) {
    test::TempDir tmp;
    make_dir(tmp.file("real"), 0700);
    ASSERT_EQ(::symlink(tmp.file("real").c_str(), tmp.file("credd").c_str()), 0);
    const auto r = ensure_private_dir(tmp.file("credd"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::unsafe_path);
}

TEST(PrivateDir, RefusesRegularFile) {
    test::TempDir tmp;
    make_file(tmp.file("credd"), 0600);
    const auto r = ensure_private_dir(tmp.file("credd"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::unsafe_path);
}

TEST(PrivateDir, RefusesDirectoryOwnedByAnotherUser) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to give a directory to another uid";
    }
    test::TempDir tmp;
    make_dir(tmp.file("credd"), 0700);
    ASSERT_EQ(::chown(tmp.file("credd").c_str(), 65534, 65534), 0);
    const auto r = ensure_private_dir(tmp.file("credd"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::unsafe_path);
}

TEST(PrivateFile, AcceptsOwnerOnlyFile) {
    test::TempDir tmp;
    make_file(tmp.file("f"), 0600);
    EXPECT_TRUE(check_private_file(tmp.file("f")));
}

TEST(PrivateFile, RefusesFileOthersCanRead) {
    test::TempDir tmp;
    make_file(tmp.file("f"), 0644);
    const auto r = check_private_file(tmp.file("f"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::unsafe_path);
}

TEST(PrivateFile, RefusesSymlinkToPrivateFile) {
    test::TempDir tmp;
    make_file(tmp.file("real"), 0600);
    ASSERT_EQ(::symlink(tmp.file("real").c_str(), tmp.file("f").c_str()), 0);
    const auto r = check_private_file(tmp.file("f"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::unsafe_path);
}

TEST(PrivateFile, RefusesDirectory) {
    test::TempDir tmp;
    make_dir(tmp.file("f"), 0700);
    const auto r = check_private_file(tmp.file("f"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::unsafe_path);
}

TEST(PrivateFile, MissingFileIsAnIoError) {
    test::TempDir tmp;
    const auto r = check_private_file(tmp.file("absent"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::io_error);
}

} // namespace
} // namespace credd
