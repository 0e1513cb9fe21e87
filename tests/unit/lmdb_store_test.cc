// Tests for LmdbStore on a real LMDB environment in a temp dir: durability, sealing, damage.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>
#include <lmdb.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "key_store.hh"
#include "lmdb_store.hh"
#include "temp_dir.hh"

namespace credd {
namespace {

constexpr std::string_view token_a = "tok-lmdb-a-7f3e9c2d41b8";
constexpr std::string_view token_b = "tok-lmdb-b-0a6d5e8f92c3";

CredentialRecord make_record(std::string name) {
    CredentialRecord r;
    r.name = std::move(name);
    r.match = *parse_url("https://alice@github.com/org");
    r.expires_at = 1798675200000;
    r.labels = {{"team", "infra"}};
    r.generation = 1;
    r.created_at = 1700000000000;
    r.updated_at = 1700000000000;
    return r;
}

SecretMaterial make_secrets(std::string_view token) {
    SecretMaterial m;
    m.token = Secret(token);
    return m;
}

const LoadedCredential* find(const std::vector<LoadedCredential>& all, std::string_view name) {
    for (const auto& c : all) {
        if (c.record.name == name) {
            return &c;
        }
    }
    return nullptr;
}

// "yes", "no" or the error's code, so a Result<bool> compares and prints in an EXPECT.
std::string answer(const Result<bool>& r) {
    return r ? (*r ? "yes" : "no") : std::string(code_name(r.error().code));
}

bool has_token(const LoadedCredential* c, std::string_view token) {
    return c != nullptr && c->secrets && c->secrets->token.equals(token);
}

bool is_corrupt(const LoadedCredential* c) {
    return c != nullptr && !c->secrets && c->secrets.error().code == Errc::corrupt;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

mode_t mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

// The store's environment opened directly, as damage on disk or an attacker would see it.
// Only while no LmdbStore has it open: LMDB forbids two environments on one file in one
// process.
class RawEnv {
public:
    explicit RawEnv(const std::string& dir) {
        EXPECT_EQ(mdb_env_create(&m_env), 0);
        EXPECT_EQ(mdb_env_set_maxdbs(m_env, 3), 0);
        EXPECT_EQ(mdb_env_open(m_env, dir.c_str(), 0, 0600), 0);
        EXPECT_EQ(mdb_txn_begin(m_env, nullptr, 0, &m_txn), 0);
    }
    ~RawEnv() {
        if (m_txn != nullptr) {
            mdb_txn_abort(m_txn);
        }
        mdb_env_close(m_env);
    }
    RawEnv(const RawEnv&) = delete;
    RawEnv& operator=(const RawEnv&) = delete;

    std::string get(const char* db, std::string_view key) {
        MDB_val k{key.size(), const_cast<char*>(key.data())};
        MDB_val v{};
        EXPECT_EQ(mdb_get(m_txn, dbi(db), &k, &v), 0) << db << "/" << key;
        return std::string(static_cast<const char*>(v.mv_data), v.mv_size);
    }
    bool contains(const char* db, std::string_view key) {
        MDB_val k{key.size(), const_cast<char*>(key.data())};
        MDB_val v{};
        return mdb_get(m_txn, dbi(db), &k, &v) == 0;
    }
    void put(const char* db, std::string_view key, std::string_view value) {
        MDB_val k{key.size(), const_cast<char*>(key.data())};
        MDB_val v{value.size(), const_cast<char*>(value.data())};
        EXPECT_EQ(mdb_put(m_txn, dbi(db), &k, &v, 0), 0);
    }
    void del(const char* db, std::string_view key) {
        MDB_val k{key.size(), const_cast<char*>(key.data())};
        EXPECT_EQ(mdb_del(m_txn, dbi(db), &k, nullptr), 0);
    }
    void commit() {
        EXPECT_EQ(mdb_txn_commit(m_txn), 0);
        m_txn = nullptr;
    }

private:
    MDB_dbi dbi(const char* name) {
        MDB_dbi d = 0;
        EXPECT_EQ(mdb_dbi_open(m_txn, name, 0, &d), 0) << name;
        return d;
    }

    MDB_env* m_env = nullptr;
    MDB_txn* m_txn = nullptr;
};

class LmdbStoreTest : public ::testing::Test {
protected:
    Result<std::unique_ptr<LmdbStore>> open_with_key(char fill) {
        return LmdbStore::open(m_dir, Sealer(Secret(std::string(data_key_bytes, fill))));
    }
    std::unique_ptr<LmdbStore> open_store(char fill = 'k') {
        auto store = open_with_key(fill);
        EXPECT_TRUE(store) << (store ? "" : store.error().message);
        return store ? std::move(*store) : nullptr;
    }
    std::vector<LoadedCredential> load(LmdbStore& store) {
        auto all = store.load_all();
        EXPECT_TRUE(all);
        return all ? std::move(*all) : std::vector<LoadedCredential>{};
    }
    // Puts credentials "a" and "b" with token_a and token_b, then closes the store.
    void put_two_and_close() {
        auto store = open_store();
        ASSERT_TRUE(store);
        ASSERT_TRUE(store->put(make_record("a"), make_secrets(token_a)));
        ASSERT_TRUE(store->put(make_record("b"), make_secrets(token_b)));
    }

    test::TempDir m_tmp;
    std::string m_dir = m_tmp.file("data");
};

TEST_F(LmdbStoreTest, NewStoreIsEmpty) {
    auto store = open_store();
    ASSERT_TRUE(store);
    EXPECT_TRUE(load(*store).empty());
}

TEST_F(LmdbStoreTest, PutThenLoadRoundTrips) {
    auto store = open_store();
    ASSERT_TRUE(store);
    const CredentialRecord r = make_record("github-work");
    ASSERT_TRUE(store->put(r, make_secrets(token_a)));
    const auto all = load(*store);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].record.name, "github-work");
    EXPECT_EQ(all[0].record.match.to_string(), r.match.to_string());
    EXPECT_EQ(all[0].record.expires_at, r.expires_at);
    EXPECT_EQ(all[0].record.labels, r.labels);
    EXPECT_EQ(all[0].record.generation, r.generation);
    EXPECT_TRUE(has_token(&all[0], token_a));
}

TEST_F(LmdbStoreTest, PutManyWritesRecordsAndSecretsInOneGo) {
    auto store = open_store();
    ASSERT_TRUE(store->put(make_record("a"), make_secrets(token_a)));
    auto a = make_record("a");
    a.kind = "oauth2-refresh-token";
    a.refresh.last_error = "token endpoint answered HTTP 503";
    a.refresh.error_class = "transient";
    a.refresh.failures = 2;
    auto b = make_record("b");
    b.kind = "oauth2-client-credentials";
    const auto b_secrets = make_secrets(token_b);
    // a: the record only (a failed refresh); b: record and secrets (a new credential's token).
    ASSERT_TRUE(store->put_many({{&a, nullptr}, {&b, &b_secrets}}));
    const auto all = load(*store);
    ASSERT_EQ(all.size(), 2U);
    EXPECT_TRUE(has_token(find(all, "a"), token_a));
    EXPECT_TRUE(has_token(find(all, "b"), token_b));
    EXPECT_EQ(find(all, "a")->record.refresh.failures, 2U);
    EXPECT_EQ(find(all, "a")->record.refresh.last_error, "token endpoint answered HTTP 503");
}

TEST_F(LmdbStoreTest, ReopenKeepsEverything) {
    put_two_and_close();
    auto store = open_store();
    ASSERT_TRUE(store);
    const auto all = load(*store);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_TRUE(has_token(find(all, "a"), token_a));
    EXPECT_TRUE(has_token(find(all, "b"), token_b));
}

TEST_F(LmdbStoreTest, LoadIsSortedByName) {
    auto store = open_store();
    ASSERT_TRUE(store);
    for (const char* name : {"zeta", "alpha", "Mid", "beta"}) {
        ASSERT_TRUE(store->put(make_record(name), make_secrets(token_a)));
    }
    const auto all = load(*store);
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all[0].record.name, "Mid");
    EXPECT_EQ(all[1].record.name, "alpha");
    EXPECT_EQ(all[2].record.name, "beta");
    EXPECT_EQ(all[3].record.name, "zeta");
}

