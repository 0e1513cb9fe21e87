// KeyringKeyStore: libsecret calls under a deadline; the one place GError is translated.
#include "keyring_key_store.hh"

#include <cstdlib>
#include <functional>
#include <memory>
#include <thread>
#include <utility>

#include <unistd.h>

#include "libsecret_api.hh"

namespace credd {

namespace {

// xdg:schema is matched too (no SECRET_SCHEMA_DONT_MATCH_NAME): only our items count.
const SecretSchema data_key_schema = {
    "org.credd.DataKey",
    SECRET_SCHEMA_NONE,
    {{"store", SECRET_SCHEMA_ATTRIBUTE_STRING}, {nullptr, SECRET_SCHEMA_ATTRIBUTE_STRING}},
    0,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr};

const char* const unavailable_hint =
    "start a keyring inside a D-Bus session (gnome-keyring-daemon --unlock "
    "--components=secrets, which reads the keyring password on stdin), or keep the key in a "
    "file instead: credd --key-store=file";
const char* const locked_hint =
    "unlock the keyring (log in to the desktop, or run gnome-keyring-daemon --replace "
    "--unlock --components=secrets and type its password on stdin), then retry";

Error locked_error(std::string_view what) {
    return make_error(Errc::keyring_locked,
                      "keyring: " + std::string(what) + ": the collection is locked", locked_hint);
}

// Whether a prompt can be shown to someone: without a display nobody would see it, and
// the call would only wait for its deadline.
bool has_display() {
    return std::getenv("DISPLAY") != nullptr || std::getenv("WAYLAND_DISPLAY") != nullptr;
}

// Whether there is a session bus to ask at all. Without one, GIO would try to autolaunch
// a bus through X11 (spawning dbus-launch from a daemon) or fail with a message about
// X11; the plain answer is that there is no session bus. Checked before libsecret is
// even loaded.
Result<void> check_session_bus() {
    const char* address = std::getenv("DBUS_SESSION_BUS_ADDRESS");
    if (address != nullptr && *address != '\0') {
        return {};
    }
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    if (runtime != nullptr && *runtime != '\0' &&
        ::access((std::string(runtime) + "/bus").c_str(), F_OK) == 0) {
        return {}; // the systemd user bus, which GIO finds there
    }
    return make_error(Errc::keyring_unavailable,
                      "keyring: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset)",
                      unavailable_hint);
}

// Fault injection for the tests of a call that ignores cancellation (stuck where GIO does
// not honour it): CREDD_TEST_KEYRING_UNCANCELLABLE=1 makes every call without a
// GCancellable, so it returns only when the Secret Service answers. Unset in normal use.
bool test_uncancellable() {
    const char* v = std::getenv("CREDD_TEST_KEYRING_UNCANCELLABLE");
    return v != nullptr && std::string_view(v) == "1";
}

// Runs `call` on a thread of its own and waits at most `deadline` for its answer.
//
// Why a thread that may be abandoned, rather than only a GCancellable: libsecret's
// synchronous calls honour cancellation between D-Bus messages, but not while GIO
// connects and authenticates to the bus, and a stopped keyring daemon or a wedged
// dbus-daemon can keep a call there indefinitely. So the cancellable is cancelled at the
// deadline (a cooperative call ends promptly) and the caller stops waiting regardless;
// a call that never returns keeps only its own thread and its shared state, which owns
// everything the call touches (a result it writes late is wiped with the state). `calls`
// bounds those threads to one and wakes the caller at once when credd stops.
template <class T>
Result<T> call_with_deadline(const std::shared_ptr<KeyringCalls>& calls,
                             std::chrono::milliseconds deadline, std::string_view what,
                             std::function<Result<T>(const LibSecretApi&, GCancellable*)> call) {
    if (auto bus = check_session_bus(); !bus) {
        return bus.error();
    }
    auto lib = load_libsecret();
    if (!lib) {
        return lib.error();
    }
    // Refused while an abandoned call's thread still runs: one stuck thread at most.
    if (auto free = calls->begin(what); !free) {
        return free.error();
    }
    struct Shared {
        const LibSecretApi& lib;
        GCancellable* cancellable;
        std::shared_ptr<KeyringCalls> calls;
        std::optional<Result<T>> result;
        ~Shared() { lib.g_object_unref(cancellable); }
    };
    auto shared = std::make_shared<Shared>(**lib, (*lib)->g_cancellable_new(), calls);
    std::thread([shared, call = std::move(call),
                 cancellable = test_uncancellable() ? nullptr : shared->cancellable] {
        auto r = call(shared->lib, cancellable);
        shared->calls->end([&] { shared->result.emplace(std::move(r)); });
    }).detach();
    // The result is written under the calls' lock, and read here once wait() has seen it.
    if (!calls->wait(deadline, [&] { return shared->result.has_value(); })) {
        shared->lib.g_cancellable_cancel(shared->cancellable);
        if (calls->cancelled()) {
            return make_error(Errc::keyring_unavailable,
                              "keyring: " + std::string(what) + ": credd is stopping");
        }
        return make_error(Errc::keyring_unavailable,
                          "keyring: " + std::string(what) +
                              ": no answer from the Secret Service within " +
                              std::to_string(deadline.count() / 1000) + " s",
                          "check that the keyring daemon is running and responsive; " +
                              std::string(unavailable_hint));
    }
    return std::move(*shared->result);
}

// One conversation with the Secret Service, on one call_with_deadline thread: our own
// service object (not libsecret's shared one, which keeps its session with whichever
// keyring daemon answered first, so after that daemon is restarted, which is how a
// headless keyring gets unlocked, every call would fail), and GError translated here.
class Conversation {
public:
    Conversation(const LibSecretApi& lib, GCancellable* cancellable)
        : m_lib(lib), m_cancellable(cancellable) {}
    ~Conversation() {
        if (m_service != nullptr) {
            m_lib.g_object_unref(m_service);
        }
    }
    Conversation(const Conversation&) = delete;
    Conversation& operator=(const Conversation&) = delete;

