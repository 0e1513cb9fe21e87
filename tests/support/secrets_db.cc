// SecretsDb: liblmdb calls against credd's store, for tamper and nonce tests.
#include "secrets_db.hh"

#include <lmdb.h>

namespace credd::test {

namespace {

constexpr const char* secrets_db = "secrets";

// A transaction that aborts unless committed.
class Txn {
public:
    Txn(MDB_env* env, unsigned flags) { m_rc = mdb_txn_begin(env, nullptr, flags, &m_txn); }
    ~Txn() {
        if (m_txn) {
            mdb_txn_abort(m_txn);
        }
    }
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;

    int rc() const { return m_rc; }
    MDB_txn* get() const { return m_txn; }
    int commit() {
        const int rc = mdb_txn_commit(m_txn);
        m_txn = nullptr;
        return rc;
    }

private:
    MDB_txn* m_txn = nullptr;
    int m_rc = 0;
};

} // namespace

SecretsDb::SecretsDb(const std::string& data_dir) {
    int rc = mdb_env_create(&m_env);
    if (rc == 0) {
        mdb_env_set_maxdbs(m_env, 16);
        rc = mdb_env_open(m_env, data_dir.c_str(), 0, 0600);
    }
    if (rc != 0) {
        m_error = "lmdb " + data_dir + ": " + mdb_strerror(rc);
        if (m_env) {
            mdb_env_close(m_env);
            m_env = nullptr;
        }
    }
}

SecretsDb::~SecretsDb() {
    if (m_env) {
        mdb_env_close(m_env);
    }
}

std::optional<std::string> SecretsDb::read(const std::string& name) {
    Txn txn(m_env, MDB_RDONLY);
    MDB_dbi dbi;
    if (txn.rc() != 0 || mdb_dbi_open(txn.get(), secrets_db, 0, &dbi) != 0) {
        return std::nullopt;
    }
    MDB_val key{name.size(), const_cast<char*>(name.data())};
    MDB_val value;
    if (mdb_get(txn.get(), dbi, &key, &value) != 0) {
        return std::nullopt;
    }
    return std::string(static_cast<const char*>(value.mv_data), value.mv_size);
}

bool SecretsDb::write(const std::string& name, const std::string& blob) {
    Txn txn(m_env, 0);
    MDB_dbi dbi;
    if (txn.rc() != 0 || mdb_dbi_open(txn.get(), secrets_db, 0, &dbi) != 0) {
        return false;
    }
    MDB_val key{name.size(), const_cast<char*>(name.data())};
    MDB_val value{blob.size(), const_cast<char*>(blob.data())};
    return mdb_put(txn.get(), dbi, &key, &value, 0) == 0 && txn.commit() == 0;
}

std::vector<std::string> SecretsDb::names() {
    std::vector<std::string> out;
    Txn txn(m_env, MDB_RDONLY);
    MDB_dbi dbi;
    MDB_cursor* cursor = nullptr;
    if (txn.rc() != 0 || mdb_dbi_open(txn.get(), secrets_db, 0, &dbi) != 0 ||
        mdb_cursor_open(txn.get(), dbi, &cursor) != 0) {
        return out;
    }
    MDB_val key;
    MDB_val value;
    for (int op = MDB_FIRST; mdb_cursor_get(cursor, &key, &value, MDB_cursor_op(op)) == 0;
         op = MDB_NEXT) {
        out.emplace_back(static_cast<const char*>(key.mv_data), key.mv_size);
    }
    mdb_cursor_close(cursor);
    return out;
}

} // namespace credd::test
