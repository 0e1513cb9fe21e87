// cred keystore migrate waits as long as the daemon's keyring deadlines can add up to.
#include <gtest/gtest.h>

#include "commands.hh"
#include "keyring_key_store.hh"

namespace credd {
namespace {

TEST(KeystoreMigrateTimeout, OutlastsTheDaemonsLongestChainOfKeyringSteps) {
    const KeyringTimeouts daemon_defaults;
    const auto load = daemon_defaults.call + daemon_defaults.prompt; // a call, then a prompt
    const auto save = daemon_defaults.prompt;
    const auto erase = daemon_defaults.call;
    // The key loaded first, then read again, stored, read back, and the old copy deleted.
    EXPECT_GT(keystore_migrate_timeout(), load + load + save + load + erase);
}

} // namespace
} // namespace credd
