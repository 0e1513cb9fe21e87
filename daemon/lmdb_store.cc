// LmdbStore: LMDB behind small RAII wrappers; the one place LMDB error codes are translated.
#include "lmdb_store.hh"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <type_traits>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <lmdb.h>

#include <fcntl.h>
#include <sys/stat.h>

#include "private_dir.hh"

namespace credd {

static_assert(std::is_same_v<MDB_dbi, unsigned int>, "lmdb_store.hh stores MDB_dbi as unsigned");

namespace {

// Sparse: LMDB reserves address space, the file grows only with what is written.
constexpr std::size_t map_size = std::size_t{1} << 30;
constexpr unsigned int max_databases = 3;
constexpr std::string_view schema_key = "schema_version";
constexpr std::string_view associated_prefix = "credd/v1/";
constexpr std::string_view key_check_key = "key_check";
constexpr std::string_view key_check_associated = "credd/v1/key-check";
constexpr std::string_view key_check_plaintext = "credd data key check";

Error lmdb_error(const std::string& dir, std::string_view what, int rc) {
    std::string hint;
    if (rc == MDB_MAP_FULL) {
        hint = "the store is full; remove credentials you no longer use: cred list";
    } else if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID) {
        hint = "restore '" + dir + "' from a backup, or move it away and add the credentials again";
    } else if (rc == ENOSPC) {
        hint = "free some disk space";
    }
    return make_error(Errc::storage_failed,
                      "store " + dir + ": " + std::string(what) + ": " + mdb_strerror(rc),
                      std::move(hint));
}

// LMDB never writes through an input MDB_val; the cast only satisfies its C signature.
MDB_val val_of(std::string_view s) {
    return MDB_val{s.size(), const_cast<char*>(s.data())};
}

std::string_view view_of(const MDB_val& v) {
    return {static_cast<const char*>(v.mv_data), v.mv_size};
}

std::string associated_data(std::string_view name) {
    return std::string(associated_prefix) + std::string(name);
}

// A transaction that is aborted unless it was committed.
class Txn {
public:
    static Result<Txn> begin(MDB_env* env, unsigned int flags, const std::string& dir) {
        MDB_txn* txn = nullptr;
        if (const int rc = mdb_txn_begin(env, nullptr, flags, &txn); rc != 0) {
            return lmdb_error(dir, "cannot begin a transaction", rc);
        }
        return Txn(txn);
    }
    Txn(Txn&& other) noexcept : m_txn(std::exchange(other.m_txn, nullptr)) {}
    Txn& operator=(Txn&&) = delete;
    ~Txn() {
        if (m_txn != nullptr) {
            mdb_txn_abort(m_txn);
        }
    }

    MDB_txn* get() const { return m_txn; }

    // Returns once the data and meta pages are on disk (the environment has no
    // MDB_NOSYNC), which is what lets a caller acknowledge the change.
    Result<void> commit(const std::string& dir) {
        const int rc = mdb_txn_commit(std::exchange(m_txn, nullptr));
        if (rc != 0) {
            return lmdb_error(dir, "cannot commit", rc);
        }
        return {};
    }

private:
    explicit Txn(MDB_txn* txn) : m_txn(txn) {}
    MDB_txn* m_txn;
};

// A cursor; read-only transactions do not free theirs, so this one always does.
class Cursor {
public:
    static Result<Cursor> open(MDB_txn* txn, MDB_dbi dbi, const std::string& dir) {
        MDB_cursor* cursor = nullptr;
        if (const int rc = mdb_cursor_open(txn, dbi, &cursor); rc != 0) {
            return lmdb_error(dir, "cannot open a cursor", rc);
        }
        return Cursor(cursor);
    }
    Cursor(Cursor&& other) noexcept : m_cursor(std::exchange(other.m_cursor, nullptr)) {}
    Cursor& operator=(Cursor&&) = delete;
    ~Cursor() {
        if (m_cursor != nullptr) {
            mdb_cursor_close(m_cursor);
        }
    }

