// ProxySettings: HTTPS_PROXY forms, userinfo as Basic credentials kept out of what is
// shown, values refused at start-up, and NO_PROXY matching.
#include <gtest/gtest.h>

#include "proxy_settings.hh"

namespace credd {
namespace {

TEST(ProxySettings, AProxyWithoutASchemeIsHttp) {
    const auto p = parse_proxy_settings("proxy.corp:3128", "");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->host, "proxy.corp");
    EXPECT_EQ(p->port, "3128");
    EXPECT_EQ(p->display, "http://proxy.corp:3128");
    EXPECT_TRUE(p->authorization.empty());
}

TEST(ProxySettings, AFullUrlWithATrailingSlashAndNoPortDefaultsAsCurlDoes) {
    const auto p = parse_proxy_settings("HTTP://Proxy.Corp/", "");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->host, "proxy.corp");
    EXPECT_EQ(p->port, "1080");
    const auto v6 = parse_proxy_settings("http://[2001:db8::1]:8080", "");
    ASSERT_TRUE(v6) << v6.error().message;
    EXPECT_EQ(v6->host, "2001:db8::1");
    EXPECT_EQ(v6->display, "http://[2001:db8::1]:8080");
}

TEST(ProxySettings, UserinfoBecomesBasicCredentialsAndIsNeverShown) {
    // "user:p@ss:word" with the '@' escaped; Basic takes the decoded bytes (RFC 7617).
    const auto p = parse_proxy_settings("http://alice:p%40ss:word@proxy:3128", "");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->authorization.expose(), "Basic YWxpY2U6cEBzczp3b3Jk");
    EXPECT_EQ(p->display, "http://proxy:3128");
    EXPECT_EQ(p->host, "proxy");
}

TEST(ProxySettings, UnusableValuesAreRefusedWithoutShowingThePassword) {
    for (const char* bad :
         {"https://proxy:3128", "socks5://proxy:1080", "http://proxy:99999", "http://proxy:port",
          "http://:3128", "http://proxy:3128/path", "http://[::1:3128"}) {
        const auto p = parse_proxy_settings(bad, "");
        ASSERT_FALSE(p) << bad;
        EXPECT_EQ(p.error().code, Errc::invalid_params) << bad;
    }
    const auto p = parse_proxy_settings("https://bob:hunter2@proxy:3128", "");
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().message.find("hunter2"), std::string::npos) << p.error().message;
    EXPECT_FALSE(parse_proxy_settings("http://bob:bad%zzescape@proxy:3128", ""));
}

TEST(ProxySettings, APasswordWithAnUnescapedSlashIsUserinfoNotAPath) {
    const auto p = parse_proxy_settings("http://bob:se/cret@proxy:3128", "");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->display, "http://proxy:3128");
    EXPECT_EQ(p->host, "proxy");
    // And when the value is refused anyway, the password is not in the message.
    const auto bad = parse_proxy_settings("https://bob:se/cret@proxy:3128", "");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message.find("cret"), std::string::npos) << bad.error().message;
}

TEST(ProxySettings, NoProxyMatchesSuffixesPortsAddressesAndEverything) {
    const auto p = parse_proxy_settings(
        "proxy:3128",
        " corp.example, .internal.example ,login.example:8443,10.1.2.3,[2001:db8::5]");
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->bypasses("corp.example", "443"));
    EXPECT_TRUE(p->bypasses("sso.corp.example", "443"));
    EXPECT_TRUE(p->bypasses("a.internal.example", "443"));
    EXPECT_FALSE(p->bypasses("notcorp.example", "443")) << "a suffix matches whole labels";
    EXPECT_TRUE(p->bypasses("login.example", "8443"));
    EXPECT_FALSE(p->bypasses("login.example", "443")) << "a port entry matches that port only";
    EXPECT_TRUE(p->bypasses("10.1.2.3", "443"));
    EXPECT_FALSE(p->bypasses("10.1.2.30", "443"));
    EXPECT_TRUE(p->bypasses("2001:db8:0::5", "443")) << "addresses compare as addresses";
    EXPECT_FALSE(p->bypasses("login.microsoftonline.com", "443"));
    EXPECT_TRUE(p->bypasses("127.0.0.1", "443")) << "loopback never goes through a proxy";
    EXPECT_TRUE(p->bypasses("localhost", "443"));
    const auto all = parse_proxy_settings("proxy:3128", "*");
    ASSERT_TRUE(all);
    EXPECT_TRUE(all->bypasses("anything.example", "443"));
}

} // namespace
} // namespace credd