    Result<void> open() {
        GError* err = nullptr;
        m_service = m_lib.secret_service_open_sync(m_lib.secret_service_get_type(), nullptr,
                                                   SECRET_SERVICE_NONE, m_cancellable, &err);
        if (m_service == nullptr) {
            return translate(err, "cannot reach the Secret Service");
        }
        return {};
    }

    // Every item of ours for `store_path`, locked or not; owned by the caller.
    Result<GList*> find_items(const std::string& store_path) {
        GError* err = nullptr;
        GHashTable* attrs = attributes_for(store_path);
        // No SECRET_SEARCH_UNLOCK: a locked item is found as locked, so we decide whether
        // a prompt may appear instead of libsecret raising one nobody can see.
        GList* items = m_lib.secret_service_search_sync(m_service, &data_key_schema, attrs,
                                                        SECRET_SEARCH_ALL, m_cancellable, &err);
        m_lib.g_hash_table_unref(attrs);
        if (err != nullptr) {
            return translate(err, "cannot search for the data key");
        }
        return items;
    }

    void free_items(GList* items) { m_lib.g_list_free_full(items, m_lib.g_object_unref); }

    Result<std::optional<Secret>> read_key(const std::string& store_path, bool prompt) {
        auto items = find_items(store_path);
        if (!items) {
            return items.error();
        }
        if (*items == nullptr) {
            return std::optional<Secret>{};
        }
        auto key = read_item(static_cast<SecretItem*>((*items)->data), store_path, prompt);
        free_items(*items);
        return key;
    }