    MDB_cursor* get() const { return m_cursor; }

private:
    explicit Cursor(MDB_cursor* cursor) : m_cursor(cursor) {}
    MDB_cursor* m_cursor;
};

// LMDB creates its files with the mode we pass, but files left by a copy or a restore
// keep theirs; the directory is ours and closed, so checking before opening is no race
// anyone else can win.
Result<void> check_store_file(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) {
            return {};
        }
        return make_error(Errc::io_error, path + ": " + std::strerror(errno));
    }
    return check_private_file(path);
}

// LMDB sets FD_CLOEXEC on its lock file and side descriptors but leaves the data file's
// open, so callers may close it after fork(). The daemon forks for the exec strategy:
// a child program must not inherit a descriptor to the store.
Result<void> close_data_file_on_exec(MDB_env* env, const std::string& dir) {
    mdb_filehandle_t fd = -1;
    if (const int rc = mdb_env_get_fd(env, &fd); rc != 0) {
        return lmdb_error(dir, "cannot get the data file descriptor", rc);
    }
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) {
        return make_error(Errc::io_error,
                          "store " + dir + ": cannot set close-on-exec: " + std::strerror(errno));
    }
    return {};
}

Result<void> check_schema(MDB_txn* txn, MDB_dbi meta, const std::string& dir) {
    MDB_val key = val_of(schema_key);
    MDB_val value{};
    const int rc = mdb_get(txn, meta, &key, &value);
    if (rc == MDB_NOTFOUND) {
        const std::string current = std::to_string(LmdbStore::schema_version);
        MDB_val fresh = val_of(current);
        if (const int put_rc = mdb_put(txn, meta, &key, &fresh, 0); put_rc != 0) {
            return lmdb_error(dir, "cannot write the schema version", put_rc);
        }
        return {};
    }
    if (rc != 0) {
        return lmdb_error(dir, "cannot read the schema version", rc);
    }
    const std::string_view text = view_of(value);
    int version = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
    if (ec != std::errc{} || end != text.data() + text.size() || version < 1) {
        return make_error(Errc::storage_failed, "store " + dir + ": unreadable schema version",
                          "restore '" + dir +
                              "' from a backup, or move it away and add the credentials again");
    }
    // Never read, let alone write, a layout we do not know: an older credd could
    // silently drop what a newer one stored.
    if (version > LmdbStore::schema_version) {
        return make_error(Errc::storage_failed,
                          "store " + dir + ": written by a newer credd (schema " +
                              std::to_string(version) + ", this credd knows " +
                              std::to_string(LmdbStore::schema_version) + ")",
                          "run the newer credd, or move the store away to start empty: mv '" + dir +
                              "' '" + dir + ".newer'");
    }
    return {};
}

Error corrupt_credential(std::string_view name, const Error& why) {
    return make_error(Errc::corrupt, "credential " + std::string(name) + ": " + why.message,
                      "replace it: cred add " + std::string(name) + " --url URL");
}

// What can still be shown of a record that failed validation: its key as the name, and
// kind and URL when those members are readable.
CredentialRecord salvage_record(std::string_view name, const boost::json::value& v) {
    CredentialRecord r;
    r.name = std::string(name);
    const boost::json::object* o = v.if_object();
    if (o == nullptr) {
        return r;
    }
    if (const auto* kind = o->if_contains("kind"); kind != nullptr && kind->is_string()) {
        r.kind = std::string(kind->get_string());
    }
    if (const auto* url = o->if_contains("url"); url != nullptr && url->is_string()) {
        if (auto parsed = parse_url(url->get_string()); parsed) {
            r.match = std::move(*parsed);
        }
    }
    return r;
}

// Reads one credential inside load_all's transaction. Damage to one credential is
// reported on that credential, so the rest stay usable.
struct CredentialReader {
    MDB_txn* txn;
    MDB_dbi secrets;
    const Sealer* sealer; // none: the data key is not known yet
    const std::string& dir;