TEST_F(LmdbStoreTest, PutReplacesRecordAndSecrets) {
    auto store = open_store();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->put(make_record("a"), make_secrets(token_a)));
    CredentialRecord replacement = make_record("a");
    replacement.generation = 2;
    ASSERT_TRUE(store->put(replacement, make_secrets(token_b)));
    const auto all = load(*store);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].record.generation, 2u);
    EXPECT_TRUE(has_token(&all[0], token_b));
}

TEST_F(LmdbStoreTest, PutRecordKeepsTheSecrets) {
    auto store = open_store();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->put(make_record("a"), make_secrets(token_a)));
    CredentialRecord updated = make_record("a");
    updated.labels = {{"team", "platform"}};
    ASSERT_TRUE(store->put_record(updated));
    const auto all = load(*store);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].record.labels.at("team"), "platform");
    EXPECT_TRUE(has_token(&all[0], token_a));
}

TEST_F(LmdbStoreTest, PutRecordOfUnknownNameIsNotFound) {
    auto store = open_store();
    ASSERT_TRUE(store);
    const auto r = store->put_record(make_record("a"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::not_found);
    EXPECT_TRUE(load(*store).empty());
}

TEST_F(LmdbStoreTest, PutRefusesAnInvalidName) {
    auto store = open_store();
    ASSERT_TRUE(store);
    const auto r = store->put(make_record("../x"), make_secrets(token_a));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_params);
}