    Result<void> write_key(const std::string& store_path, const Secret& key) {
        if (!has_display()) {
            if (auto ok = check_default_collection_unlocked(); !ok) {
                return ok; // storing there would raise a prompt nobody sees
            }
        }
        GHashTable* attrs = attributes_for(store_path);
        SecretValue* value =
            m_lib.secret_value_new(key.expose().data(), static_cast<gssize>(key.expose().size()),
                                   "application/octet-stream");
        const std::string label = "credd data key (" + store_path + ")";
        GError* err = nullptr;
        m_lib.secret_service_store_sync(m_service, &data_key_schema, attrs,
                                        SECRET_COLLECTION_DEFAULT, label.c_str(), value,
                                        m_cancellable, &err);
        m_lib.secret_value_unref(value);
        m_lib.g_hash_table_unref(attrs);
        if (err != nullptr) {
            return translate(err, "cannot store the data key");
        }
        return {};
    }

    Result<void> delete_items(const std::string& store_path) {
        auto items = find_items(store_path);
        if (!items) {
            return items.error();
        }
        Result<void> result;
        for (GList* l = *items; l != nullptr && result; l = l->next) {
            GError* err = nullptr;
            if (!m_lib.secret_item_delete_sync(static_cast<SecretItem*>(l->data), m_cancellable,
                                               &err)) {
                result = translate(err, "cannot delete the data key");
            }
        }
        free_items(*items);
        return result;
    }

private:
    // A GError taken over from libsecret and translated into ours. Everything but a
    // locked collection means the same to a user: no usable Secret Service on this bus.
    Error translate(GError* err, std::string_view what) {
        const std::string why = err != nullptr ? err->message : "no reason given";
        const bool locked =
            err != nullptr &&
            m_lib.g_error_matches(err, m_lib.secret_error_get_quark(), SECRET_ERROR_IS_LOCKED);
        if (err != nullptr) {
            m_lib.g_error_free(err);
        }
        return make_error(locked ? Errc::keyring_locked : Errc::keyring_unavailable,
                          "keyring: " + std::string(what) + ": " + why,
                          locked ? locked_hint : unavailable_hint);
    }

    // The table borrows its strings: `store_path` outlives every use of it.
    GHashTable* attributes_for(const std::string& store_path) {
        GHashTable* attrs = m_lib.g_hash_table_new(m_lib.g_str_hash, m_lib.g_str_equal);
        m_lib.g_hash_table_insert(attrs, const_cast<char*>("store"),
                                  const_cast<char*>(store_path.c_str()));
        return attrs;
    }

    Result<void> check_default_collection_unlocked() {
        GError* err = nullptr;
        SecretCollection* collection = m_lib.secret_collection_for_alias_sync(
            m_service, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE, m_cancellable, &err);
        if (err != nullptr) {
            return translate(err, "cannot open the default collection");
        }
        const bool locked = collection != nullptr && m_lib.secret_collection_get_locked(collection);
        if (collection != nullptr) {
            m_lib.g_object_unref(collection);
        }
        return locked ? Result<void>(locked_error("cannot store the data key")) : Result<void>();
    }

    // Unlocks `item` with the desktop's prompt, when `prompt` says someone can answer.
    Result<void> unlock(SecretItem* item, bool prompt) {
        if (!m_lib.secret_item_get_locked(item)) {
            return {};
        }
        if (!prompt) {
            return locked_error("the data key item");
        }
        GList one{item, nullptr, nullptr};
        GError* err = nullptr;
        m_lib.secret_service_unlock_sync(m_service, &one, m_cancellable, nullptr, &err);
        if (err != nullptr) {
            return translate(err, "cannot unlock the data key");
        }
        m_lib.secret_item_refresh(item);
        if (m_lib.secret_item_get_locked(item)) {
            return locked_error("the data key item (the unlock prompt was dismissed)");
        }
        return {};
    }