    Result<SecretMaterial> open_secrets(std::string_view name) const {
        MDB_val key = val_of(name);
        MDB_val value{};
        const int rc = mdb_get(txn, secrets, &key, &value);
        if (rc == MDB_NOTFOUND) {
            return corrupt_credential(name, make_error(Errc::corrupt, "sealed secrets missing"));
        }
        if (rc != 0) {
            return lmdb_error(dir, "cannot read sealed secrets", rc);
        }
        if (sealer == nullptr) {
            return make_error(Errc::key_unavailable,
                              "credential " + std::string(name) + ": the data key is not loaded");
        }
        auto plain = sealer->unseal(view_of(value), associated_data(name));
        if (!plain) {
            return corrupt_credential(name, plain.error());
        }
        auto material = decode_secrets(plain->expose());
        if (!material) {
            return corrupt_credential(name, material.error());
        }
        return material;
    }

    LoadedCredential read(std::string_view name, std::string_view json) const {
        boost::system::error_code ec;
        const boost::json::value v = boost::json::parse(json, ec);
        Result<CredentialRecord> record =
            ec ? Result<CredentialRecord>(make_error(Errc::corrupt, "stored record: not JSON"))
               : record_from_json(v);
        if (record && record->name != name) {
            record = make_error(Errc::corrupt, "stored record: name does not match its key");
        }
        if (!record) {
            return LoadedCredential{salvage_record(name, v),
                                    corrupt_credential(name, record.error())};
        }
        return LoadedCredential{std::move(*record), open_secrets(name)};
    }
};

} // namespace

void LmdbStore::EnvClose::operator()(MDB_env* env) const noexcept {
    mdb_env_close(env);
}

Result<LmdbStore::Databases> LmdbStore::open_databases(MDB_env* env, const std::string& dir) {
    auto txn = Txn::begin(env, 0, dir);
    if (!txn) {
        return txn.error();
    }
    Databases dbs;
    const std::pair<const char*, MDB_dbi*> named[] = {
        {"meta", &dbs.meta}, {"records", &dbs.records}, {"secrets", &dbs.secrets}};
    for (const auto& [name, dbi] : named) {
        if (const int rc = mdb_dbi_open(txn->get(), name, MDB_CREATE, dbi); rc != 0) {
            return lmdb_error(dir, std::string("cannot open database ") + name, rc);
        }
    }
    if (auto ok = check_schema(txn->get(), dbs.meta, dir); !ok) {
        return ok.error();
    }
    if (auto ok = txn->commit(dir); !ok) {
        return ok.error();
    }
    return dbs;
}

LmdbStore::LmdbStore(std::string dir, std::optional<Sealer> sealer, EnvPtr env, Databases dbs)
    : m_dir(std::move(dir)), m_sealer(std::move(sealer)), m_env(std::move(env)), m_dbs(dbs) {}

LmdbStore::~LmdbStore() = default;

Result<std::unique_ptr<LmdbStore>> LmdbStore::open(const std::string& dir, Sealer sealer) {
    auto store = open(dir);
    if (store) {
        (*store)->m_sealer.emplace(std::move(sealer));
    }
    return store;
}

