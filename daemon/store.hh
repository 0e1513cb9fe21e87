// Store: durable storage of credential records and their sealed secrets.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "credential.hh"
#include "error.hh"
#include "sealer.hh"

namespace credd {

// One credential as read back at start-up. `secrets` holds Errc::corrupt when the
// sealed blob does not open (tampered, truncated, other key); the record is still
// listed so the user can see and replace it.
struct LoadedCredential {
    CredentialRecord record;
    Result<SecretMaterial> secrets;
};

// One credential's write in a batch: the record, and its secrets unless only the record
// changes.
struct StoreWrite {
    const CredentialRecord* record;
    const SecretMaterial* secrets; // nullptr: record only
};

// Every write is one transaction and returns only after it is durable on disk, so a
// change can be acknowledged to a client the moment the call returns. Calls block
// (disk, fsync): the daemon makes them from its store worker, never the I/O thread.
// Not thread-safe: one thread at a time.
class Store {
public:
    virtual ~Store() = default;

    virtual Result<std::vector<LoadedCredential>> load_all() = 0;
    // Creates or replaces the record and its secrets, atomically.
    virtual Result<void> put(const CredentialRecord& record, const SecretMaterial& secrets) = 0;
    // Replaces the record only; the sealed secrets stay as they are.
    virtual Result<void> put_record(const CredentialRecord& record) = 0;
    // Several credentials in one durable transaction (all or none), so refresh results
    // that finish together cost one disk flush instead of one each.
    virtual Result<void> put_many(const std::vector<StoreWrite>& writes) = 0;
    // Removes record and secrets; Errc::not_found when there was nothing.
    virtual Result<void> remove(std::string_view name) = 0;

    // Whether secrets here were sealed with some key already (a key check or any sealed
    // secret): such a store must never be handed a newly made key.
    virtual Result<bool> has_key() = 0;
    // Adopts `sealer` for sealing and opening from now on, once its key has opened the
    // store's key check (written on first use). Errc::key_unavailable when it is not
    // this store's key. Until then secrets load as key_unavailable and put() refuses.
    virtual Result<void> set_key(Sealer sealer) = 0;
    // Whether `sealer`'s key opens this store's key check, without adopting it.
    virtual Result<void> verify_key(const Sealer& sealer) = 0;

    // The environment's directory, for daemon.info and messages.
    virtual std::string path() const = 0;
};

} // namespace credd
