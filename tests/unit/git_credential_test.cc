// git's credential-helper protocol: parsing what git sends, formatting what credd answers.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "git_credential.hh"

namespace credd::git {
namespace {

Operation op(std::vector<std::string_view> args) {
    return operation_of(args);
}

TEST(GitOperation, IsTheLastArgument) {
    EXPECT_EQ(op({"get"}), Operation::get);
    EXPECT_EQ(op({"--socket", "/x", "store"}), Operation::store);
    EXPECT_EQ(op({"--flag", "erase"}), Operation::erase);
    EXPECT_EQ(op({"get", "frobnicate"}), Operation::unknown);
    EXPECT_EQ(op({}), Operation::unknown);
}

TEST(GitRequest, ReadsEveryAttribute) {
    auto r = parse_request("protocol=https\nhost=example.com:8443\npath=org/repo.git\n"
                           "username=alice\npassword=pw\npassword_expiry_utc=1798675200\n"
                           "oauth_refresh_token=rt\nwwwauth[]=Basic realm=\"x\"\n"
                           "capability[]=authtype\ncapability[]=state\nauthtype=Bearer\n"
                           "credential=c\nephemeral=1\nstate[]=s1\ncontinue=1\nunknown=ok\n\n");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->protocol, "https");
    EXPECT_EQ(r->host, "example.com:8443");
    EXPECT_EQ(r->path, "org/repo.git");
    EXPECT_EQ(r->username, "alice");
    EXPECT_TRUE(r->password.equals("pw"));
    EXPECT_EQ(r->password_expiry_utc, 1798675200);
    EXPECT_TRUE(r->oauth_refresh_token.equals("rt"));
    EXPECT_EQ(r->wwwauth, std::vector<std::string>{"Basic realm=\"x\""});
    EXPECT_TRUE(r->has_capability("authtype"));
    EXPECT_EQ(r->authtype, "Bearer");
    EXPECT_TRUE(r->credential.equals("c"));
    EXPECT_TRUE(r->ephemeral);
    EXPECT_EQ(r->state, std::vector<std::string>{"s1"});
    EXPECT_TRUE(r->continue_);
}

TEST(GitRequest, StopsAtTheBlankLine) {
    auto r = parse_request("protocol=https\nhost=a.example\n\nhost=b.example\n");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->host, "a.example");
}

TEST(GitRequest, SplitsUrlLikeGit) {
    auto r = parse_request("username=old\nurl=https://bob@example.com:444/org/repo.git\n");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->protocol, "https");
    EXPECT_EQ(r->host, "example.com:444");
    EXPECT_EQ(r->path, "org/repo.git");
    EXPECT_EQ(r->username, "bob");
    EXPECT_EQ(credd_url(*r), "https://example.com:444/org/repo.git");
}

TEST(GitRequest, IgnoresAnUnreadableExpiry) {
    for (const char* value : {"soon", "-1", "12x", "99999999999999999999999",
                              "253402300800" /* past 9999-12-31: would overflow ms */}) {
        auto r = parse_request(std::string("password_expiry_utc=") + value + "\n");
        ASSERT_TRUE(r.has_value());
        EXPECT_FALSE(r->password_expiry_utc.has_value()) << value;
    }
    EXPECT_EQ(parse_request("password_expiry_utc=253402300799\n").value().password_expiry_utc,
              253402300799);
}

TEST(GitRequest, RefusesALineWithoutEquals) {
    EXPECT_EQ(parse_request("protocol=https\nnonsense\n").error(), Errc::invalid_request);
}

TEST(GitRequest, RefusesNulAndCr) {
    EXPECT_EQ(parse_request(std::string("password=a\0b\n", 13)).error(), Errc::invalid_request);
    EXPECT_EQ(parse_request("password=ab\r\n").error(), Errc::invalid_request);
}

TEST(GitRequest, RefusesALongLineButNotOneAtTheLimit) {
    const std::string at_limit = "path=" + std::string(max_line_bytes - 5, 'p') + "\n";
    EXPECT_TRUE(parse_request(at_limit).has_value());
    const std::string over = "path=" + std::string(max_line_bytes - 4, 'p') + "\n";
    EXPECT_EQ(parse_request(over).error(), Errc::invalid_request);
}

TEST(GitRequest, ErrorNeverQuotesTheInput) {
    auto r = parse_request("password=sekrit\rX\n");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().message.find("sekrit"), std::string::npos);
}

TEST(GitRequest, NoUrlWithoutProtocolAndHost) {
    EXPECT_FALSE(credd_url(parse_request("host=example.com\n").value()).has_value());
    EXPECT_FALSE(credd_url(parse_request("protocol=https\n").value()).has_value());
    EXPECT_EQ(credd_url(parse_request("protocol=http\nhost=h\npath=a.git\n").value()),
              "http://h/a.git");
}

Request request_with(std::string_view input) {
    return parse_request(input).value();
}

TEST(GitAnswer, UsernamePasswordExpiryAndRefreshToken) {
    Answer a{"alice", "tok", 1798675200, "rt", false};
    EXPECT_EQ(format_answer(a, request_with("")).value(),
              "username=alice\npassword=tok\npassword_expiry_utc=1798675200\n"
              "oauth_refresh_token=rt\n");
}

TEST(GitAnswer, BearerOnlyWhenGitAdvertisesAuthtype) {
    Answer a{"alice", "tok", std::nullopt, {}, true};
    EXPECT_EQ(format_answer(a, request_with("")).value(), "username=alice\npassword=tok\n");
    EXPECT_EQ(format_answer(a, request_with("capability[]=authtype\n")).value(),
              "capability[]=authtype\nauthtype=Bearer\ncredential=tok\n");
}

TEST(GitAnswer, StaticTokenStaysAPasswordEvenWithAuthtype) {
    Answer a{std::nullopt, "tok", std::nullopt, {}, false};
    EXPECT_EQ(format_answer(a, request_with("capability[]=authtype\n")).value(), "password=tok\n");
}

TEST(GitAnswer, NeverPrintsUrl) {
    Answer a{"u", "tok", std::nullopt, {}, false};
    const auto out = format_answer(a, request_with("url=https://u@h/x\n")).value();
    EXPECT_EQ(out.find("url="), std::string::npos);
}

TEST(GitAnswer, RefusesWhatGitCannotCarry) {
    EXPECT_FALSE(format_answer(Answer{"u", "to\nken", std::nullopt, {}, false}, request_with(""))
                     .has_value());
    EXPECT_FALSE(format_answer(Answer{"u\r", "token", std::nullopt, {}, false}, request_with(""))
                     .has_value());
    EXPECT_FALSE(
        format_answer(Answer{"u", "", std::nullopt, {}, false}, request_with("")).has_value());
}

} // namespace
} // namespace credd::git
