// KeyringKeyStore: libsecret calls under a deadline; the one place GError is translated.
#include "keyring_key_store.hh"

#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include <libsecret/secret.h>

#include <unistd.h>

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

// Owning handles for the GObject and GLib values that pass through here.
struct GObjectUnref {
    void operator()(gpointer p) const noexcept { g_object_unref(p); }
};
template <class T>
using GPtr = std::unique_ptr<T, GObjectUnref>;
struct ItemListFree {
    void operator()(GList* l) const noexcept { g_list_free_full(l, g_object_unref); }
};
using ItemList = std::unique_ptr<GList, ItemListFree>;
struct ValueUnref {
    void operator()(SecretValue* v) const noexcept { secret_value_unref(v); }
};
using ValuePtr = std::unique_ptr<SecretValue, ValueUnref>;
struct HashUnref {
    void operator()(GHashTable* h) const noexcept { g_hash_table_unref(h); }
};
using Attributes = std::unique_ptr<GHashTable, HashUnref>;

// A GError taken over from libsecret and translated into ours. Everything but a locked
// collection means the same to a user: no usable Secret Service on this bus.
Error translate(GError* raw, std::string_view what) {
    std::unique_ptr<GError, decltype(&g_error_free)> err(raw, g_error_free);
    const std::string why = err ? err->message : "no reason given";
    if (err && g_error_matches(err.get(), SECRET_ERROR, SECRET_ERROR_IS_LOCKED)) {
        return make_error(Errc::keyring_locked, "keyring: " + std::string(what) + ": " + why,
                          locked_hint);
    }
    return make_error(Errc::keyring_unavailable, "keyring: " + std::string(what) + ": " + why,
                      unavailable_hint);
}

Error locked_error(std::string_view what) {
    return make_error(Errc::keyring_locked,
                      "keyring: " + std::string(what) + ": the collection is locked", locked_hint);
}

// Whether a prompt can be shown to someone: without a display nobody would see it, and
// the call would only wait for its deadline.
bool has_display() {
    return std::getenv("DISPLAY") != nullptr || std::getenv("WAYLAND_DISPLAY") != nullptr;
}

// Runs `call` on a thread of its own and waits at most `deadline` for its answer.
//
// Why a thread that may be abandoned, rather than only a GCancellable: libsecret's
// synchronous calls honour cancellation between D-Bus messages, but not while GIO
// connects and authenticates to the bus, and a stopped keyring daemon or a wedged
// dbus-daemon can keep a call there indefinitely. So the cancellable is cancelled at the
// deadline (a cooperative call ends promptly) and the caller stops waiting regardless;
// a call that never returns keeps only its own thread and its shared state, which owns
// everything it touches, and whatever it yields late is wiped and dropped.
template <class T>
Result<T> call_with_deadline(std::chrono::milliseconds deadline, std::string_view what,
                             std::function<Result<T>(GCancellable*)> call) {
    struct Shared {
        std::mutex mutex;
        std::condition_variable done;
        std::optional<Result<T>> result;
        GPtr<GCancellable> cancellable{g_cancellable_new()};
    };
    auto shared = std::make_shared<Shared>();
    std::thread([shared, call = std::move(call)] {
        auto r = call(shared->cancellable.get());
        const std::lock_guard lock(shared->mutex);
        shared->result.emplace(std::move(r));
        shared->done.notify_one();
    }).detach();
    std::unique_lock lock(shared->mutex);
    if (!shared->done.wait_for(lock, deadline, [&] { return shared->result.has_value(); })) {
        g_cancellable_cancel(shared->cancellable.get());
        return make_error(Errc::keyring_unavailable,
                          "keyring: " + std::string(what) +
                              ": no answer from the Secret "
                              "Service within " +
                              std::to_string(deadline.count() / 1000) + " s",
                          "check that the keyring daemon is running and responsive; " +
                              std::string(unavailable_hint));
    }
    return std::move(*shared->result);
}

Attributes attributes_for(const std::string& store_path) {
    // The table borrows its strings: `store_path` outlives every use of it.
    Attributes attrs(g_hash_table_new(g_str_hash, g_str_equal));
    g_hash_table_insert(attrs.get(), const_cast<char*>("store"),
                        const_cast<char*>(store_path.c_str()));
    return attrs;
}

// Whether there is a session bus to ask at all. Without one, GIO would try to autolaunch
// a bus through X11 (spawning dbus-launch from a daemon) or fail with a message about
// X11; the plain answer is that there is no session bus.
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

// A service object of our own, not libsecret's shared one: the shared one keeps its
// session with whichever keyring daemon answered first, and after that daemon is
// restarted (which is how a headless keyring gets unlocked) every call would fail.
Result<GPtr<SecretService>> connect(GCancellable* c) {
    if (auto bus = check_session_bus(); !bus) {
        return bus.error();
    }
    GError* err = nullptr;
    SecretService* service =
        secret_service_open_sync(SECRET_TYPE_SERVICE, nullptr, SECRET_SERVICE_NONE, c, &err);
    if (service == nullptr) {
        return translate(err, "cannot reach the Secret Service");
    }
    return GPtr<SecretService>(service);
}

Result<ItemList> find_items(SecretService* service, const std::string& store_path,
                            GCancellable* c) {
    GError* err = nullptr;
    const auto attrs = attributes_for(store_path);
    // No SECRET_SEARCH_UNLOCK: a locked item is found as locked, so we decide whether a
    // prompt may appear instead of libsecret raising one nobody can see.
    GList* items = secret_service_search_sync(service, &data_key_schema, attrs.get(),
                                              SECRET_SEARCH_ALL, c, &err);
    if (err != nullptr) {
        return translate(err, "cannot search for the data key");
    }
    return ItemList(items);
}

