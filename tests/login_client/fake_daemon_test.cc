// cred login's own behaviour against a scripted stand-in for credd's login methods
// (tests/login_client/fake_daemon.py): what it prints, what it sends, how it exits, how
// it handles signals, a paste, a browser and a terminal. The real daemon's side is in
// login_client_test.cc.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "child_process.hh"
#include "interactive_cred.hh"
#include "process.hh"
#include "temp_dir.hh"
#include "wait_until.hh"

namespace credd::test {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

constexpr std::string_view device_intro = "Open https://login.example.test/device and enter "
                                          "WDJB-MJHT\n";

class FakeDaemonLogin : public ::testing::Test {
protected:
    void start(const std::string& scenario) {
        const std::string python = find_program("python3");
        if (python.empty()) {
            GTEST_SKIP() << "python3 is not installed";
        }
        SpawnSpec spec;
        spec.argv = {python, CREDD_LOGIN_CLIENT_DIR "/fake_daemon.py", m_socket, scenario, m_log};
        m_daemon = std::make_unique<ChildProcess>(spec);
        ASSERT_TRUE(m_daemon->started()) << m_daemon->spawn_error();
        ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(m_socket); }, 10s))
            << "the fake daemon did not start";
    }

    std::vector<EnvVar> env(std::vector<EnvVar> extra = {}) const {
        std::vector<EnvVar> e{{"CREDD_SOCKET", m_socket},
                              {"CREDD_NO_AUTOSTART", "1"},
                              {"TZ", "UTC"},
                              {"DISPLAY", std::nullopt},
                              {"WAYLAND_DISPLAY", std::nullopt},
                              {"NO_COLOR", std::nullopt}};
        e.insert(e.end(), extra.begin(), extra.end());
        return e;
    }

    std::unique_ptr<InteractiveCred> login(std::vector<std::string> args,
                                           std::vector<EnvVar> extra = {}) const {
        args.insert(args.begin(), "login");
        auto c = std::make_unique<InteractiveCred>(std::move(args), env(std::move(extra)));
        EXPECT_TRUE(c->started());
        return c;
    }

    // The requests the fake daemon received, in order.
    std::vector<json::object> requests() const {
        std::vector<json::object> all;
        std::ifstream in(m_log);
        for (std::string line; std::getline(in, line);) {
            all.push_back(json::parse(line).as_object());
        }
        return all;
    }
    bool received(std::string_view method) const {
        for (const auto& r : requests()) {
            if (const auto* m = r.if_contains("method"); m && m->as_string() == method) {
                return true;
            }
        }
        return false;
    }
    json::object params_of(std::string_view method) const {
        for (const auto& r : requests()) {
            if (const auto* m = r.if_contains("method"); m && m->as_string() == method) {
                return r.at("params").as_object();
            }
        }
        return {};
    }

    TempDir m_temp;
    std::string m_socket = m_temp.file("socket");
    std::string m_log = m_temp.file("requests.log");
    std::unique_ptr<ChildProcess> m_daemon;
};

TEST_F(FakeDaemonLogin, DeviceFlowPrintsTheCodeWaitsAndSaysWhoLoggedIn) {
    start("device-success");
    auto c = login({"work"});
    const auto status = c->wait();
    EXPECT_TRUE(status.exited_with(0)) << status.describe() << c->err;
    EXPECT_EQ(c->out, std::string(device_intro) +
                          "  (or open https://login.example.test/device?user_code=WDJB-MJHT)\n"
                          "waiting\u2026 logged in as alice, token valid until 2100-01-01 00:00, "
                          "refreshes in the background\n")
        << "stdout is a pipe: no QR code";
    EXPECT_EQ(c->err, "");
    EXPECT_EQ(json::serialize(params_of("login.start")), R"({"name":"work","open_listener":false})")
        << "no display: headless";
}

TEST_F(FakeDaemonLogin, ADeniedLoginExitsFourWithTheDaemonsHintVerbatim) {
    start("device-denied");
    auto c = login({"work", "--no-qr"});
    const auto status = c->wait();
    EXPECT_TRUE(status.exited_with(4)) << status.describe() << c->err;
    EXPECT_TRUE(c->out.ends_with("waiting\u2026 \n")) << c->out;
    EXPECT_EQ(c->err, "cred: login: the user refused\nhint: cred login work\n");
}

TEST_F(FakeDaemonLogin, SigintAndSigtermSendLoginCancelAndExit130) {
    for (const int sig : {SIGINT, SIGTERM}) {
        std::filesystem::remove(m_socket);
        std::filesystem::remove(m_log);
        start("device-pending");
        auto c = login({"work"});
        ASSERT_TRUE(c->wait_for_text("waiting")) << c->out << c->err;
        c->signal(sig);
        const auto status = c->wait(10s);
        EXPECT_TRUE(status.exited_with(130)) << sig << ": " << status.describe() << c->err;
        EXPECT_EQ(json::serialize(params_of("login.cancel")), R"({"login_id":"L1"})") << sig;
        EXPECT_EQ(c->err, "") << "cancelled as asked: nothing to report";
        m_daemon.reset();
    }
}

