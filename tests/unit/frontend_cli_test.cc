// Parsing `cred kube` and `cred exec`: the command after "--" is taken as it is.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli.hh"

namespace credd::cli {
namespace {

Result<Invocation> parse(std::vector<std::string_view> args) {
    return parse_command_line(args, ParseEnv{0});
}

TEST(ExecCommandLine, DefaultsToCredToken) {
    auto r = parse({"exec", "gh", "--", "gh", "api", "/user"});
    ASSERT_TRUE(r.has_value()) << r.error().message;
    const auto& c = std::get<ExecCommand>(r->command);
    EXPECT_EQ(c.name, "gh");
    EXPECT_EQ(c.env_var, "CRED_TOKEN");
    EXPECT_EQ(c.argv, (std::vector<std::string>{"gh", "api", "/user"}));
}

TEST(ExecCommandLine, TakesEnvBeforeOrAfterTheName) {
    for (auto args : {std::vector<std::string_view>{"exec", "--env", "GH_TOKEN", "gh", "--", "x"},
                      std::vector<std::string_view>{"exec", "gh", "--env=GH_TOKEN", "--", "x"}}) {
        auto r = parse(args);
        ASSERT_TRUE(r.has_value()) << r.error().message;
        EXPECT_EQ(std::get<ExecCommand>(r->command).env_var, "GH_TOKEN");
    }
}

TEST(ExecCommandLine, TheCommandsOwnOptionsAreLeftAlone) {
    // --help and --token belong to the command, not to cred.
    auto r = parse({"exec", "gh", "--", "tool", "--help", "--token=x"});
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(std::get<ExecCommand>(r->command).argv,
              (std::vector<std::string>{"tool", "--help", "--token=x"}));
}

TEST(ExecCommandLine, UsageErrors) {
    EXPECT_EQ(parse({"exec", "gh"}).error(), Errc::invalid_params);
    EXPECT_EQ(parse({"exec", "gh", "--"}).error(), Errc::invalid_params);
    EXPECT_EQ(parse({"exec", "gh", "tool"}).error(), Errc::invalid_params);
    EXPECT_EQ(parse({"exec", "--", "tool"}).error(), Errc::invalid_params);
    EXPECT_EQ(parse({"exec", "gh", "--env", "9X", "--", "tool"}).error(), Errc::invalid_params);
    EXPECT_EQ(parse({"exec", "gh", "--env", "A-B", "--", "tool"}).error(), Errc::invalid_params);
    EXPECT_EQ(parse({"exec", "gh", "--token", "x", "--", "tool"}).error(), Errc::invalid_params);
    EXPECT_EQ(parse({"exec", "bad name", "--", "tool"}).error(), Errc::invalid_params);
}

TEST(ExecCommandLine, HelpBeforeTheSeparatorIsCredsHelp) {
    auto r = parse({"exec", "--help"});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(std::get<HelpCommand>(r->command).topic, CommandKind::exec);
}

TEST(KubeCommandLine, TakesOneName) {
    auto r = parse({"kube", "my-cluster"});
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(std::get<KubeCommand>(r->command).name, "my-cluster");
    EXPECT_EQ(parse({"kube"}).error(), Errc::invalid_params);
    EXPECT_EQ(parse({"kube", "a", "b"}).error(), Errc::invalid_params);
}

} // namespace
} // namespace credd::cli
