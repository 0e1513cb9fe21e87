// URL parsing and normalisation for credential matching, and the path prefix rule.
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "url.hh"
#include "utf8.hh"

namespace credd {
namespace {

Url url(std::string_view text) {
    auto r = parse_url(text);
    EXPECT_TRUE(r) << text << ": " << (r ? "" : r.error().message);
    return r ? *r : Url{};
}

Errc url_error(std::string_view text) {
    const auto r = parse_url(text);
    return r ? Errc::ok : r.error().code;
}

TEST(Url, SplitsSchemeHostAndPath) {
    const Url u = url("https://github.com/org/repo.git");
    EXPECT_EQ(u.scheme, "https");
    EXPECT_EQ(u.host, "github.com");
    EXPECT_FALSE(u.port);
    EXPECT_EQ(u.path, "/org/repo.git");
    EXPECT_FALSE(u.username);
}

TEST(Url, LowercasesSchemeAndHost) {
    const Url u = url("HTTPS://GitHub.COM");
    EXPECT_EQ(u.scheme, "https");
    EXPECT_EQ(u.host, "github.com");
}

TEST(Url, KeepsPathCase) {
    EXPECT_EQ(url("https://github.com/Org/Repo").path, "/Org/Repo");
}

TEST(Url, FoldsHttpsDefaultPort) {
    EXPECT_FALSE(url("https://h:443").port);
    EXPECT_EQ(url("https://h:443/x").to_string(), url("https://h/x").to_string());
}

TEST(Url, FoldsHttpDefaultPort) {
    EXPECT_FALSE(url("http://h:80").port);
}

TEST(Url, FoldsDefaultPortOfUpperCaseScheme) {
    EXPECT_FALSE(url("HTTPS://h:443").port);
}

TEST(Url, KeepsAnotherSchemesDefaultPort) {
    EXPECT_EQ(url("http://h:443").port, 443);
    EXPECT_EQ(url("https://h:80").port, 80);
}

TEST(Url, KeepsExplicitNonDefaultPort) {
    const Url u = url("https://git.example.com:8443/x");
    EXPECT_EQ(u.port, 8443);
    EXPECT_EQ(u.origin(), "https://git.example.com:8443");
}

TEST(Url, UnknownSchemeKeepsItsPort) {
    EXPECT_EQ(url("ssh://git@github.com:22/org").port, 22);
}

TEST(Url, Ipv6LiteralKeepsBrackets) {
    const Url u = url("https://[::1]/x");
    EXPECT_EQ(u.host, "[::1]");
    EXPECT_FALSE(u.port);
    EXPECT_EQ(u.path, "/x");
}

TEST(Url, Ipv6LiteralWithPort) {
    const Url u = url("https://[2001:DB8::1]:8443");
    EXPECT_EQ(u.host, "[2001:db8::1]");
    EXPECT_EQ(u.port, 8443);
}

TEST(Url, Ipv6LiteralFoldsDefaultPort) {
    EXPECT_FALSE(url("https://[::1]:443").port);
}

TEST(Url, UnclosedIpv6LiteralIsRefused) {
    EXPECT_EQ(url_error("https://[::1/x"), Errc::invalid_params);
}

TEST(Url, TextAfterIpv6LiteralIsRefused) {
    EXPECT_EQ(url_error("https://[::1]x"), Errc::invalid_params);
    EXPECT_EQ(url_error("https://[::1]:"), Errc::invalid_params);
}

TEST(Url, EmptyOrNonAddressIpv6LiteralIsRefused) {
    EXPECT_EQ(url_error("https://[]"), Errc::invalid_params);
    EXPECT_EQ(url_error("https://[not an address]"), Errc::invalid_params);
}

TEST(Url, UserinfoBecomesUsername) {
    const Url u = url("https://alice@github.com/org");
    EXPECT_EQ(u.username, "alice");
    EXPECT_EQ(u.host, "github.com");
    EXPECT_EQ(u.path, "/org");
}

TEST(Url, UsernameKeepsItsCase) {
    EXPECT_EQ(url("https://Alice@github.com").username, "Alice");
}

TEST(Url, EmptyUserinfoGivesNoUsername) {
    EXPECT_FALSE(url("https://@github.com").username);
}

TEST(Url, PasswordInUrlIsRefused) {
    EXPECT_EQ(url_error("https://alice:hunter2@github.com"), Errc::invalid_params);
}

TEST(Url, RefusedPasswordIsNotQuotedInTheError) {
    const auto r = parse_url("https://alice:hunter2@github.com/x");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos);
    EXPECT_EQ(r.error().hint.find("hunter2"), std::string::npos);
}

TEST(Url, EmptyPasswordInUrlIsRefused) {
    EXPECT_EQ(url_error("https://alice:@github.com"), Errc::invalid_params);
}

TEST(Url, DropsQueryAndFragment) {
    EXPECT_EQ(url("https://h/p?x=1#frag").path, "/p");
    EXPECT_EQ(url("https://h?x=1").path, "");
    EXPECT_EQ(url("https://h#frag").path, "");
}

TEST(Url, AtSignInQueryIsNotUserinfo) {
    const Url u = url("https://github.com?@evil.example");
    EXPECT_EQ(u.host, "github.com");
    EXPECT_FALSE(u.username);
}

TEST(Url, RemovesTrailingSlashes) {
    EXPECT_EQ(url("https://h/org/").path, "/org");
    EXPECT_EQ(url("https://h/").path, "");
    EXPECT_EQ(url("https://h//").path, "");
}

TEST(Url, MissingSchemeIsRefused) {
    EXPECT_EQ(url_error("github.com/org"), Errc::invalid_params);
    EXPECT_EQ(url_error("://github.com"), Errc::invalid_params);
    EXPECT_EQ(url_error("https:/github.com"), Errc::invalid_params);
}

TEST(Url, BadSchemeCharactersAreRefused) {
    EXPECT_EQ(url_error("ht tp://h"), Errc::invalid_params);
    EXPECT_EQ(url_error("h_t://h"), Errc::invalid_params);
}

TEST(Url, EmptyHostIsRefused) {
    EXPECT_EQ(url_error("https://"), Errc::invalid_params);
    EXPECT_EQ(url_error("https:///org"), Errc::invalid_params);
    EXPECT_EQ(url_error("https://alice@"), Errc::invalid_params);
    EXPECT_EQ(url_error("https://:8443"), Errc::invalid_params);
}

TEST(Url, BadHostCharactersAreRefused) {
    EXPECT_EQ(url_error("https://ex ample.com"), Errc::invalid_params);
    EXPECT_EQ(url_error("https://example.com%2F"), Errc::invalid_params);
    EXPECT_EQ(url_error("https://exa\xC3\xA9mple.com"), Errc::invalid_params);
}

TEST(Url, BadPortIsRefused) {
    EXPECT_EQ(url_error("https://h:"), Errc::invalid_params);
    EXPECT_EQ(url_error("https://h:0"), Errc::invalid_params);
    EXPECT_EQ(url_error("https://h:65536"), Errc::invalid_params);
    EXPECT_EQ(url_error("https://h:99999999999999999999"), Errc::invalid_params);
    EXPECT_EQ(url_error("https://h:abc"), Errc::invalid_params);
    EXPECT_EQ(url_error("https://h:-1"), Errc::invalid_params);
    EXPECT_EQ(url_error("https://h:+80"), Errc::invalid_params);
    EXPECT_EQ(url_error("https://h:80x"), Errc::invalid_params);
}

TEST(Url, HighestPortIsAccepted) {
    EXPECT_EQ(url("https://h:65535").port, 65535);
}

TEST(Url, RefusalCarriesAHint) {
    const auto r = parse_url("not a url");
    ASSERT_FALSE(r);
    EXPECT_FALSE(r.error().hint.empty());
}

TEST(Url, RefusalOfALongUrlQuotesValidUtf8) {
    // The message quotes a prefix of the URL; cutting inside a character would make
    // the error response a line that clients cannot parse.
    std::string text(199, 'a');
    text += "\xC3\xA9 and more text after the cut";
    const auto r = parse_url(text);
    ASSERT_FALSE(r);
    EXPECT_TRUE(is_valid_utf8(r.error().message));
}

TEST(Url, ToStringRebuildsTheNormalisedUrl) {
    EXPECT_EQ(url("HTTPS://alice@GitHub.com:8443/org/?q#f").to_string(),
              "https://alice@github.com:8443/org");
}

TEST(Url, OriginOmitsUsernameAndPath) {
    EXPECT_EQ(url("https://alice@github.com/org").origin(), "https://github.com");
}

TEST(Url, PrefixCoversItself) {
    EXPECT_TRUE(path_has_prefix("/org", "/org"));
}

TEST(Url, PrefixCoversPathsBelowIt) {
    EXPECT_TRUE(path_has_prefix("/org/repo", "/org"));
    EXPECT_TRUE(path_has_prefix("/org/repo.git", "/org"));
    EXPECT_TRUE(path_has_prefix("/org/a/b/c", "/org/a"));
}

TEST(Url, PrefixDoesNotCoverALongerSegment) {
    EXPECT_FALSE(path_has_prefix("/organisation", "/org"));
    EXPECT_FALSE(path_has_prefix("/org-other/repo", "/org"));
}

TEST(Url, PrefixDoesNotCoverAShorterPath) {
    EXPECT_FALSE(path_has_prefix("/org", "/org/repo"));
    EXPECT_FALSE(path_has_prefix("", "/org"));
}

TEST(Url, PrefixDoesNotCoverASibling) {
    EXPECT_FALSE(path_has_prefix("/other/repo", "/org"));
}

TEST(Url, EmptyPrefixCoversEverything) {
    EXPECT_TRUE(path_has_prefix("", ""));
    EXPECT_TRUE(path_has_prefix("/org/repo", ""));
}

TEST(Url, PrefixComparisonIsCaseSensitive) {
    EXPECT_FALSE(path_has_prefix("/Org/repo", "/org"));
}

TEST(Url, PathDepthCountsSegments) {
    EXPECT_EQ(path_depth(""), 0);
    EXPECT_EQ(path_depth("/org"), 1);
    EXPECT_EQ(path_depth("/org/repo.git"), 2);
    EXPECT_EQ(path_depth(url("https://h/a/b/c/").path), 3);
}

} // namespace
} // namespace credd