TEST_F(FakeDaemonLogin, ASecondSignalLeavesWithoutWaitingForTheDaemon) {
    start("device-deaf");
    auto c = login({"work"});
    ASSERT_TRUE(c->wait_for_text("waiting")) << c->out << c->err;
    c->signal(SIGINT);
    ASSERT_TRUE(wait_until([&] { return received("login.cancel"); }, 10s));
    const auto before = Clock::now();
    c->signal(SIGINT);
    const auto status = c->wait(10s);
    EXPECT_TRUE(status.exited_with(130)) << status.describe() << c->err;
    EXPECT_LT(Clock::now() - before, 3s) << "not the 5 s wait for `cancelled`";
}

TEST_F(FakeDaemonLogin, ADaemonThatNeverConfirmsTheCancelIsWaitedForBoundedly) {
    start("device-deaf");
    auto c = login({"work"});
    ASSERT_TRUE(c->wait_for_text("waiting")) << c->out << c->err;
    const auto before = Clock::now();
    c->signal(SIGTERM);
    const auto status = c->wait(15s);
    EXPECT_TRUE(status.exited_with(130)) << status.describe() << c->err;
    EXPECT_LT(Clock::now() - before, 9s);
    EXPECT_GE(Clock::now() - before, 4s) << "it waits for `cancelled` a while";
}

TEST_F(FakeDaemonLogin, TimeoutCancelsAndExitsOne) {
    start("device-pending");
    auto c = login({"work", "--timeout", "1"});
    const auto status = c->wait(10s);
    EXPECT_TRUE(status.exited_with(1)) << status.describe() << c->err;
    EXPECT_NE(c->err.find("no outcome within 1 s (--timeout)"), std::string::npos) << c->err;
    EXPECT_TRUE(received("login.cancel"));
}

