// LmdbStore: the Store on an LMDB environment, with every secret sealed before it is written.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sealer.hh"
#include "store.hh"

struct MDB_env;

namespace credd {

// Credentials in an LMDB environment in a private directory (0700, files 0600), in
// three named databases: "meta" (schema version), "records" (name -> record JSON) and
// "secrets" (name -> sealed blob, associated data "credd/v1/" + name); "meta" also holds
// the key check, a constant sealed with the data key that tells the store's key from any
// other even when no credential is stored. Every write is
// one durable transaction. Owned by the Daemon; not thread-safe (see Store).
class LmdbStore final : public Store {
public:
    // Opens or creates the store in `dir`. Refuses a directory or file others can reach
    // (Errc::unsafe_path) and a store written by a newer credd (Errc::storage_failed).
    static Result<std::unique_ptr<LmdbStore>> open(const std::string& dir, Sealer sealer);
    // Opens it without a key: records load, secrets wait for set_key().
    static Result<std::unique_ptr<LmdbStore>> open(const std::string& dir);

    ~LmdbStore() override;
    LmdbStore(const LmdbStore&) = delete;
    LmdbStore& operator=(const LmdbStore&) = delete;

    Result<std::vector<LoadedCredential>> load_all() override;
    Result<void> put(const CredentialRecord& record, const SecretMaterial& secrets) override;
    // Errc::not_found when there is no stored credential of that name to update.
    Result<void> put_record(const CredentialRecord& record) override;
    Result<void> put_many(const std::vector<StoreWrite>& writes) override;
    Result<void> remove(std::string_view name) override;
    Result<bool> has_key() override;
    Result<void> set_key(Sealer sealer) override;
    Result<void> verify_key(const Sealer& sealer) override;
    std::string path() const override { return m_dir; }

    // The schema this credd writes; a store with a higher one is refused.
    static constexpr int schema_version = 1;

private:
    struct EnvClose {
        void operator()(MDB_env* env) const noexcept;
    };
    using EnvPtr = std::unique_ptr<MDB_env, EnvClose>;
    // LMDB's database handles (MDB_dbi), valid for the environment's lifetime.
    struct Databases {
        unsigned int meta = 0;
        unsigned int records = 0;
        unsigned int secrets = 0;
    };

    LmdbStore(std::string dir, std::optional<Sealer> sealer, EnvPtr env, Databases dbs);
    static Result<Databases> open_databases(MDB_env* env, const std::string& dir);

    std::string m_dir;
    std::optional<Sealer> m_sealer; // none until the data key is known
    EnvPtr m_env;
    Databases m_dbs;
};

} // namespace credd