    Result<std::optional<Secret>> read_item(SecretItem* item, const std::string& store_path,
                                            bool prompt) {
        if (auto ok = unlock(item, prompt); !ok) {
            return ok.error();
        }
        GError* err = nullptr;
        if (!m_lib.secret_item_load_secret_sync(item, m_cancellable, &err)) {
            return translate(err, "cannot read the data key");
        }
        SecretValue* value = m_lib.secret_item_get_secret(item);
        gsize length = 0;
        const gchar* bytes = value != nullptr ? m_lib.secret_value_get(value, &length) : nullptr;
        std::optional<Secret> key;
        if (bytes != nullptr && length == data_key_bytes) {
            key.emplace(std::string_view(bytes, length));
        }
        if (value != nullptr) {
            m_lib.secret_value_unref(value);
        }
        if (!key) {
            return make_error(Errc::corrupt,
                              "keyring: the data key item for " + store_path + " holds " +
                                  std::to_string(length) + " bytes, expected " +
                                  std::to_string(data_key_bytes),
                              "restore the keyring from a backup; the stored secrets stay "
                              "sealed until the right key is back");
        }
        return key;
    }

    const LibSecretApi& m_lib;
    GCancellable* m_cancellable;
    SecretService* m_service = nullptr;
};

} // namespace

KeyringKeyStore::KeyringKeyStore(std::string store_path, KeyringTimeouts timeouts,
                                 std::shared_ptr<KeyringCalls> calls)
    : m_store_path(std::move(store_path)), m_timeouts(timeouts),
      m_calls(calls ? std::move(calls) : std::make_shared<KeyringCalls>()) {}

std::string KeyringKeyStore::location() const {
    return "Secret Service item \"credd data key\" (store=" + m_store_path + ")";
}

Result<std::optional<Secret>> KeyringKeyStore::load() {
    const auto read = [path = m_store_path](bool prompt) {
        return [path, prompt](const LibSecretApi& lib,
                              GCancellable* c) -> Result<std::optional<Secret>> {
            Conversation talk(lib, c);
            if (auto opened = talk.open(); !opened) {
                return opened.error();
            }
            return talk.read_key(path, prompt);
        };
    };
    auto key = call_with_deadline<std::optional<Secret>>(m_calls, m_timeouts.call,
                                                         "reading the data key", read(false));
    if (key || key.error() != Errc::keyring_locked || !has_display()) {
        return key;
    }
    // Locked, and someone may be at the screen: ask again with the unlock prompt, under
    // the longer deadline of a person typing a password.
    return call_with_deadline<std::optional<Secret>>(m_calls, m_timeouts.prompt,
                                                     "unlocking the data key", read(true));
}

Result<void> KeyringKeyStore::save(const Secret& key) {
    const auto deadline = has_display() ? m_timeouts.prompt : m_timeouts.call;
    return call_with_deadline<void>(
        m_calls, deadline, "storing the data key",
        [path = m_store_path, key = std::make_shared<Secret>(key.clone())](
            const LibSecretApi& lib, GCancellable* c) -> Result<void> {
            Conversation talk(lib, c);
            if (auto opened = talk.open(); !opened) {
                return opened;
            }
            auto existing = talk.read_key(path, has_display());
            if (!existing) {
                return existing.error();
            }
            if (!*existing) {
                return talk.write_key(path, *key);
            }
            if ((*existing)->equals(key->expose())) {
                return {};
            }
            return make_error(Errc::key_unavailable,
                              "keyring: holds a different data key for " + path +
                                  "; not replacing it",
                              "if it belongs to no store any more, delete it: secret-tool "
                              "clear store '" +
                                  path + "'");
        });
}

Result<void> KeyringKeyStore::erase() {
    return call_with_deadline<void>(
        m_calls, m_timeouts.call, "deleting the data key",
        [path = m_store_path](const LibSecretApi& lib, GCancellable* c) -> Result<void> {
            Conversation talk(lib, c);
            if (auto opened = talk.open(); !opened) {
                return opened;
            }
            return talk.delete_items(path);
        });
}

} // namespace credd