Result<std::unique_ptr<LmdbStore>> LmdbStore::open(const std::string& dir) {
    if (auto ok = ensure_private_dir(dir); !ok) {
        return ok.error();
    }
    for (const char* file : {"/data.mdb", "/lock.mdb"}) {
        if (auto ok = check_store_file(dir + file); !ok) {
            return ok.error();
        }
    }
    MDB_env* raw = nullptr;
    if (const int rc = mdb_env_create(&raw); rc != 0) {
        return lmdb_error(dir, "cannot create environment", rc);
    }
    // Owned from here on: LMDB wants mdb_env_close even after a failed mdb_env_open.
    EnvPtr env(raw);
    if (const int rc = mdb_env_set_mapsize(env.get(), map_size); rc != 0) {
        return lmdb_error(dir, "cannot set map size", rc);
    }
    if (const int rc = mdb_env_set_maxdbs(env.get(), max_databases); rc != 0) {
        return lmdb_error(dir, "cannot set database count", rc);
    }
    // MDB_NOTLS: reader slots belong to transactions, not threads, since store calls run
    // on whichever worker thread is free. No MDB_NOSYNC or MDB_NOMETASYNC: a change is
    // acknowledged once put() returns, and a rotated refresh token lost to a crash after
    // that cannot be recovered, so every commit must reach the disk first.
    if (const int rc = mdb_env_open(env.get(), dir.c_str(), MDB_NOTLS, 0600); rc != 0) {
        return lmdb_error(dir, "cannot open", rc);
    }
    if (auto ok = close_data_file_on_exec(env.get(), dir); !ok) {
        return ok.error();
    }
    auto dbs = open_databases(env.get(), dir);
    if (!dbs) {
        return dbs.error();
    }
    return std::unique_ptr<LmdbStore>(new LmdbStore(dir, std::nullopt, std::move(env), *dbs));
}

Result<std::vector<LoadedCredential>> LmdbStore::load_all() {
    // One read transaction: a consistent snapshot of records and secrets together.
    auto txn = Txn::begin(m_env.get(), MDB_RDONLY, m_dir);
    if (!txn) {
        return txn.error();
    }
    auto cursor = Cursor::open(txn->get(), m_dbs.records, m_dir);
    if (!cursor) {
        return cursor.error();
    }
    const CredentialReader reader{txn->get(), m_dbs.secrets, m_sealer ? &*m_sealer : nullptr,
                                  m_dir};
    std::vector<LoadedCredential> out;
    MDB_val key{};
    MDB_val value{};
    // LMDB keeps keys sorted, so the result is sorted by name.
    int rc = mdb_cursor_get(cursor->get(), &key, &value, MDB_FIRST);
    for (; rc == 0; rc = mdb_cursor_get(cursor->get(), &key, &value, MDB_NEXT)) {
        out.push_back(reader.read(view_of(key), view_of(value)));
    }
    if (rc != MDB_NOTFOUND) {
        return lmdb_error(m_dir, "cannot read records", rc);
    }
    return out;
}

Result<void> LmdbStore::put(const CredentialRecord& record, const SecretMaterial& secrets) {
    if (!is_valid_name(record.name)) {
        return make_error(Errc::invalid_params, "store: invalid credential name");
    }
    if (!m_sealer) {
        return make_error(Errc::key_unavailable,
                          "credential " + record.name + ": not stored: the data key is not loaded");
    }
    const std::string json = boost::json::serialize(record_to_json(record));
    // Sealed before the transaction starts: plaintext never reaches LMDB, and the
    // associated data ties the blob to this name, so it cannot be moved to another.
    Result<std::string> blob = [&] {
        const Secret plain = encode_secrets(secrets);
        return m_sealer->seal(plain.expose(), associated_data(record.name));
    }();
    if (!blob) {
        return blob.error();
    }
    auto txn = Txn::begin(m_env.get(), 0, m_dir);
    if (!txn) {
        return txn.error();
    }
    MDB_val key = val_of(record.name);
    MDB_val record_val = val_of(json);
    MDB_val blob_val = val_of(*blob);
    if (const int rc = mdb_put(txn->get(), m_dbs.records, &key, &record_val, 0); rc != 0) {
        return lmdb_error(m_dir, "cannot write record " + record.name, rc);
    }
    if (const int rc = mdb_put(txn->get(), m_dbs.secrets, &key, &blob_val, 0); rc != 0) {
        return lmdb_error(m_dir, "cannot write secrets of " + record.name, rc);
    }
    return txn->commit(m_dir);
}

