// FileKeyStore: the data key in a 0600 file, used only when the user opts in.
#pragma once

#include "key_store.hh"

namespace credd {

// Keeps the data key as 32 raw bytes in `path` (normally $XDG_CONFIG_HOME/credd/key).
// The directory is made private, the file is created 0600 with O_EXCL, and an
// existing file is refused unless it is ours, regular, 0600-or-stricter and exactly
// 32 bytes. A key file protects against nothing that can read the user's files; it
// exists for headless machines without a Secret Service, and status says so.
class FileKeyStore final : public KeyStore {
public:
    explicit FileKeyStore(std::string path);
    Result<std::optional<Secret>> load() override;
    Result<void> save(const Secret& key) override;
    Result<void> erase() override;
    // The key, creating the file with a new random key when there is none.
    Result<Secret> load_or_create();
    std::string protection() const override { return "file"; }
    std::string location() const override { return m_path; }

private:
    std::string m_path;
};

} // namespace credd
