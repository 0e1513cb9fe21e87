// Parsing a cred command line in tests: at a fixed "now", into the command expected.
#pragma once

#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "cli.hh"

namespace credd::test {

inline constexpr UnixMs test_now = 1'700'000'000'000;

inline Result<cli::Invocation> parse(std::vector<std::string_view> args) {
    return cli::parse_command_line(args, cli::ParseEnv{test_now});
}

// The command `args` parse to, which must be a C (a failed expectation, and C{}, if not).
template <class C>
C parse_as(std::vector<std::string_view> args) {
    auto invocation = parse(std::move(args));
    EXPECT_TRUE(invocation) << (invocation ? "" : invocation.error().message);
    const C* command = invocation ? std::get_if<C>(&invocation->command) : nullptr;
    EXPECT_NE(command, nullptr) << "parsed to another command";
    return command ? *command : C{};
}

} // namespace credd::test