Result<void> LmdbStore::put_record(const CredentialRecord& record) {
    if (!is_valid_name(record.name)) {
        return make_error(Errc::invalid_params, "store: invalid credential name");
    }
    auto txn = Txn::begin(m_env.get(), 0, m_dir);
    if (!txn) {
        return txn.error();
    }
    MDB_val key = val_of(record.name);
    MDB_val existing{};
    // A record without sealed secrets would load as corrupt: only update what exists.
    if (const int rc = mdb_get(txn->get(), m_dbs.secrets, &key, &existing); rc != 0) {
        if (rc == MDB_NOTFOUND) {
            return make_error(Errc::not_found, "credential " + record.name + ": not found",
                              "cred list");
        }
        return lmdb_error(m_dir, "cannot read secrets of " + record.name, rc);
    }
    const std::string json = boost::json::serialize(record_to_json(record));
    MDB_val record_val = val_of(json);
    if (const int rc = mdb_put(txn->get(), m_dbs.records, &key, &record_val, 0); rc != 0) {
        return lmdb_error(m_dir, "cannot write record " + record.name, rc);
    }
    return txn->commit(m_dir);
}

Result<void> LmdbStore::put_many(const std::vector<StoreWrite>& writes) {
    // Serialised and sealed before the transaction, as in put().
    std::vector<std::string> jsons;
    std::vector<std::string> blobs;
    jsons.reserve(writes.size());
    blobs.reserve(writes.size());
    for (const auto& w : writes) {
        if (!is_valid_name(w.record->name)) {
            return make_error(Errc::invalid_params, "store: invalid credential name");
        }
        jsons.push_back(boost::json::serialize(record_to_json(*w.record)));
        if (w.secrets != nullptr) {
            if (!m_sealer) {
                return make_error(Errc::key_unavailable, "credential " + w.record->name +
                                                             ": not stored: the data key is "
                                                             "not loaded");
            }
            const Secret plain = encode_secrets(*w.secrets);
            auto blob = m_sealer->seal(plain.expose(), associated_data(w.record->name));
            if (!blob) {
                return blob.error();
            }
            blobs.push_back(std::move(*blob));
        } else {
            blobs.emplace_back();
        }
    }
    auto txn = Txn::begin(m_env.get(), 0, m_dir);
    if (!txn) {
        return txn.error();
    }
    for (std::size_t i = 0; i < writes.size(); ++i) {
        const std::string& name = writes[i].record->name;
        MDB_val key = val_of(name);
        MDB_val record_val = val_of(jsons[i]);
        if (const int rc = mdb_put(txn->get(), m_dbs.records, &key, &record_val, 0); rc != 0) {
            return lmdb_error(m_dir, "cannot write record " + name, rc);
        }
        if (writes[i].secrets != nullptr) {
            MDB_val blob_val = val_of(blobs[i]);
            if (const int rc = mdb_put(txn->get(), m_dbs.secrets, &key, &blob_val, 0); rc != 0) {
                return lmdb_error(m_dir, "cannot write secrets of " + name, rc);
            }
        }
    }
    return txn->commit(m_dir);
}

Result<void> LmdbStore::remove(std::string_view name) {
    if (!is_valid_name(name)) {
        return make_error(Errc::not_found, "store: no credential of that name", "cred list");
    }
    auto txn = Txn::begin(m_env.get(), 0, m_dir);
    if (!txn) {
        return txn.error();
    }
    MDB_val key = val_of(name);
    bool found = false;
    for (const MDB_dbi dbi : {m_dbs.records, m_dbs.secrets}) {
        const int rc = mdb_del(txn->get(), dbi, &key, nullptr);
        if (rc == 0) {
            found = true;
        } else if (rc != MDB_NOTFOUND) {
            return lmdb_error(m_dir, "cannot remove " + std::string(name), rc);
        }
    }
    if (!found) {
        return make_error(Errc::not_found, "credential " + std::string(name) + ": not found",
                          "cred list");
    }
    return txn->commit(m_dir);
}

namespace {

Error wrong_key(const std::string& dir) {
    return make_error(Errc::key_unavailable,
                      "store " + dir + ": the data key found does not open this store",
                      "the store's own key was replaced or is elsewhere; see: cred keystore. "
                      "The sealed data is untouched: bring the right key back (restore the "
                      "keyring or the key file from a backup) and restart credd");
}

} // namespace

