// Tests for credd's command line: the key store options.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "options.hh"

namespace credd {
namespace {

Result<DaemonOptions> parse(std::vector<std::string> args) {
    return parse_daemon_options(args);
}

TEST(DaemonOptions, KeyStoreDefaultsToAuto) {
    const auto o = parse({});
    ASSERT_TRUE(o);
    EXPECT_EQ(o->key_store, "auto");
    EXPECT_EQ(o->keyring_timeout, std::chrono::seconds(10));
}

TEST(DaemonOptions, KeyStoreTakesKeyringFileOrAuto) {
    for (const char* store : {"keyring", "file", "auto"}) {
        const auto o = parse({std::string("--key-store=") + store});
        ASSERT_TRUE(o) << store;
        EXPECT_EQ(o->key_store, store);
    }
    const auto o = parse({"--key-store", "plaintext"});
    ASSERT_FALSE(o);
    EXPECT_EQ(o.error().code, Errc::invalid_params);
}

TEST(DaemonOptions, KeyringTimeoutIsSecondsInRange) {
    const auto o = parse({"--keyring-timeout", "3"});
    ASSERT_TRUE(o);
    EXPECT_EQ(o->keyring_timeout, std::chrono::seconds(3));
    EXPECT_FALSE(parse({"--keyring-timeout", "0"}));
    EXPECT_FALSE(parse({"--keyring-timeout", "601"}));
}

} // namespace
} // namespace credd
