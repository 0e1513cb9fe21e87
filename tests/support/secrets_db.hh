// SecretsDb: direct access to the "secrets" database of a stopped daemon's LMDB store.
#pragma once

#include <optional>
#include <string>
#include <vector>

struct MDB_env;

namespace credd::test {

// Opens credd's LMDB environment behind the daemon's back, to read sealed blobs and
// to damage them the way a disk fault or an attacker would. Tests write only while the
// daemon is stopped; reading alongside a running daemon is fine (LMDB readers do not
// block writers). Owned by the test; one per open.
class SecretsDb {
public:
    explicit SecretsDb(const std::string& data_dir);
    ~SecretsDb();
    SecretsDb(const SecretsDb&) = delete;
    SecretsDb& operator=(const SecretsDb&) = delete;

    bool is_open() const { return m_env != nullptr; }
    const std::string& error() const { return m_error; }

    std::optional<std::string> read(const std::string& name);
    bool write(const std::string& name, const std::string& blob);
    std::vector<std::string> names();

private:
    MDB_env* m_env = nullptr;
    std::string m_error;
};

} // namespace credd::test