Result<bool> LmdbStore::has_key() {
    auto txn = Txn::begin(m_env.get(), MDB_RDONLY, m_dir);
    if (!txn) {
        return txn.error();
    }
    MDB_val key = val_of(key_check_key);
    MDB_val value{};
    const int rc = mdb_get(txn->get(), m_dbs.meta, &key, &value);
    if (rc == 0) {
        return true;
    }
    if (rc != MDB_NOTFOUND) {
        return lmdb_error(m_dir, "cannot read the key check", rc);
    }
    MDB_stat st{};
    if (const int stat_rc = mdb_stat(txn->get(), m_dbs.secrets, &st); stat_rc != 0) {
        return lmdb_error(m_dir, "cannot count sealed secrets", stat_rc);
    }
    return st.ms_entries > 0;
}

namespace {

// True when the store's key check opens with `sealer`, false when it has none yet.
Result<bool> open_key_check(MDB_txn* txn, MDB_dbi meta, const Sealer& sealer,
                            const std::string& dir) {
    MDB_val key = val_of(key_check_key);
    MDB_val value{};
    const int rc = mdb_get(txn, meta, &key, &value);
    if (rc == MDB_NOTFOUND) {
        return false;
    }
    if (rc != 0) {
        return lmdb_error(dir, "cannot read the key check", rc);
    }
    auto plain = sealer.unseal(view_of(value), key_check_associated);
    if (!plain || !plain->equals(key_check_plaintext)) {
        return wrong_key(dir);
    }
    return true;
}

} // namespace

Result<void> LmdbStore::verify_key(const Sealer& sealer) {
    auto txn = Txn::begin(m_env.get(), MDB_RDONLY, m_dir);
    if (!txn) {
        return txn.error();
    }
    auto opened = open_key_check(txn->get(), m_dbs.meta, sealer, m_dir);
    if (!opened) {
        return opened.error();
    }
    if (!*opened) {
        return make_error(Errc::key_unavailable, "store " + m_dir + ": has no key check yet");
    }
    return {};
}

Result<void> LmdbStore::set_key(Sealer sealer) {
    auto txn = Txn::begin(m_env.get(), 0, m_dir);
    if (!txn) {
        return txn.error();
    }
    auto opened = open_key_check(txn->get(), m_dbs.meta, sealer, m_dir);
    if (!opened) {
        return opened.error();
    }
    if (*opened) {
        m_sealer.emplace(std::move(sealer));
        return {};
    }
    // No key check yet. A store with sealed secrets (written before key checks existed)
    // accepts a key only if it opens one of them — any one: a corrupt blob must not make
    // the right key look wrong — and refuses it only if it opens none; then the check is
    // written once.
    {
        // Closed before the commit, which would otherwise free it under us.
        auto cursor = Cursor::open(txn->get(), m_dbs.secrets, m_dir);
        if (!cursor) {
            return cursor.error();
        }
        MDB_val name{};
        MDB_val blob{};
        bool any = false;
        bool opened_one = false;
        for (int rc = mdb_cursor_get(cursor->get(), &name, &blob, MDB_FIRST);
             rc == 0 && !opened_one; rc = mdb_cursor_get(cursor->get(), &name, &blob, MDB_NEXT)) {
            any = true;
            opened_one =
                static_cast<bool>(sealer.unseal(view_of(blob), associated_data(view_of(name))));
        }
        if (any && !opened_one) {
            return wrong_key(m_dir);
        }
    }
    auto check = sealer.seal(key_check_plaintext, key_check_associated);
    if (!check) {
        return check.error();
    }
    MDB_val key = val_of(key_check_key);
    MDB_val value = val_of(*check);
    if (const int rc = mdb_put(txn->get(), m_dbs.meta, &key, &value, 0); rc != 0) {
        return lmdb_error(m_dir, "cannot write the key check", rc);
    }
    if (auto ok = txn->commit(m_dir); !ok) {
        return ok.error();
    }
    m_sealer.emplace(std::move(sealer));
    return {};
}

} // namespace credd
