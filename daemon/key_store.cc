// KeyStore: making a new data key.
#include "key_store.hh"

#include <openssl/rand.h>

namespace credd {

Result<Secret> generate_data_key() {
    std::string key(data_key_bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) !=
        1) {
        wipe(key);
        return make_error(Errc::internal, "data key: no random bytes for a new key");
    }
    return Secret::adopt(key);
}

} // namespace credd
