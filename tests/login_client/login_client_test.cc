// cred login and cred whoami end to end: the real cred against the real credd, a real
// OIDC provider (npm oidc-provider, its device, login and consent pages driven by
// tests/login/browser.mjs) and the fault endpoint's never-approved device login.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child_process.hh"
#include "interactive_cred.hh"
#include "process.hh"
#include "refresh_fixture.hh"
#include "wait_until.hh"

namespace credd::test {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

constexpr int lifetime_s = 30; // access tokens from the provider

class LoginClientTest : public OidcLoginFixture {
protected:
    static void SetUpTestSuite() { start_provider(lifetime_s); }
    static void TearDownTestSuite() { stop_provider(); }

    // cred's environment: this daemon, no display (unless a test gives one), the
    // terminal's colours not asked about.
    std::vector<EnvVar> cred_env(std::vector<EnvVar> extra = {}) const {
        auto env = m_dirs.client_env();
        env.push_back({"DISPLAY", std::nullopt});
        env.push_back({"WAYLAND_DISPLAY", std::nullopt});
        env.insert(env.end(), extra.begin(), extra.end());
        return env;
    }

    std::unique_ptr<InteractiveCred> login(std::vector<std::string> args,
                                           std::vector<EnvVar> extra = {}) const {
        args.insert(args.begin(), "login");
        auto c = std::make_unique<InteractiveCred>(std::move(args), cred_env(std::move(extra)));
        EXPECT_TRUE(c->started());
        return c;
    }

    // `cred add` as a user types it; its exit status is checked.
    void cred_add(std::vector<std::string> args) const {
        args.insert(args.begin(), "add");
        const auto r = cred(args, {}, {{"DISPLAY", std::nullopt}});
        ASSERT_EQ(r.exit_code(), 0) << r.describe();
    }

    void add_device(const std::string& name) const {
        cred_add({name, "--kind", "device", "--issuer", m_issuer, "--client-id", "device-client",
                  "--scope", "openid offline_access email profile"});
    }

    void add_auth_code(const std::string& name) const {
        cred_add({name, "--kind", "auth-code", "--issuer", m_issuer, "--client-id", "native-client",
                  "--scope", "openid offline_access email profile"});
    }

    int provider_requests(const char* grant_type) const {
        const auto a = http_call("GET", m_control, "/stats");
        boost::system::error_code ec;
        const auto v = json::parse(a.body, ec);
        const auto* n = !ec && v.is_object() ? v.get_object().if_contains(grant_type) : nullptr;
        return n ? static_cast<int>(n->as_int64()) : 0;
    }

