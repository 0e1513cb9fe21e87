// KeyGate: choosing the key store, loading the key off the I/O thread, and migration.
#include "key_gate.hh"

#include <csignal>
#include <cstdlib>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

#include "broker.hh"
#include "file_key_store.hh"
#include "worker.hh"

namespace credd {

struct ResolvedKey {
    std::unique_ptr<KeyStore> store;
    Secret key;
};

namespace {

std::unique_ptr<KeyStore> make_key_store(std::string_view kind, const KeyGateOptions& o) {
    if (kind == "file") {
        return std::make_unique<FileKeyStore>(o.key_file);
    }
    return std::make_unique<KeyringKeyStore>(o.store_path, o.timeouts, o.calls);
}

// A store that has sealed secrets gets no new key: its own may only be missing for now
// (a keyring restored later, a key file on another disk), and a new one would open
// nothing anyway.
Error missing_key(const KeyStore& where, const KeyGateOptions& o) {
    return make_error(
        Errc::key_unavailable,
        "data key: not found in " + where.location() + "; the store " + o.store_path +
            " holds secrets sealed with it, so no new key is made and the sealed data stays "
            "untouched",
        "bring the key back (restore the keyring or the key file " + o.key_file +
            " from a backup) and retry; if it was moved, start credd with --key-store=auto");
}

Result<ResolvedKey> create_in(std::unique_ptr<KeyStore> store) {
    auto key = generate_data_key();
    if (!key) {
        return key.error();
    }
    if (auto saved = store->save(*key); !saved) {
        return saved.error();
    }
    spdlog::info("created a new data key in {}", store->location());
    return ResolvedKey{std::move(store), std::move(*key)};
}

// The key from `store`, a new one there when the store may get one, or nullopt.
Result<std::optional<ResolvedKey>> take_from(std::unique_ptr<KeyStore>& store) {
    auto key = store->load();
    if (!key) {
        return key.error();
    }
    if (!*key) {
        return std::optional<ResolvedKey>{};
    }
    return std::optional<ResolvedKey>(ResolvedKey{std::move(store), std::move(**key)});
}

std::string_view other_kind(std::string_view kind) {
    return kind == "file" ? "keyring" : "file";
}

// The key of an explicit --key-store is missing but the store has one: when the other
// kind holds a key (a `cred keystore migrate` under this flag moved it), say so and how
// to start; it is not taken (the flag pins the store), and nothing is made.
Error missing_key_in(const KeyStore& where, const KeyGateOptions& o) {
    const auto other = make_key_store(other_kind(o.mode), o);
    auto there = other->load();
    if (!there || !*there) {
        return missing_key(where, o);
    }
    return make_error(Errc::key_unavailable,
                      "data key: not in " + where.location() + " (--key-store=" + o.mode +
                          "), but " + other->location() +
                          " holds one (cred keystore migrate moved it there?); the sealed "
                          "data stays untouched",
                      "start credd with --key-store=" + std::string(other_kind(o.mode)) +
                          ", or --key-store=auto, which finds the key in either");
}

// One explicit store: its key, else a new one if the data store has none yet.
Result<ResolvedKey> resolve_in(std::unique_ptr<KeyStore> store, const KeyGateOptions& o,
                               bool store_has_key) {
    auto found = take_from(store);
    if (!found) {
        return found.error();
    }
    if (*found) {
        return std::move(**found);
    }
    if (store_has_key) {
        return missing_key_in(*store, o);
    }
    return create_in(std::move(store));
}

// --key-store=auto. The keyring first; an existing key file next (a migration to a file,
// or a user who chose one before); a new key in the keyring only when the store has none
// and a Secret Service answered. Never a new key file: that needs --key-store=file.
Result<ResolvedKey> resolve_auto(const KeyGateOptions& o, bool store_has_key) {
    auto keyring = make_key_store("keyring", o);
    auto from_keyring = take_from(keyring);
    if (from_keyring && *from_keyring) {
        return std::move(**from_keyring);
    }
    if (!from_keyring && from_keyring.error() == Errc::keyring_locked) {
        return from_keyring.error(); // it is there: wait for the unlock, take nothing else
    }
    auto file = make_key_store("file", o);
    auto from_file = take_from(file);
    if (!from_file) {
        return from_file.error();
    }
    if (*from_file) {
        if (!from_keyring) {
            spdlog::warn("{}; using the existing key file {} (--key-store=auto)",
                         from_keyring.error().message, o.key_file);
        } else {
            spdlog::info("using the existing key file {} (--key-store=auto)", o.key_file);
        }
        return std::move(**from_file);
    }
    if (!from_keyring) {
        return from_keyring.error();
    }
    if (store_has_key) {
        return missing_key(*keyring, o);
    }
    return create_in(std::move(keyring));
}

Result<ResolvedKey> resolve_key(const KeyGateOptions& o, bool store_has_key) {
    if (o.mode == "auto") {
        return resolve_auto(o, store_has_key);
    }
    return resolve_in(make_key_store(o.mode, o), o, store_has_key);
}

// Fault injection for the tests of an interrupted migration: CREDD_TEST_KILL_MIGRATION_AT
// names a step ("written", "verified", "switched") at which the daemon kills itself the
// way a crash or a power cut would. Unset in normal use.
void maybe_die_at(std::string_view step) {
    const char* at = std::getenv("CREDD_TEST_KILL_MIGRATION_AT");
    if (at != nullptr && step == at) {
        std::raise(SIGKILL);
    }
}

} // namespace

std::string_view key_state_name(KeyState s) {
    switch (s) {
    case KeyState::loading:
        return "loading";
    case KeyState::ready:
        return "ready";
    case KeyState::failed:
        return "failed";
    }
    return "failed";
}

KeyGate::KeyGate(KeyGateOptions options, Broker& broker, Worker& worker, bool store_has_key)
    : m_options(std::move(options)), m_broker(broker), m_worker(worker),
      m_store_has_key(store_has_key), m_protection("none") {
    if (!m_options.calls) {
        m_options.calls = std::make_shared<KeyringCalls>();
    }
    if (m_options.mode != "auto") {
        const auto store = make_key_store(m_options.mode, m_options);
        m_protection = store->protection();
        m_location = store->location();
    }
}

KeyGate::~KeyGate() = default;

void KeyGate::start() {
    load();
}

void KeyGate::cancel() {
    m_options.calls->cancel();
}

void KeyGate::when_ready(std::function<void(Result<void>)> done) {
    if (m_state == KeyState::ready) {
        return done({});
    }
    m_waiting.push_back(std::move(done));
    if (!m_busy) {
        load(); // a failed load is retried by the next request that needs the key
    }
}

void KeyGate::load() {
    m_busy = true;
    m_state = KeyState::loading;
    auto result = std::make_shared<Result<ResolvedKey>>(make_error(Errc::internal, "unset"));
    m_worker.submit(
        [result, o = m_options, has_key = m_store_has_key] { *result = resolve_key(o, has_key); },
        [this, result] { loaded(std::move(*result)); });
}

void KeyGate::loaded(Result<ResolvedKey> resolved) {
    if (!resolved) {
        return finish(resolved.error());
    }
    auto store = std::make_shared<std::unique_ptr<KeyStore>>(std::move(resolved->store));
    m_broker.unlock(Sealer(std::move(resolved->key)), [this, store](Result<void> unlocked) {
        if (unlocked) {
            m_store = std::move(*store);
            m_protection = m_store->protection();
            m_location = m_store->location();
            m_store_has_key = true;
            spdlog::info("data key loaded from {}", m_location);
        }
        finish(unlocked);
    });
}

void KeyGate::finish(Result<void> result) {
    m_busy = false;
    if (result) {
        m_state = KeyState::ready;
        m_error.reset();
    } else {
        // Once per distinct failure: every request that needs the key retries, and a
        // client polling a daemon without a keyring must not flood the log.
        if (!m_error || m_error->message != result.error().message) {
            spdlog::warn("{}", result.error().message);
            if (!result.error().hint.empty()) {
                spdlog::warn("hint: {}", result.error().hint);
            }
        }
        m_state = KeyState::failed;
        m_error = result.error();
    }
    auto waiting = std::move(m_waiting);
    m_waiting.clear();
    for (auto& done : waiting) {
        done(result);
    }
}

struct MigrationStep {
    std::unique_ptr<KeyStore> target;
    std::optional<Secret> written; // the key read back from the target
    bool removed_copy = false;
};

namespace {

// On the worker: copy the key from `from` to `target` and read it back.
Result<void> copy_key(KeyStore& from, KeyStore& target, MigrationStep& step) {
    auto key = from.load();
    if (!key) {
        return key.error();
    }
    if (!*key) {
        return make_error(Errc::key_unavailable,
                          "keystore: the data key is gone from " + from.location(),
                          "see: cred keystore");
    }
    if (auto saved = target.save(**key); !saved) {
        return saved.error();
    }
    maybe_die_at("written");
    auto back = target.load();
    if (!back) {
        return back.error();
    }
    if (!*back || !(*back)->equals((*key)->expose())) {
        return make_error(Errc::io_error, "keystore: the key written to " + target.location() +
                                              " does not read back the same");
    }
    step.written = std::move(**back);
    return {};
}

// On the worker, when the key already lives in `current`: delete a copy an interrupted
// migration left in `other`, if it is the same key (anything else is not ours to touch).
bool remove_leftover(KeyStore& current, KeyStore& other) {
    auto ours = current.load();
    auto theirs = other.load();
    if (!ours || !*ours || !theirs || !*theirs || !(*theirs)->equals((*ours)->expose())) {
        return false;
    }
    return static_cast<bool>(other.erase());
}

} // namespace

void KeyGate::migrate(const std::string& to, std::function<void(Result<MigrationOutcome>)> done) {
    if (m_state != KeyState::ready) {
        // The key first (a load, or a retry after a failure); then the move.
        return when_ready([this, to, done](Result<void> ready) {
            if (!ready) {
                return done(ready.error());
            }
            migrate(to, done);
        });
    }
    if (m_busy || !m_store) {
        return done(make_error(Errc::key_unavailable, "keystore: another migration is running",
                               "retry in a moment; see: cred keystore"));
    }
    m_busy = true;
    auto step = std::make_shared<MigrationStep>();
    step->target = make_key_store(to, m_options);
    KeyStore* current = m_store.get();
    if (to == m_protection) {
        auto other = std::shared_ptr<KeyStore>(make_key_store(other_kind(to), m_options));
        m_worker.submit(
            [step, current, other] { step->removed_copy = remove_leftover(*current, *other); },
            [this, step, done] {
                m_busy = false;
                done(MigrationOutcome{m_protection, m_location, false, step->removed_copy});
            });
        return;
    }
    auto copied = std::make_shared<Result<void>>();
    m_worker.submit([step, current, copied] { *copied = copy_key(*current, *step->target, *step); },
                    [this, step, copied, done] {
                        if (!*copied) {
                            m_busy = false;
                            return done(copied->error());
                        }
                        // Verify by unsealing: the copy must open this store's key check.
                        m_broker.verify_key(Sealer(std::move(*step->written)),
                                            [this, step, done](Result<void> verified) {
                                                if (!verified) {
                                                    m_busy = false;
                                                    return done(verified.error());
                                                }
                                                maybe_die_at("verified");
                                                finish_migration(step, done);
                                            });
                    });
}

void KeyGate::finish_migration(std::shared_ptr<MigrationStep> step,
                               std::function<void(Result<MigrationOutcome>)> done) {
    // Switch first, delete after: from here on the new copy is the one used, and a kill
    // before the deletion leaves only a same-key copy behind, which the next
    // `cred keystore migrate` (or nothing at all) takes care of.
    auto old = std::shared_ptr<KeyStore>(std::move(m_store));
    m_store = std::move(step->target);
    m_protection = m_store->protection();
    m_location = m_store->location();
    spdlog::info("data key moved from {} to {}", old->location(), m_location);
    if (m_options.mode != "auto" && m_options.mode != m_protection) {
        spdlog::warn("credd runs with --key-store={}: start it next time with --key-store={} "
                     "(or auto), or it will not find the key",
                     m_options.mode, m_protection);
    }
    maybe_die_at("switched");
    auto erased = std::make_shared<Result<void>>();
    m_worker.submit(
        [old, erased] { *erased = old->erase(); },
        [this, old, erased, done] {
            m_busy = false;
            if (!*erased) {
                return done(make_error(
                    erased->error().code,
                    "keystore: the key now lives in " + m_location + ", but its old copy in " +
                        old->location() + " was not deleted: " + erased->error().message,
                    "delete it by running again: cred keystore migrate --to " + m_protection));
            }
            done(MigrationOutcome{m_protection, m_location, true, false});
        });
}

} // namespace credd
