// Provider presets: each fills its documented endpoints, explicit values win, and bad
// input (unknown preset, missing instance URL, a tenant where none goes) is refused.
#include <optional>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "provider_presets.hh"

namespace credd {
namespace {

namespace json = boost::json;

struct Applied {
    json::object params;
    std::optional<Url> match;
    Result<void> result;
};

Applied apply(std::string_view params_json, std::optional<std::string> url = std::nullopt) {
    Applied a{json::parse(params_json).as_object(), std::nullopt, {}};
    if (url) {
        a.match = parse_url(*url).value();
    }
    a.result = apply_preset(a.params, a.match);
    return a;
}

std::string text(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string("<none>");
}

TEST(ProviderPresets, WithoutPresetNothingChanges) {
    const auto a = apply(R"({"client_id":"c","token_url":"https://t.example/token"})");
    ASSERT_TRUE(a.result);
    EXPECT_EQ(json::serialize(a.params),
              R"({"client_id":"c","token_url":"https://t.example/token"})");
    EXPECT_FALSE(a.match);
}

TEST(ProviderPresets, GithubFillsDeviceAndWebFlowEndpointsAndMatch) {
    const auto a = apply(R"({"preset":"github","client_id":"Iv1.x"})");
    ASSERT_TRUE(a.result) << a.result.error().message;
    EXPECT_EQ(text(a.params, "device_authorization_url"), "https://github.com/login/device/code");
    EXPECT_EQ(text(a.params, "token_url"), "https://github.com/login/oauth/access_token");
    EXPECT_EQ(text(a.params, "authorization_url"), "https://github.com/login/oauth/authorize");
    EXPECT_EQ(text(a.params, "issuer"), "<none>") << "GitHub has no discovery for user logins";
    EXPECT_EQ(text(a.params, "scope"), "repo");
    EXPECT_EQ(text(a.params, "preset"), "github") << "the preset stays, for status";
    EXPECT_EQ(text(a.params, "client_auth"), "<none>") << "a public client";
    ASSERT_TRUE(a.match);
    EXPECT_EQ(a.match->to_string(), "https://github.com");
}

TEST(ProviderPresets, GitlabGoogleAndBitbucketUseTheirDocumentedEndpoints) {
    const auto gitlab = apply(R"({"preset":"gitlab","client_id":"c"})");
    ASSERT_TRUE(gitlab.result);
    EXPECT_EQ(text(gitlab.params, "issuer"), "https://gitlab.com");
    EXPECT_EQ(text(gitlab.params, "device_authorization_url"),
              "https://gitlab.com/oauth/authorize_device");
    EXPECT_EQ(text(gitlab.params, "token_url"), "https://gitlab.com/oauth/token");
    EXPECT_EQ(gitlab.match->to_string(), "https://gitlab.com");

    const auto google = apply(R"({"preset":"google","client_id":"c"})");
    ASSERT_TRUE(google.result);
    EXPECT_EQ(text(google.params, "issuer"), "https://accounts.google.com");
    EXPECT_EQ(text(google.params, "device_authorization_url"),
              "https://oauth2.googleapis.com/device/code");
    EXPECT_EQ(text(google.params, "token_url"), "https://oauth2.googleapis.com/token");
    EXPECT_FALSE(google.match) << "no git host: reached by name only";
    EXPECT_EQ(text(google.params, "client_auth"), "client_secret_post")
        << "Google's device and desktop clients send their secret";

    const auto bitbucket = apply(R"({"preset":"bitbucket","client_id":"c"})");
    ASSERT_TRUE(bitbucket.result);
    EXPECT_EQ(text(bitbucket.params, "authorization_url"),
              "https://bitbucket.org/site/oauth2/authorize");
    EXPECT_EQ(text(bitbucket.params, "token_url"),
              "https://bitbucket.org/site/oauth2/access_token");
    EXPECT_EQ(text(bitbucket.params, "device_authorization_url"), "<none>");
    EXPECT_EQ(text(bitbucket.params, "scope"), "<none>");
    EXPECT_EQ(text(bitbucket.params, "client_auth"), "client_secret_basic");
    EXPECT_EQ(bitbucket.match->to_string(), "https://bitbucket.org");
}

TEST(ProviderPresets, MicrosoftDefaultsToOrganizationsAndTakesATenant) {
    const auto dflt = apply(R"({"preset":"microsoft","client_id":"c"})");
    ASSERT_TRUE(dflt.result);
    EXPECT_EQ(text(dflt.params, "issuer"), "https://login.microsoftonline.com/organizations/v2.0");
    EXPECT_EQ(text(dflt.params, "device_authorization_url"),
              "https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode");
    EXPECT_EQ(text(dflt.params, "token_url"),
              "https://login.microsoftonline.com/organizations/oauth2/v2.0/token");

    const auto tenant =
        apply(R"({"preset":"microsoft","tenant":"contoso.onmicrosoft.com","client_id":"c"})");
    ASSERT_TRUE(tenant.result);
    EXPECT_EQ(text(tenant.params, "authorization_url"),
              "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize");
    EXPECT_EQ(text(tenant.params, "tenant"), "contoso.onmicrosoft.com");

    const auto bad = apply(R"({"preset":"microsoft","tenant":"a/../b","client_id":"c"})");
    ASSERT_FALSE(bad.result);
    EXPECT_EQ(bad.result.error().code, Errc::invalid_params);
}

TEST(ProviderPresets, GiteaBuildsEndpointsFromTheInstanceUrl) {
    const auto a = apply(R"({"preset":"gitea","issuer":"https://codeberg.org/","client_id":"c"})");
    ASSERT_TRUE(a.result) << a.result.error().message;
    EXPECT_EQ(text(a.params, "issuer"), "https://codeberg.org/") << "the user's value is kept";
    EXPECT_EQ(text(a.params, "authorization_url"), "https://codeberg.org/login/oauth/authorize");
    EXPECT_EQ(text(a.params, "token_url"), "https://codeberg.org/login/oauth/access_token");
    ASSERT_TRUE(a.match);
    EXPECT_EQ(a.match->to_string(), "https://codeberg.org");

    const auto missing = apply(R"({"preset":"gitea","client_id":"c"})");
    ASSERT_FALSE(missing.result);
    EXPECT_EQ(missing.result.error().code, Errc::invalid_params);
    EXPECT_NE(missing.result.error().hint.find("--issuer"), std::string::npos);
}

TEST(ProviderPresets, ExplicitValuesWinOverThePreset) {
    const auto a = apply(R"({"preset":"github","client_id":"c","scope":"read:user",
        "token_url":"https://ghe.example/login/oauth/access_token"})",
                         "https://github.com/my-org");
    ASSERT_TRUE(a.result);
    EXPECT_EQ(text(a.params, "scope"), "read:user");
    EXPECT_EQ(text(a.params, "token_url"), "https://ghe.example/login/oauth/access_token");
    EXPECT_EQ(text(a.params, "device_authorization_url"), "https://github.com/login/device/code");
    ASSERT_TRUE(a.match);
    EXPECT_EQ(a.match->to_string(), "https://github.com/my-org");
}

TEST(ProviderPresets, RefusesUnknownPresetsAndStrayTenants) {
    const auto unknown = apply(R"({"preset":"myspace","client_id":"c"})");
    ASSERT_FALSE(unknown.result);
    EXPECT_EQ(unknown.result.error().code, Errc::invalid_params);
    EXPECT_NE(unknown.result.error().hint.find("github"), std::string::npos)
        << "the hint lists the presets";

    const auto not_string = apply(R"({"preset":7})");
    ASSERT_FALSE(not_string.result);

    const auto tenant = apply(R"({"preset":"github","tenant":"organizations"})");
    ASSERT_FALSE(tenant.result);
    EXPECT_EQ(tenant.result.error().code, Errc::invalid_params);
}

TEST(ProviderPresets, EveryRowIsFindableAndHasATokenEndpoint) {
    ASSERT_GE(provider_presets().size(), 6U);
    for (const auto& p : provider_presets()) {
        EXPECT_EQ(find_provider_preset(p.name), &p);
        EXPECT_FALSE(p.token_url.empty()) << p.name;
        EXPECT_TRUE(!p.authorization_url.empty() || !p.device_authorization_url.empty()) << p.name;
    }
}

} // namespace
} // namespace credd
