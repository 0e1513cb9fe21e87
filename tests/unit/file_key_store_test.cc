// Tests for FileKeyStore: a 0600, 32-byte key file created once and refused when unsafe.
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_key_store.hh"
#include "file_mode.hh"
#include "temp_dir.hh"

namespace credd {
namespace {

using test::mode_of;

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, std::string_view bytes, mode_t mode) {
    const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
    ASSERT_GE(fd, 0) << path;
    ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    ::close(fd);
    ASSERT_EQ(::chmod(path.c_str(), mode), 0) << path;
}

class FileKeyStoreTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_EQ(::mkdir(m_dir.c_str(), 0700), 0); }

    test::TempDir m_tmp;
    std::string m_dir = m_tmp.file("config");
    std::string m_path = m_tmp.file("config/key");
};

TEST_F(FileKeyStoreTest, CreatesKeyFileWithMode0600And32Bytes) {
    const auto key = FileKeyStore(m_path).load_or_create();
    ASSERT_TRUE(key);
    EXPECT_EQ(key->size(), data_key_bytes);
    EXPECT_EQ(mode_of(m_path), 0600u);
    EXPECT_TRUE(key->equals(read_file(m_path)));
}

TEST_F(FileKeyStoreTest, CreatesMissingKeyDirectoryWithMode0700) {
    const std::string path = m_tmp.file("fresh/credd/key");
    ASSERT_TRUE(FileKeyStore(path).load_or_create());
    EXPECT_EQ(mode_of(m_tmp.file("fresh/credd")), 0700u);
}

TEST_F(FileKeyStoreTest, SecondLoadReusesTheKey) {
    const auto first = FileKeyStore(m_path).load_or_create();
    const auto second = FileKeyStore(m_path).load_or_create();
    ASSERT_TRUE(first);
    ASSERT_TRUE(second);
    EXPECT_TRUE(first->equals(second->expose()));
}

TEST_F(FileKeyStoreTest, NewKeysAreRandom) {
    const auto a = FileKeyStore(m_path).load_or_create();
    const auto b = FileKeyStore(m_tmp.file("config/other-key")).load_or_create();
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    EXPECT_FALSE(a->equals(b->expose()));
}

TEST_F(FileKeyStoreTest, ReadsExistingKeyFile) {
    const std::string bytes(data_key_bytes, 'q');
    write_file(m_path, bytes, 0600);
    const auto key = FileKeyStore(m_path).load_or_create();
    ASSERT_TRUE(key);
    EXPECT_TRUE(key->equals(bytes));
}

TEST_F(FileKeyStoreTest, RefusesKeyFileOthersCanRead) {
    write_file(m_path, std::string(data_key_bytes, 'q'), 0644);
    const auto key = FileKeyStore(m_path).load_or_create();
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, Errc::unsafe_path);
}

TEST_F(FileKeyStoreTest, RefusesKeyFileOfWrongSize) {
    for (const std::size_t size : {std::size_t{0}, data_key_bytes - 1, data_key_bytes + 1}) {
        const std::string path = m_tmp.file("config/key-" + std::to_string(size));
        write_file(path, std::string(size, 'q'), 0600);
        const auto key = FileKeyStore(path).load_or_create();
        ASSERT_FALSE(key) << "size " << size;
        EXPECT_EQ(key.error().code, Errc::corrupt) << "size " << size;
        EXPECT_FALSE(key.error().hint.empty());
    }
}

TEST_F(FileKeyStoreTest, NeverOverwritesARefusedKeyFile) {
    write_file(m_path, "short", 0600);
    ASSERT_FALSE(FileKeyStore(m_path).load_or_create());
    EXPECT_EQ(read_file(m_path), "short");
}

TEST_F(FileKeyStoreTest, RefusesSymlinkedKeyFile) {
    write_file(m_tmp.file("config/real-key"), std::string(data_key_bytes, 'q'), 0600);
    ASSERT_EQ(::symlink(m_tmp.file("config/real-key").c_str(), m_path.c_str()), 0);
    const auto key = FileKeyStore(m_path).load_or_create();
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, Errc::unsafe_path);
}

TEST_F(FileKeyStoreTest, RefusesKeyDirectoryOthersCanEnter) {
    ASSERT_EQ(::chmod(m_dir.c_str(), 0755), 0);
    const auto key = FileKeyStore(m_path).load_or_create();
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, Errc::unsafe_path);
}

TEST_F(FileKeyStoreTest, ReportsFileProtectionAndPath) {
    const FileKeyStore store(m_path);
    EXPECT_EQ(store.protection(), "file");
    EXPECT_EQ(store.location(), m_path);
}

TEST_F(FileKeyStoreTest, LoadOfNoFileIsNoneAndCreatesNothing) {
    const std::string dir = m_tmp.file("absent");
    const auto key = FileKeyStore(dir + "/key").load();
    ASSERT_TRUE(key);
    EXPECT_FALSE(key->has_value());
    EXPECT_NE(::access(dir.c_str(), F_OK), 0) << "looking for a key made its directory";
}

TEST_F(FileKeyStoreTest, SaveThenLoadRoundTripsWithMode0600) {
    const Secret key(std::string(data_key_bytes, 's'));
    ASSERT_TRUE(FileKeyStore(m_path).save(key));
    EXPECT_EQ(mode_of(m_path), 0600u);
    const auto loaded = FileKeyStore(m_path).load();
    ASSERT_TRUE(loaded && loaded->has_value());
    EXPECT_TRUE((*loaded)->equals(key.expose()));
    EXPECT_NE(::access((m_path + ".new").c_str(), F_OK), 0) << "temporary file left behind";
}

TEST_F(FileKeyStoreTest, SaveOfTheSameKeyIsIdempotentAndAnotherIsRefused) {
    const Secret key(std::string(data_key_bytes, 's'));
    ASSERT_TRUE(FileKeyStore(m_path).save(key));
    EXPECT_TRUE(FileKeyStore(m_path).save(key));
    const auto other = FileKeyStore(m_path).save(Secret(std::string(data_key_bytes, 'o')));
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, Errc::key_unavailable);
    EXPECT_EQ(read_file(m_path), std::string(data_key_bytes, 's'));
}

TEST_F(FileKeyStoreTest, EraseRemovesTheFileAndAbsentIsFine) {
    ASSERT_TRUE(FileKeyStore(m_path).save(Secret(std::string(data_key_bytes, 's'))));
    EXPECT_TRUE(FileKeyStore(m_path).erase());
    EXPECT_NE(::access(m_path.c_str(), F_OK), 0);
    EXPECT_TRUE(FileKeyStore(m_path).erase());
}

} // namespace
} // namespace credd