TEST_F(LmdbStoreTest, RemoveDeletesRecordAndSecrets) {
    put_two_and_close();
    {
        auto store = open_store();
        ASSERT_TRUE(store);
        ASSERT_TRUE(store->remove("a"));
        const auto all = load(*store);
        ASSERT_EQ(all.size(), 1u);
        EXPECT_EQ(all[0].record.name, "b");
    }
    RawEnv raw(m_dir);
    EXPECT_FALSE(raw.contains("records", "a"));
    EXPECT_FALSE(raw.contains("secrets", "a"));
}

TEST_F(LmdbStoreTest, RemoveOfUnknownNameIsNotFound) {
    auto store = open_store();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->put(make_record("a"), make_secrets(token_a)));
    ASSERT_TRUE(store->remove("a"));
    const auto again = store->remove("a");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Errc::not_found);
}

TEST_F(LmdbStoreTest, DataFileNeverContainsTheToken) {
    {
        auto store = open_store();
        ASSERT_TRUE(store);
        ASSERT_TRUE(store->put(make_record("github-work"), make_secrets(token_a)));
        ASSERT_TRUE(store->put_record(make_record("github-work")));
    }
    const std::string data = read_file(m_dir + "/data.mdb");
    // The record is plain JSON, so finding the name proves this is the right file.
    EXPECT_NE(data.find("github-work"), std::string::npos);
    EXPECT_TRUE(data.find(token_a) == std::string::npos);
}

TEST_F(LmdbStoreTest, TamperedBlobIsCorruptForThatCredentialOnly) {
    put_two_and_close();
    {
        RawEnv raw(m_dir);
        std::string blob = raw.get("secrets", "a");
        blob[blob.size() / 2] = static_cast<char>(blob[blob.size() / 2] ^ 0x01);
        raw.put("secrets", "a", blob);
        raw.commit();
    }
    auto store = open_store();
    ASSERT_TRUE(store);
    const auto all = load(*store);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_TRUE(is_corrupt(find(all, "a")));
    EXPECT_TRUE(has_token(find(all, "b"), token_b));
}

TEST_F(LmdbStoreTest, TruncatedBlobIsCorrupt) {
    put_two_and_close();
    {
        RawEnv raw(m_dir);
        const std::string blob = raw.get("secrets", "a");
        raw.put("secrets", "a", std::string_view(blob).substr(0, 10));
        raw.commit();
    }
    auto store = open_store();
    ASSERT_TRUE(store);
    const auto all = load(*store);
    EXPECT_TRUE(is_corrupt(find(all, "a")));
    EXPECT_TRUE(has_token(find(all, "b"), token_b));
}

TEST_F(LmdbStoreTest, BlobCopiedToAnotherNameIsCorrupt) {
    put_two_and_close();
    {
        RawEnv raw(m_dir);
        const std::string blob = raw.get("secrets", "a");
        raw.put("secrets", "b", blob);
        raw.commit();
    }
    auto store = open_store();
    ASSERT_TRUE(store);
    const auto all = load(*store);
    EXPECT_TRUE(has_token(find(all, "a"), token_a));
    EXPECT_TRUE(is_corrupt(find(all, "b")));
}

TEST_F(LmdbStoreTest, MissingBlobIsCorrupt) {
    put_two_and_close();
    {
        RawEnv raw(m_dir);
        raw.del("secrets", "a");
        raw.commit();
    }
    auto store = open_store();
    ASSERT_TRUE(store);
    const auto all = load(*store);
    EXPECT_TRUE(is_corrupt(find(all, "a")));
    EXPECT_TRUE(has_token(find(all, "b"), token_b));
}