// Unlocks `item` with the desktop's prompt, when `prompt` says someone can answer it.
Result<void> unlock(SecretService* service, SecretItem* item, bool prompt, GCancellable* c) {
    if (!secret_item_get_locked(item)) {
        return {};
    }
    if (!prompt) {
        return locked_error("the data key item");
    }
    GList one{item, nullptr, nullptr};
    GError* err = nullptr;
    secret_service_unlock_sync(service, &one, c, nullptr, &err);
    if (err != nullptr) {
        return translate(err, "cannot unlock the data key");
    }
    secret_item_refresh(item);
    if (secret_item_get_locked(item)) {
        return locked_error("the data key (the unlock prompt was dismissed)");
    }
    return {};
}

Result<std::optional<Secret>> read_key(SecretService* service, const std::string& store_path,
                                       bool prompt, GCancellable* c) {
    auto items = find_items(service, store_path, c);
    if (!items) {
        return items.error();
    }
    if (!*items) {
        return std::optional<Secret>{};
    }
    auto* item = static_cast<SecretItem*>((*items)->data);
    if (auto ok = unlock(service, item, prompt, c); !ok) {
        return ok.error();
    }
    GError* err = nullptr;
    if (!secret_item_load_secret_sync(item, c, &err)) {
        return translate(err, "cannot read the data key");
    }
    const ValuePtr value(secret_item_get_secret(item));
    gsize length = 0;
    const gchar* bytes = value ? secret_value_get(value.get(), &length) : nullptr;
    if (bytes == nullptr || length != data_key_bytes) {
        return make_error(Errc::corrupt,
                          "keyring: the data key item for " + store_path + " holds " +
                              std::to_string(length) + " bytes, expected " +
                              std::to_string(data_key_bytes),
                          "restore the keyring from a backup; the stored secrets stay sealed "
                          "until the right key is back");
    }
    return std::optional<Secret>(Secret(std::string_view(bytes, length)));
}

Result<void> write_key(SecretService* service, const std::string& store_path,
                       const std::string& label, const Secret& key, GCancellable* c) {
    GError* err = nullptr;
    if (!has_display()) {
        // Storing into a locked collection would raise a prompt nobody sees.
        const GPtr<SecretCollection> collection(secret_collection_for_alias_sync(
            service, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE, c, &err));
        if (err != nullptr) {
            return translate(err, "cannot open the default collection");
        }
        if (collection && secret_collection_get_locked(collection.get())) {
            return locked_error("cannot store the data key");
        }
    }
    const auto attrs = attributes_for(store_path);
    const ValuePtr value(secret_value_new(
        key.expose().data(), static_cast<gssize>(key.expose().size()), "application/octet-stream"));
    if (!secret_service_store_sync(service, &data_key_schema, attrs.get(),
                                   SECRET_COLLECTION_DEFAULT, label.c_str(), value.get(), c,
                                   &err)) {
        return translate(err, "cannot store the data key");
    }
    return {};
}

} // namespace

KeyringKeyStore::KeyringKeyStore(std::string store_path, KeyringTimeouts timeouts)
    : m_store_path(std::move(store_path)), m_timeouts(timeouts) {}

std::string KeyringKeyStore::location() const {
    return "Secret Service item \"credd data key\" (store=" + m_store_path + ")";
}

Result<std::optional<Secret>> KeyringKeyStore::load() {
    const auto read = [path = m_store_path](bool prompt) {
        return [path, prompt](GCancellable* c) -> Result<std::optional<Secret>> {
            auto service = connect(c);
            if (!service) {
                return service.error();
            }
            return read_key(service->get(), path, prompt, c);
        };
    };
    auto key = call_with_deadline<std::optional<Secret>>(m_timeouts.call, "reading the data key",
                                                         read(false));
    if (key || key.error() != Errc::keyring_locked || !has_display()) {
        return key;
    }
    // Locked, and someone may be at the screen: ask again with the unlock prompt, under
    // the longer deadline of a person typing a password.
    return call_with_deadline<std::optional<Secret>>(m_timeouts.prompt, "unlocking the data key",
                                                     read(true));
}

Result<void> KeyringKeyStore::save(const Secret& key) {
    const auto deadline = has_display() ? m_timeouts.prompt : m_timeouts.call;
    return call_with_deadline<void>(
        deadline, "storing the data key",
        [path = m_store_path, label = "credd data key (" + m_store_path + ")",
         key = std::make_shared<Secret>(key.clone())](GCancellable* c) -> Result<void> {
            auto service = connect(c);
            if (!service) {
                return service.error();
            }
            auto existing = read_key(service->get(), path, has_display(), c);
            if (!existing) {
                return existing.error();
            }
            if (*existing) {
                if ((*existing)->equals(key->expose())) {
                    return {};
                }
                return make_error(Errc::key_unavailable,
                                  "keyring: holds a different data key for " + path +
                                      "; not replacing it",
                                  "if it belongs to no store any more, delete it: secret-tool "
                                  "clear store '" +
                                      path + "'");
            }
            return write_key(service->get(), path, label, *key, c);
        });
}

Result<void> KeyringKeyStore::erase() {
    return call_with_deadline<void>(
        m_timeouts.call, "deleting the data key",
        [path = m_store_path](GCancellable* c) -> Result<void> {
            auto service = connect(c);
            if (!service) {
                return service.error();
            }
            auto items = find_items(service->get(), path, c);
            if (!items) {
                return items.error();
            }
            for (GList* l = items->get(); l != nullptr; l = l->next) {
                GError* err = nullptr;
                if (!secret_item_delete_sync(static_cast<SecretItem*>(l->data), c, &err)) {
                    return translate(err, "cannot delete the data key");
                }
            }
            return {};
        });
}

} // namespace credd
