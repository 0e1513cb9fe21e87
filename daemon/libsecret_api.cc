// LibSecretApi: dlopen and dlsym, once.
#include "libsecret_api.hh"

#include <mutex>
#include <string>

#include <dlfcn.h>

namespace credd {

namespace {

Result<const LibSecretApi*> open_libsecret() {
    // RTLD_NODELETE: GLib registers types and threads that must outlive any handle.
    void* handle = ::dlopen("libsecret-1.so.0", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (handle == nullptr) {
        const char* why = ::dlerror();
        return make_error(Errc::keyring_unavailable,
                          std::string("keyring: cannot load libsecret: ") +
                              (why ? why : "unknown reason"),
                          "install libsecret (Debian: apt install libsecret-1-0), or keep the "
                          "key in a file instead: credd --key-store=file");
    }
    static LibSecretApi api;
    // dlsym on the handle searches libsecret and the libraries it depends on (GLib).
#define CREDD_LIBSECRET_LOOKUP(name)                                                               \
    api.name = reinterpret_cast<decltype(api.name)>(::dlsym(handle, #name));                       \
    if (api.name == nullptr) {                                                                     \
        return make_error(Errc::keyring_unavailable,                                               \
                          "keyring: libsecret has no " #name "; it is too old or broken",          \
                          "install libsecret 0.20 or newer, or: credd --key-store=file");          \
    }
    CREDD_LIBSECRET_FUNCTIONS(CREDD_LIBSECRET_LOOKUP)
#undef CREDD_LIBSECRET_LOOKUP
    return &api;
}

} // namespace

Result<const LibSecretApi*> load_libsecret() {
    static std::once_flag once;
    static Result<const LibSecretApi*> loaded = make_error(Errc::internal, "unset");
    std::call_once(once, [] { loaded = open_libsecret(); });
    return loaded;
}

} // namespace credd