TEST_F(LmdbStoreTest, OtherKeyMakesSecretsCorruptButKeepsRecords) {
    put_two_and_close();
    auto store = open_store('K');
    ASSERT_TRUE(store);
    const auto all = load(*store);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_TRUE(is_corrupt(find(all, "a")));
    EXPECT_TRUE(is_corrupt(find(all, "b")));
    EXPECT_EQ(find(all, "a")->record.labels.at("team"), "infra");
}

TEST_F(LmdbStoreTest, BrokenRecordIsListedByItsKeyAsCorrupt) {
    put_two_and_close();
    {
        RawEnv raw(m_dir);
        raw.put("records", "a", "{not json");
        raw.commit();
    }
    auto store = open_store();
    ASSERT_TRUE(store);
    const auto all = load(*store);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_TRUE(is_corrupt(find(all, "a")));
    EXPECT_TRUE(has_token(find(all, "b"), token_b));
}

TEST_F(LmdbStoreTest, RecordStoredUnderAnotherNameIsCorrupt) {
    put_two_and_close();
    {
        RawEnv raw(m_dir);
        raw.put("records", "a", raw.get("records", "b"));
        raw.commit();
    }
    auto store = open_store();
    ASSERT_TRUE(store);
    const auto all = load(*store);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].record.name, "a");
    EXPECT_TRUE(is_corrupt(&all[0]));
}

TEST_F(LmdbStoreTest, CreatesPrivateDirectoryAndFiles) {
    auto store = open_store();
    ASSERT_TRUE(store);
    EXPECT_EQ(mode_of(m_dir), 0700u);
    EXPECT_EQ(mode_of(m_dir + "/data.mdb"), 0600u);
    EXPECT_EQ(mode_of(m_dir + "/lock.mdb"), 0600u);
    EXPECT_EQ(store->path(), m_dir);
}

TEST_F(LmdbStoreTest, WritesSchemaVersion) {
    ASSERT_TRUE(open_store());
    RawEnv raw(m_dir);
    EXPECT_EQ(raw.get("meta", "schema_version"), "1");
}

TEST_F(LmdbStoreTest, RefusesNewerSchema) {
    ASSERT_TRUE(open_store());
    {
        RawEnv raw(m_dir);
        raw.put("meta", "schema_version", "2");
        raw.commit();
    }
    const auto store = open_with_key('k');
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code, Errc::storage_failed);
    EXPECT_FALSE(store.error().hint.empty());
}

TEST_F(LmdbStoreTest, RefusesUnreadableSchema) {
    ASSERT_TRUE(open_store());
    {
        RawEnv raw(m_dir);
        raw.put("meta", "schema_version", "one");
        raw.commit();
    }
    const auto store = open_with_key('k');
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code, Errc::storage_failed);
}

TEST_F(LmdbStoreTest, RefusesDirectoryOthersCanEnter) {
    ASSERT_EQ(::mkdir(m_dir.c_str(), 0755), 0);
    ASSERT_EQ(::chmod(m_dir.c_str(), 0755), 0);
    const auto store = open_with_key('k');
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code, Errc::unsafe_path);
}

TEST_F(LmdbStoreTest, RefusesDataFileOthersCanRead) {
    ASSERT_TRUE(open_store());
    ASSERT_EQ(::chmod((m_dir + "/data.mdb").c_str(), 0644), 0);
    const auto store = open_with_key('k');
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code, Errc::unsafe_path);
}

TEST_F(LmdbStoreTest, RefusesSymlinkedDataFile) {
    ASSERT_TRUE(open_store());
    const std::string data = m_dir + "/data.mdb";
    std::filesystem::rename(data, m_tmp.file("elsewhere.mdb"));
    ASSERT_EQ(::symlink(m_tmp.file("elsewhere.mdb").c_str(), data.c_str()), 0);
    const auto store = open_with_key('k');
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code, Errc::unsafe_path);
}

TEST_F(LmdbStoreTest, StoreFilesAreCloseOnExec) {
    auto store = open_store();
    ASSERT_TRUE(store);
    int checked = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        const auto target = std::filesystem::read_symlink(entry.path(), ec);
        if (ec || target.parent_path() != m_dir) {
            continue;
        }
        const int fd = std::stoi(entry.path().filename().string());
        EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0) << target;
        ++checked;
    }
    EXPECT_GE(checked, 2);
}

// ---- without the key, and the key check ----------------------------------------------