TEST_F(FakeDaemonLogin, NoBrowserSendsThePastedUrlAsRedirectUrl) {
    start("auth-paste");
    auto c = login({"work", "--no-browser"}, {{"DISPLAY", ":99"}});
    ASSERT_TRUE(c->wait_for_text("redirect URL or code: ")) << c->out << c->err;
    EXPECT_NE(c->out.find("Open this URL in a browser:\n  "
                          "https://login.example.test/auth?client_id=c&state=s1\n"),
              std::string::npos)
        << c->out;
    EXPECT_NE(c->out.find("http://127.0.0.1:40001/callback"), std::string::npos) << c->out;
    c->type("http://127.0.0.1:40001/callback?code=c0de&state=s1\n");
    const auto status = c->wait();
    EXPECT_TRUE(status.exited_with(0)) << status.describe() << c->err;
    EXPECT_TRUE(c->out.ends_with("waiting\u2026 logged in, refreshes in the background\n"))
        << c->out;
    EXPECT_EQ(json::serialize(params_of("login.start")),
              R"({"name":"work","open_listener":false})");
    EXPECT_EQ(
        json::serialize(params_of("login.complete")),
        R"({"login_id":"L1","redirect_url":"http://127.0.0.1:40001/callback?code=c0de&state=s1"})");
}

TEST_F(FakeDaemonLogin, ABareCodeIsSentAsCode) {
    start("auth-paste");
    auto c = login({"work", "--no-browser"});
    ASSERT_TRUE(c->wait_for_text("redirect URL or code: ")) << c->out << c->err;
    c->type("4/0AbC-d_e\r\n");
    EXPECT_TRUE(c->wait().exited_with(0)) << c->err;
    EXPECT_EQ(json::serialize(params_of("login.complete")),
              R"({"login_id":"L1","code":"4/0AbC-d_e"})");
}

TEST_F(FakeDaemonLogin, ARefusedPasteIsReportedAndTheLoginCancelled) {
    start("auth-refuse");
    auto c = login({"work", "--no-browser"});
    ASSERT_TRUE(c->wait_for_text("redirect URL or code: ")) << c->out << c->err;
    c->type("http://127.0.0.1:40001/callback?state=s1\n");
    const auto status = c->wait();
    EXPECT_TRUE(status.exited_with(2)) << status.describe() << c->err;
    EXPECT_EQ(c->err, "cred: login: no code in the redirect URL\nhint: paste the whole URL\n");
    EXPECT_TRUE(received("login.cancel"));
}

TEST_F(FakeDaemonLogin, GarbageOnStdinIsRefusedUnsentAndUnechoed) {
    start("auth-paste");
    auto c = login({"work", "--no-browser"});
    ASSERT_TRUE(c->wait_for_text("redirect URL or code: ")) << c->out << c->err;
    c->type("secret-ish words with spaces\n");
    const auto status = c->wait();
    EXPECT_TRUE(status.exited_with(2)) << status.describe() << c->err;
    EXPECT_EQ(c->err.find("secret-ish"), std::string::npos) << c->err;
    EXPECT_FALSE(received("login.complete"));
    EXPECT_TRUE(received("login.cancel"));
}

// A fake xdg-open on PATH that records its arguments, one per line.
std::string fake_xdg_open(const TempDir& temp, const std::string& record) {
    const std::string bin = temp.file("bin");
    std::filesystem::create_directories(bin);
    std::ofstream(bin + "/xdg-open")
        << "#!/bin/sh\nprintf '%s\\n' \"$@\" > '" << record << "'\necho noise\necho noise >&2\n";
    ::chmod((bin + "/xdg-open").c_str(), 0755);
    return bin;
}

TEST_F(FakeDaemonLogin, WithADisplayXdgOpenGetsTheUrlAndItsOutputGoesNowhere) {
    start("auth-browser");
    const std::string record = m_temp.file("xdg-open.args");
    const std::string bin = fake_xdg_open(m_temp, record);
    auto c = login({"work"}, {{"WAYLAND_DISPLAY", "wayland-0"}, {"PATH", bin + ":/usr/bin:/bin"}});
    const auto status = c->wait();
    EXPECT_TRUE(status.exited_with(0)) << status.describe() << c->err;
    EXPECT_TRUE(wait_until([&] { return std::filesystem::exists(record); }, 5s));
    std::ifstream in(record);
    std::string args((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(args, "https://login.example.test/auth?client_id=c&state=s1\n");
    EXPECT_NE(c->out.find("Opened your browser"), std::string::npos) << c->out;
    EXPECT_EQ(c->out.find("noise"), std::string::npos) << c->out;
    EXPECT_EQ(c->err.find("noise"), std::string::npos) << c->err;
    EXPECT_TRUE(c->out.ends_with("logged in as u-1, token valid until 2100-01-01 00:00, "
                                 "refreshes in the background\n"))
        << c->out;
    EXPECT_EQ(json::serialize(params_of("login.start")), R"({"name":"work"})")
        << "the listener stays open";
}

TEST_F(FakeDaemonLogin, WithoutXdgOpenTheUrlIsPrintedAndTheListenerStillWaits) {
    start("auth-browser");
    const std::string empty = m_temp.file("empty-bin");
    std::filesystem::create_directories(empty);
    auto c = login({"work"}, {{"DISPLAY", ":99"}, {"PATH", empty}});
    const auto status = c->wait();
    EXPECT_TRUE(status.exited_with(0)) << status.describe() << c->err;
    EXPECT_NE(c->err.find("cannot start xdg-open"), std::string::npos) << c->err;
    EXPECT_NE(c->out.find("Open this URL in a browser on this machine:\n  https://"),
              std::string::npos)
        << c->out;
}

TEST_F(FakeDaemonLogin, OnATerminalTheQrCodeIsDrawnUnlessNoQr) {
    const std::string script = find_program("script");
    if (script.empty()) {
        GTEST_SKIP() << "script is not installed (Debian package util-linux)";
    }
    start("device-success");
    for (const bool no_qr : {false, true}) {
        ProcessOptions o;
        // script(1) gives cred a pseudo-terminal as stdout.
        o.argv = {script,
                  "-q",
                  "-e",
                  "-c",
                  std::string(CRED_PATH) + " login work" + (no_qr ? " --no-qr" : ""),
                  "/dev/null"};
        o.env = env({{"SHELL", "/bin/sh"}});
        const auto r = run_process(o);
        EXPECT_EQ(r.exit_code(), 0) << r.describe();
        EXPECT_NE(r.out.find("enter WDJB-MJHT"), std::string::npos) << r.out;
        const bool drawn = r.out.find("\x1b[30;107m") != std::string::npos &&
                           r.out.find("\u2580") != std::string::npos;
        EXPECT_EQ(drawn, !no_qr) << r.out;
    }
}

TEST_F(FakeDaemonLogin, WhoamiShowsTheClaimsAsTextOrJson) {
    start("whoami");
    ProcessOptions o;
    o.argv = {CRED_PATH, "whoami", "work"};
    o.env = env();
    const auto text = run_process(o);
    ASSERT_EQ(text.exit_code(), 0) << text.describe();
    EXPECT_EQ(text.out, "name:      Alice\n"
                        "username:  alice\n"
                        "email:     alice@example.test\n"
                        "subject:   u-1\n"
                        "issuer:    https://login.example.test\n"
                        "id token expires: 2100-01-01T00:00:00Z\n");
    o.argv.push_back("--json");
    const auto as_json = run_process(o);
    ASSERT_EQ(as_json.exit_code(), 0) << as_json.describe();
    EXPECT_EQ(json::parse(as_json.out).at("preferred_username").as_string(), "alice");
}

} // namespace
} // namespace credd::test
