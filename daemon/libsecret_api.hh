// LibSecretApi: the libsecret and GLib calls credd makes, loaded with dlopen on first use.
#pragma once

#include <libsecret/secret.h>

#include "error.hh"

namespace credd {

// Function pointers into libsecret-1.so.0 (and the GLib it pulls in), typed from the
// headers. Why not link: a daemon that keeps its key in a file would still map GLib,
// GIO and friends, some 2.4 MiB of resident memory for nothing; loaded on first use,
// they cost only whoever uses the keyring. Loaded once, never unloaded (GLib cannot be).
// Only KeyringKeyStore uses this.
struct LibSecretApi {
#define CREDD_LIBSECRET_FUNCTIONS(X)                                                               \
    X(g_cancellable_cancel)                                                                        \
    X(g_cancellable_new)                                                                           \
    X(g_error_free)                                                                                \
    X(g_error_matches)                                                                             \
    X(g_hash_table_insert)                                                                         \
    X(g_hash_table_new)                                                                            \
    X(g_hash_table_unref)                                                                          \
    X(g_list_free_full)                                                                            \
    X(g_object_unref)                                                                              \
    X(g_str_equal)                                                                                 \
    X(g_str_hash)                                                                                  \
    X(secret_collection_for_alias_sync)                                                            \
    X(secret_collection_get_locked)                                                                \
    X(secret_error_get_quark)                                                                      \
    X(secret_item_delete_sync)                                                                     \
    X(secret_item_get_locked)                                                                      \
    X(secret_item_get_secret)                                                                      \
    X(secret_item_load_secret_sync)                                                                \
    X(secret_item_refresh)                                                                         \
    X(secret_service_get_type)                                                                     \
    X(secret_service_open_sync)                                                                    \
    X(secret_service_search_sync)                                                                  \
    X(secret_service_store_sync)                                                                   \
    X(secret_service_unlock_sync)                                                                  \
    X(secret_value_get)                                                                            \
    X(secret_value_new)                                                                            \
    X(secret_value_unref)
#define CREDD_LIBSECRET_MEMBER(name) decltype(&::name) name = nullptr;
    CREDD_LIBSECRET_FUNCTIONS(CREDD_LIBSECRET_MEMBER)
#undef CREDD_LIBSECRET_MEMBER
};

// The loaded API, or keyring_unavailable saying libsecret is not installed. Thread-safe.
Result<const LibSecretApi*> load_libsecret();

} // namespace credd