Sealer sealer_of(char fill) {
    return Sealer(Secret(std::string(data_key_bytes, fill)));
}

std::unique_ptr<LmdbStore> open_keyless(const std::string& dir) {
    auto store = LmdbStore::open(dir);
    EXPECT_TRUE(store) << (store ? "" : store.error().message);
    return store ? std::move(*store) : nullptr;
}

TEST_F(LmdbStoreTest, WithoutTheKeyRecordsLoadAndSecretsWait) {
    put_two_and_close();
    auto store = open_keyless(m_dir);
    ASSERT_TRUE(store);
    const auto all = load(*store);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].record.name, "a");
    ASSERT_FALSE(all[0].secrets);
    EXPECT_EQ(all[0].secrets.error().code, Errc::key_unavailable);
}

TEST_F(LmdbStoreTest, WithoutTheKeyPutWritesNothing) {
    auto store = open_keyless(m_dir);
    ASSERT_TRUE(store);
    const auto put = store->put(make_record("a"), make_secrets(token_a));
    ASSERT_FALSE(put);
    EXPECT_EQ(put.error().code, Errc::key_unavailable);
    EXPECT_TRUE(load(*store).empty());
}

TEST_F(LmdbStoreTest, AFreshStoreTakesAKeyAndThenHasOne) {
    auto store = open_keyless(m_dir);
    ASSERT_TRUE(store);
    EXPECT_EQ(answer(store->has_key()), "no");
    ASSERT_TRUE(store->set_key(sealer_of('k')));
    EXPECT_EQ(answer(store->has_key()), "yes");
    ASSERT_TRUE(store->put(make_record("a"), make_secrets(token_a)));
    EXPECT_TRUE(has_token(find(load(*store), "a"), token_a));
}

TEST_F(LmdbStoreTest, TheKeyCheckRefusesAnotherKeyEvenWithNoCredentials) {
    {
        auto store = open_keyless(m_dir);
        ASSERT_TRUE(store);
        ASSERT_TRUE(store->set_key(sealer_of('k')));
    }
    auto store = open_keyless(m_dir);
    ASSERT_TRUE(store);
    EXPECT_EQ(answer(store->has_key()), "yes");
    const auto other = store->set_key(sealer_of('x'));
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, Errc::key_unavailable);
    EXPECT_FALSE(store->put(make_record("a"), make_secrets(token_a)));
    EXPECT_FALSE(store->verify_key(sealer_of('x')));
    EXPECT_TRUE(store->verify_key(sealer_of('k')));
    EXPECT_TRUE(store->set_key(sealer_of('k')));
}

TEST_F(LmdbStoreTest, AStoreFromBeforeKeyChecksAcceptsOnlyTheKeyThatOpensIt) {
    put_two_and_close(); // sealed with 'k', no key check written
    auto store = open_keyless(m_dir);
    ASSERT_TRUE(store);
    EXPECT_EQ(answer(store->has_key()), "yes") << "sealed secrets mean the store has a key";
    EXPECT_FALSE(store->set_key(sealer_of('x')));
    ASSERT_TRUE(store->set_key(sealer_of('k')));
    EXPECT_TRUE(has_token(find(load(*store), "b"), token_b));
    EXPECT_TRUE(store->verify_key(sealer_of('k'))) << "the key check was written";
}

TEST_F(LmdbStoreTest, AStoreFromBeforeKeyChecksWithACorruptFirstBlobStillTakesItsKey) {
    put_two_and_close(); // sealed with 'k', no key check written
    {
        RawEnv raw(m_dir);
        std::string blob = raw.get("secrets", "a"); // "a" is the first blob a cursor meets
        blob[blob.size() / 2] = static_cast<char>(blob[blob.size() / 2] ^ 0x01);
        raw.put("secrets", "a", blob);
        raw.commit();
    }
    auto store = open_keyless(m_dir);
    ASSERT_TRUE(store);
    const auto other = store->set_key(sealer_of('x'));
    ASSERT_FALSE(other) << "a key that opens no blob is refused";
    EXPECT_EQ(other.error().code, Errc::key_unavailable);
    ASSERT_TRUE(store->set_key(sealer_of('k'))) << "\"b\" opens with it";
    const auto all = load(*store);
    EXPECT_TRUE(is_corrupt(find(all, "a")));
    EXPECT_TRUE(has_token(find(all, "b"), token_b));
    EXPECT_TRUE(store->verify_key(sealer_of('k'))) << "the key check was written";
}

} // namespace
} // namespace credd