    std::string fault_base() const { return "http://127.0.0.1:" + std::to_string(m_fault_port); }
};

// "Open URI and enter CODE": the two words cred printed.
std::pair<std::string, std::string> instructions_of(const std::string& out) {
    std::smatch m;
    static const std::regex line("Open (\\S+) and enter (\\S+)\n");
    if (!std::regex_search(out, m, line)) {
        return {};
    }
    return {m[1], m[2]};
}

// The URL cred printed on the line after "Open this URL in a browser:".
std::string url_after(const std::string& out, const std::string& heading) {
    const auto at = out.find(heading);
    if (at == std::string::npos) {
        return {};
    }
    const auto start = out.find_first_not_of(" \n", at + heading.size());
    const auto end = out.find('\n', start);
    return start == std::string::npos || end == std::string::npos ? std::string{}
                                                                  : out.substr(start, end - start);
}

TEST_F(LoginClientTest, DeviceLoginShowsTheCodeWaitsAndSaysWhoLoggedIn) {
    add_device("dev");
    // Before any login the hint, verbatim from the daemon, says what to run; exit 4.
    const auto before = cred({"token", "dev"});
    EXPECT_EQ(before.exit_code(), 4) << before.describe();
    EXPECT_NE(before.err.find("hint: cred login dev"), std::string::npos) << before.err;

    auto c = login({"dev"});
    ASSERT_TRUE(c->wait_for_text("waiting")) << c->out << c->err;
    const auto [uri, code] = instructions_of(c->out);
    EXPECT_EQ(uri, m_issuer + "/device") << c->out;
    ASSERT_FALSE(code.empty()) << c->out;
    EXPECT_EQ(c->out.find("\u2580"), std::string::npos) << "no QR code when stdout is a pipe";

    const auto page = browse(uri, {"--user-code", code});
    ASSERT_NE(string_at(page, "body").find("Sign-in Success"), std::string::npos)
        << json::serialize(page);

    const auto status = c->wait();
    EXPECT_TRUE(status.exited_with(0)) << status.describe() << '\n' << c->err;
    EXPECT_TRUE(std::regex_search(
        c->out,
        std::regex(
            "waiting\u2026 logged in as alice, token valid until ([0-9-]{10} )?[0-9]{2}:[0-9]{2}"
            ", refreshes in the background\n$")))
        << c->out;
    EXPECT_EQ(c->err, "");
    EXPECT_GE(provider_requests("urn:ietf:params:oauth:grant-type:device_code"), 1);

    const auto token = cred({"token", "dev"});
    EXPECT_EQ(token.exit_code(), 0) << token.describe();

    const auto who = cred({"whoami", "dev"});
    ASSERT_EQ(who.exit_code(), 0) << who.describe();
    EXPECT_NE(who.out.find("username:  alice\n"), std::string::npos) << who.out;
    EXPECT_NE(who.out.find("email:     alice@example.test\n"), std::string::npos) << who.out;
    EXPECT_NE(who.out.find("name:      User alice\n"), std::string::npos) << who.out;
    EXPECT_NE(who.out.find("issuer:    " + m_issuer + "\n"), std::string::npos) << who.out;
    const auto who_json = cred({"whoami", "dev", "--json"});
    ASSERT_EQ(who_json.exit_code(), 0) << who_json.describe();
    const auto claims = json::parse(who_json.out).as_object();
    EXPECT_EQ(string_at(claims, "sub"), "alice");
    EXPECT_EQ(string_at(claims, "name"), "dev");
}

TEST_F(LoginClientTest, NoBrowserReadsThePastedRedirectUrl) {
    add_auth_code("laptop");
    auto c = login({"laptop", "--no-browser"});
    ASSERT_TRUE(c->wait_for_text("redirect URL or code: ")) << c->out << c->err;
    const std::string url = url_after(c->out, "Open this URL in a browser:");
    ASSERT_NE(url.find("code_challenge_method=S256"), std::string::npos) << c->out;
    // Nothing listens (open_listener false): the browser stops at the redirect.
    const auto page = browse(url);
    const std::string landed = string_at(page, "url");
    ASSERT_EQ(landed.rfind("http://127.0.0.1:", 0), 0U) << json::serialize(page);
    ASSERT_NE(landed.find("code="), std::string::npos) << landed;
    const int exchanges = provider_requests("authorization_code"); // one provider per suite
    c->type("  " + landed + "\n");

    const auto status = c->wait();
    EXPECT_TRUE(status.exited_with(0)) << status.describe() << '\n' << c->err;
    EXPECT_NE(c->out.find("logged in as alice"), std::string::npos) << c->out;
    EXPECT_EQ(provider_requests("authorization_code"), exchanges + 1);
    EXPECT_EQ(cred({"token", "laptop"}).exit_code(), 0);
}

TEST_F(LoginClientTest, APastedUrlWithTheWrongStateExitsFour) {
    add_auth_code("laptop");
    const int exchanges = provider_requests("authorization_code"); // one provider per suite
    auto c = login({"laptop", "--no-browser"});
    ASSERT_TRUE(c->wait_for_text("redirect URL or code: ")) << c->out << c->err;
    const std::string url = url_after(c->out, "Open this URL in a browser:");
    const auto redirect = std::regex_replace(url, std::regex(".*[?&]redirect_uri=([^&]*).*"),
                                             "$1"); // percent-encoded
    ASSERT_NE(redirect, url) << url;
    const std::string port =
        std::regex_replace(redirect, std::regex(".*127\\.0\\.0\\.1%3A([0-9]+).*"), "$1");
    c->type("http://127.0.0.1:" + port + "/callback?code=stolen&state=not-ours\n");
    const auto status = c->wait();
    EXPECT_TRUE(status.exited_with(4)) << status.describe() << '\n' << c->err;
    EXPECT_NE(c->err.find("state"), std::string::npos) << c->err;
    EXPECT_NE(c->err.find("hint: "), std::string::npos) << c->err;
    EXPECT_EQ(c->err.find("stolen"), std::string::npos) << "the pasted code is not echoed";
    EXPECT_EQ(provider_requests("authorization_code"), exchanges) << "no code was spent";
}

TEST_F(LoginClientTest, NothingPastedIsAUsageErrorThatCancels) {
    add_auth_code("laptop");
    auto c = login({"laptop", "--no-browser"});
    ASSERT_TRUE(c->wait_for_text("redirect URL or code: ")) << c->out << c->err;
    c->close_stdin();
    const auto status = c->wait();
    EXPECT_TRUE(status.exited_with(2)) << status.describe() << '\n' << c->err;
    EXPECT_NE(c->err.find("no redirect URL or code on stdin"), std::string::npos) << c->err;
    // The login is over in the daemon: another one may start at once.
    auto again = login({"laptop", "--no-browser"});
    ASSERT_TRUE(again->wait_for_text("redirect URL or code: ")) << again->out << again->err;
    again->close_stdin();
    EXPECT_TRUE(again->wait().exited_with(2));
}

TEST_F(LoginClientTest, WithADisplayTheBrowserIsOpenedAndTheListenerCatchesTheRedirect) {
    add_auth_code("laptop");
    // xdg-open is a script that drives the scripted browser, as a real one would, and
    // records that it ran (its output goes nowhere, as cred arranges).
    const std::string bin = m_temp.file("bin");
    std::filesystem::create_directories(bin);
    const std::string marker = m_temp.file("xdg-open-ran");
    {
        std::ofstream script(bin + "/xdg-open");
        script << "#!/bin/sh\n"
               << "echo \"$#\" > '" << marker << "'\n"
               << "exec '" << find_program("node") << "' '" << CREDD_LOGIN_DIR
               << "/browser.mjs' \"$1\"\n";
    }
    ::chmod((bin + "/xdg-open").c_str(), 0755);
    const int exchanges = provider_requests("authorization_code"); // one provider per suite
    auto c = login({"laptop"}, {{"DISPLAY", ":99"}, {"PATH", bin + ":/usr/bin:/bin"}});
    const auto status = c->wait(30s);
    EXPECT_TRUE(status.exited_with(0)) << status.describe() << '\n' << c->out << c->err;
    EXPECT_NE(c->out.find("Opened your browser"), std::string::npos) << c->out;
    EXPECT_NE(c->out.find("logged in as alice"), std::string::npos) << c->out;
    std::ifstream ran(marker);
    std::string args;
    std::getline(ran, args);
    EXPECT_EQ(args, "1") << "xdg-open gets the URL as its one argument";
    EXPECT_EQ(provider_requests("authorization_code"), exchanges + 1);
}

TEST_F(LoginClientTest, CtrlCCancelsTheLoginInTheDaemonAndExits130) {
    ASSERT_EQ(
        result_of(rpc("credential.add", {{"name", "pend"},
                                         {"kind", "device"},
                                         {"params",
                                          {{"token_url", fault_url("device-pending")},
                                           {"device_authorization_url", fault_base() + "/device/p"},
                                           {"client_id", "c"}}}})) != nullptr,
        true);
    auto c = login({"pend", "--no-qr"});
    ASSERT_TRUE(c->wait_for_text("waiting")) << c->out << c->err;
    EXPECT_EQ(instructions_of(c->out).second, "WDJB-MJHT") << c->out;
    // Polling has begun.
    ASSERT_TRUE(wait_until([&] { return fault_count("device-pending") >= 1; }, 10s));
    c->signal(SIGINT);
    const auto status = c->wait(10s);
    EXPECT_TRUE(status.exited_with(130)) << status.describe() << '\n' << c->err;
    // The daemon ended the login: a new one starts at once, and it polls no more.
    const auto again = rpc("login.start", {{"name", "pend"}});
    ASSERT_TRUE(result_of(again)) << json::serialize(again); // its connection closes: cancelled
    const int settled = fault_count("device-pending");
    // None within two and a half intervals (a violation fails at once).
    EXPECT_FALSE(wait_until([&] { return fault_count("device-pending") > settled; }, 2500ms, 100ms))
        << "the cancelled login is still polling";
}

TEST_F(LoginClientTest, TimeoutCancelsAndExitsOne) {
    ASSERT_TRUE(
        result_of(rpc("credential.add", {{"name", "pend"},
                                         {"kind", "device"},
                                         {"params",
                                          {{"token_url", fault_url("device-pending")},
                                           {"device_authorization_url", fault_base() + "/device/p"},
                                           {"client_id", "c"}}}})));
    auto c = login({"pend", "--timeout", "1"});
    const auto status = c->wait(10s);
    EXPECT_TRUE(status.exited_with(1)) << status.describe() << '\n' << c->err;
    EXPECT_NE(c->err.find("--timeout"), std::string::npos) << c->err;
    EXPECT_TRUE(result_of(rpc("login.start", {{"name", "pend"}}))) << "the login was cancelled";
}

TEST_F(LoginClientTest, ADeniedLoginExitsFourAndWhoamiWithoutLoginSaysWhatToRun) {
    add_device("dev");
    const auto who = cred({"whoami", "dev"});
    EXPECT_NE(who.exit_code(), 0);
    EXPECT_NE(who.err.find("cred login dev"), std::string::npos) << who.err;

    auto c = login({"dev"});
    ASSERT_TRUE(c->wait_for_text("waiting")) << c->out << c->err;
    const auto [uri, code] = instructions_of(c->out);
    browse(uri, {"--user-code", code, "--deny"});
    const auto status = c->wait();
    EXPECT_TRUE(status.exited_with(4)) << status.describe() << '\n' << c->err;
    EXPECT_NE(c->err.find("hint: "), std::string::npos) << c->err;
    EXPECT_NE(c->err.find("cred login dev"), std::string::npos) << c->err;
}

TEST_F(LoginClientTest, LoginRefusesCredentialsThatHaveNoLogin) {
    add_static({"plain", "https://example.test", "tok"});
    const auto r = cred({"login", "plain"});
    EXPECT_EQ(r.exit_code(), 2) << r.describe();
    const auto missing = cred({"login", "nope"});
    EXPECT_EQ(missing.exit_code(), 3) << missing.describe();
}

TEST_F(LoginClientTest, APresetFillsTheEndpointsAndTheMatch) {
    cred_add({"gh", "--kind", "device", "--preset", "github", "--client-id", "Iv1.test"});
    const auto list = cred({"list", "--json"});
    ASSERT_EQ(list.exit_code(), 0) << list.describe();
    EXPECT_NE(list.out.find("https://github.com"), std::string::npos) << list.out;
    const auto status = cred({"status", "gh", "--json"});
    EXPECT_NE(status.out.find("needs_login"), std::string::npos) << status.out;
    const auto bad = cred({"add", "x", "--kind", "device", "--preset", "nope", "--client-id", "c"});
    EXPECT_EQ(bad.exit_code(), 2) << bad.describe();
    EXPECT_NE(bad.err.find("github"), std::string::npos) << bad.err;
}

} // namespace
} // namespace credd::test
