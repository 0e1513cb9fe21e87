// The client side of cred login: parsing login, whoami and the login kinds of add, the
// pasted redirect URL, the outcome line and exit statuses, reading answers and
// notifications off one connection, and the QR code (renderer, golden, decode).
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.hh"
#include "cli_parsing.hh"
#include "connection.hh"
#include "exit_code.hh"
#include "login_command.hh"
#include "qr_code.hh"
#include "qr_encoder.hh"
#include "rpc_client.hh"

namespace credd {
namespace {

using namespace std::chrono_literals;

using test::parse;
using test::parse_as;
using test::test_now;

std::string parse_failure(std::vector<std::string_view> args) {
    auto invocation = parse(std::move(args));
    EXPECT_FALSE(invocation);
    if (invocation) {
        return {};
    }
    EXPECT_EQ(invocation.error().code, Errc::invalid_params);
    return invocation.error().message;
}

std::string param(const cli::AddCommand& c, std::string_view key) {
    for (const auto& p : c.params) {
        if (p.key == key) {
            return p.value;
        }
    }
    return "<none>";
}

// ---- parsing -------------------------------------------------------------------------

TEST(LoginCliParse, LoginTakesNameAndItsOptions) {
    const auto plain = parse_as<cli::LoginCommand>({"login", "work"});
    EXPECT_EQ(plain.name, "work");
    EXPECT_FALSE(plain.no_browser);
    EXPECT_FALSE(plain.no_qr);
    EXPECT_FALSE(plain.timeout_s);

    const auto all =
        parse_as<cli::LoginCommand>({"login", "--no-browser", "work", "--no-qr", "--timeout=2m"});
    EXPECT_TRUE(all.no_browser);
    EXPECT_TRUE(all.no_qr);
    EXPECT_EQ(all.timeout_s, 120);

    EXPECT_NE(parse_failure({"login"}).find("missing NAME"), std::string::npos);
    EXPECT_NE(parse_failure({"login", "a", "b"}).find("unexpected"), std::string::npos);
    EXPECT_NE(parse_failure({"login", "a", "--timeout", "0"}).find("at least"), std::string::npos);
    EXPECT_NE(parse_failure({"login", "a", "--timeout", "soon"}), "");
    EXPECT_NE(parse_failure({"login", "a", "--browser"}).find("unknown option"), std::string::npos);
    EXPECT_NE(parse_failure({"login", "bad name"}).find("credential name"), std::string::npos);
}

TEST(LoginCliParse, WhoamiTakesNameAndJson) {
    const auto w = parse_as<cli::WhoamiCommand>({"whoami", "work", "--json"});
    EXPECT_EQ(w.name, "work");
    EXPECT_TRUE(w.json);
    EXPECT_NE(parse_failure({"whoami"}).find("missing NAME"), std::string::npos);
}

TEST(LoginCliParse, HelpForTheNewCommands) {
    const auto login = parse_as<cli::HelpCommand>({"login", "--help"});
    EXPECT_EQ(login.topic, cli::CommandKind::login);
    const auto whoami = parse_as<cli::HelpCommand>({"help", "whoami"});
    EXPECT_EQ(whoami.topic, cli::CommandKind::whoami);
}

TEST(LoginCliParse, AddDeviceMapsOptionsToTheDaemonsParams) {
    const auto c = parse_as<cli::AddCommand>(
        {"add", "work", "--kind", "device", "--issuer", "https://login.example.com", "--client-id",
         "cli-app", "--scope", "openid offline_access", "--device-url",
         "https://login.example.com/device", "--token-url", "https://login.example.com/token"});
    EXPECT_EQ(c.kind, "device");
    EXPECT_EQ(param(c, "issuer"), "https://login.example.com");
    EXPECT_EQ(param(c, "client_id"), "cli-app");
    EXPECT_EQ(param(c, "scope"), "openid offline_access");
    EXPECT_EQ(param(c, "device_authorization_url"), "https://login.example.com/device");
    EXPECT_EQ(param(c, "token_url"), "https://login.example.com/token");
    EXPECT_FALSE(c.client_secret_stdin);
    EXPECT_TRUE(c.url.empty()) << "--url stays optional";
}

TEST(LoginCliParse, AddAuthCodeWithPresetTenantAndSecret) {
    const auto c = parse_as<cli::AddCommand>(
        {"add", "ms", "--kind", "auth-code", "--preset", "microsoft", "--tenant", "contoso.com",
         "--client-id", "id", "--auth-url", "https://a.example/auth", "--client-secret-stdin"});
    EXPECT_EQ(c.kind, "auth-code");
    EXPECT_EQ(param(c, "preset"), "microsoft");
    EXPECT_EQ(param(c, "tenant"), "contoso.com");
    EXPECT_EQ(param(c, "authorization_url"), "https://a.example/auth");
    EXPECT_TRUE(c.client_secret_stdin);
}

TEST(LoginCliParse, AddLoginKindsRefuseWhatDoesNotFit) {
    EXPECT_NE(parse_failure({"add", "w", "--kind", "device", "--issuer", "https://i.example"})
                  .find("--client-id"),
              std::string::npos);
    EXPECT_NE(parse_failure({"add", "w", "--kind", "oauth2-refresh-token", "--client-id", "c",
                             "--token-url", "https://t.example", "--preset", "github"})
                  .find("go with --kind device or auth-code"),
              std::string::npos);
    EXPECT_NE(
        parse_failure({"add", "w", "--url", "https://x.example", "--issuer", "https://i.example"})
            .find("need --kind"),
        std::string::npos);
    EXPECT_NE(parse_failure({"add", "w", "--kind", "device", "--client-id", "c", "--timeout", "5"})
                  .find("exec"),
              std::string::npos);
    EXPECT_NE(parse_failure({"add", "w", "--kind", "browser"}).find("auth-code"),
              std::string::npos);
    // The secret itself is never an argument, whatever the kind.
    EXPECT_NE(parse_failure({"add", "w", "--kind", "auth-code", "--client-id", "c", "--secret=abc"})
                  .find("not accepted on the command line"),
              std::string::npos);
}

// ---- pasted answers ---------------------------------------------------------------------

TEST(PastedAnswer, TheWholeRedirectUrl) {
    auto a =
        parse_pasted_answer("  http://127.0.0.1:41234/callback?code=abc.DEF-123&state=xyz\r\n");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->key, "redirect_url");
    EXPECT_EQ(a->value.expose(), "http://127.0.0.1:41234/callback?code=abc.DEF-123&state=xyz");
}

TEST(PastedAnswer, AnAddressBarThatHidTheScheme) {
    auto a = parse_pasted_answer("127.0.0.1:41234/callback?code=abc&state=xyz");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->key, "redirect_url");
    EXPECT_EQ(a->value.expose(), "http://127.0.0.1:41234/callback?code=abc&state=xyz");
}

TEST(PastedAnswer, ABareCode) {
    auto a = parse_pasted_answer("4/0AX4XfWh-code_value.x~y\n");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->key, "code");
    EXPECT_EQ(a->value.expose(), "4/0AX4XfWh-code_value.x~y");
}

TEST(PastedAnswer, RefusesEmptyGarbageAndControlBytesWithoutQuotingThem) {
    for (std::string_view bad : {"", "   \n", "two words", "code=\x1b[31m", "<script>", "a\tb"}) {
        auto a = parse_pasted_answer(bad);
        ASSERT_FALSE(a) << bad;
        EXPECT_EQ(a.error().code, Errc::invalid_params);
        if (bad.size() > 3) {
            EXPECT_EQ(a.error().message.find(bad), std::string::npos);
        }
    }
    EXPECT_FALSE(parse_pasted_answer(std::string(9000, 'a')));
}

// ---- the outcome ------------------------------------------------------------------------

// Sets TZ for one test and puts the old value back.
class ScopedTz {
public:
    explicit ScopedTz(const char* tz) {
        if (const char* old = std::getenv("TZ")) {
            m_old = old;
        }
        ::setenv("TZ", tz, 1);
        ::tzset();
    }
    ~ScopedTz() {
        if (m_old) {
            ::setenv("TZ", m_old->c_str(), 1);
        } else {
            ::unsetenv("TZ");
        }
        ::tzset();
    }

private:
    std::optional<std::string> m_old;
};

TEST(LoginOutcome, SuccessLineNamesTheBestClaimAndTheExpiry) {
    const ScopedTz utc("UTC");
    const UnixMs now = 1'700'000'000'000; // 2023-11-14T22:13:20Z
    auto progress = boost::json::parse(
                        R"({"login_id":"L1","state":"succeeded","expires_at":1700003580000,
        "identity":{"sub":"u-1","email":"alice@example.com","preferred_username":"alice"}})")
                        .as_object();
    EXPECT_EQ(login_success_line(progress, now),
              "logged in as alice, token valid until 23:13, refreshes in the background");
    progress["identity"].as_object().erase("preferred_username");
    EXPECT_EQ(login_success_line(progress, now),
              "logged in as alice@example.com, token valid until 23:13, refreshes in the "
              "background");
    progress["identity"] = nullptr;
    progress["expires_at"] = 1700000000000 + 86'400'000;
    EXPECT_EQ(login_success_line(progress, now),
              "logged in, token valid until 2023-11-15 22:13, refreshes in the background");
    progress["identity"] = boost::json::object{{"sub", "evil\x1b[2J"}};
    progress.erase("expires_at");
    EXPECT_EQ(login_success_line(progress, now),
              "logged in as evil?[2J, refreshes in the background");
}

TEST(LoginOutcome, DeniedExpiredAndWrongStateMeanLogInAgain) {
    EXPECT_EQ(login_failure_exit("access_denied"), ExitCode::unusable_token);
    EXPECT_EQ(login_failure_exit("expired_token"), ExitCode::unusable_token);
    EXPECT_EQ(login_failure_exit("state_mismatch"), ExitCode::unusable_token);
    EXPECT_EQ(login_failure_exit("login_failed"), ExitCode::error);
    EXPECT_EQ(login_failure_exit("not_found"), ExitCode::not_found);
    EXPECT_EQ(to_int(ExitCode::interrupted), 130);
}

// ---- one connection, answers and notifications --------------------------------------

// Accepts one connection and writes `script` to it in one go, then closes it.
class ScriptedServer {
public:
    ScriptedServer(std::string path, std::string script) : m_path(std::move(path)) {
        m_fd = test::listen_unix(m_path, 1);
        EXPECT_GE(m_fd, 0) << m_path;
        m_thread = std::thread([this, script = std::move(script)] {
            const int client = ::accept(m_fd, nullptr, nullptr);
            EXPECT_EQ(::write(client, script.data(), script.size()),
                      static_cast<ssize_t>(script.size()));
            ::close(client);
        });
    }
    ~ScriptedServer() {
        m_thread.join();
        ::close(m_fd);
        ::unlink(m_path.c_str());
    }

private:
    std::string m_path;
    int m_fd = -1;
    std::thread m_thread;
};

TEST(ConnectionNextLine, HandsOutEachLineOfOneReadThenReportsTheHangUp) {
    char pattern[] = "/tmp/cred-login-unit-XXXXXX";
    const std::string dir = ::mkdtemp(pattern);
    const std::string path = dir + "/s";
    {
        ScriptedServer server(path, "{\"id\":1,\"result\":{}}\n"
                                    "{\"method\":\"login.progress\"}\n"
                                    "{\"partial");
        auto connection = Connection::open(path, Deadline::after(1s));
        ASSERT_TRUE(connection);
        std::vector<std::string> lines;
        Result<std::optional<std::string_view>> next = std::optional<std::string_view>{};
        const auto deadline = Deadline::after(5s);
        while (!deadline.has_passed()) {
            next = connection->next_line();
            if (!next) {
                break;
            }
            if (*next) {
                lines.emplace_back(**next);
            } else {
                pollfd p{connection->fd(), POLLIN, 0}; // nothing yet: wait for more
                ::poll(&p, 1, deadline.remaining_ms());
            }
        }
        EXPECT_EQ(lines, (std::vector<std::string>{"{\"id\":1,\"result\":{}}",
                                                   "{\"method\":\"login.progress\"}"}));
        ASSERT_FALSE(next);
        EXPECT_EQ(next.error().code, Errc::daemon_unreachable);
    }
    ::rmdir(dir.c_str());
}

// ---- the QR code ------------------------------------------------------------------------

const std::string golden_input = "https://login.example.com/device?user_code=WDJB-MJHT";
const std::string golden_path = CREDD_TEST_DATA "/qr/login-device.txt";

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(QrRender, HalfBlocksTwoRowsPerLineWithTheQuietZone) {
    // A 3x3 symbol with a known pattern (real ones are at least 21x21).
    QrMatrix m;
    m.width = 3;
    m.dark = {1, 0, 1, //
              1, 1, 0, //
              0, 1, 0};
    const std::string text = render_qr(m, false);
    // 11 module rows (3 + 2 * 4) make 6 lines of 11 cells; the symbol starts at row 4,
    // which pairs rows (4,5) and (6,7).
    std::vector<std::string> lines;
    std::stringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    ASSERT_EQ(lines.size(), 6U);
    const std::string blank(11, ' ');
    EXPECT_EQ(lines[0], blank);
    EXPECT_EQ(lines[1], blank);
    EXPECT_EQ(lines[2], "    \u2588\u2584\u2580    ") << "rows 1+2: both, bottom, top";
    EXPECT_EQ(lines[3], "     \u2580     ") << "row 3 over the quiet zone";
    EXPECT_EQ(lines[4], blank);
    EXPECT_EQ(lines[5], blank);
}

TEST(QrRender, ColoursWrapEachLineInDarkOnLight) {
    QrMatrix m;
    m.width = 1;
    m.dark = {1};
    const std::string text = render_qr(m, true);
    std::stringstream in(text);
    int lines = 0;
    for (std::string line; std::getline(in, line); ++lines) {
        EXPECT_TRUE(line.starts_with("\x1b[30;107m")) << lines;
        EXPECT_TRUE(line.ends_with("\x1b[0m")) << lines;
    }
    EXPECT_EQ(lines, 5);
}

TEST(QrRows, TheWireFormRoundTripsAndRefusesWhatIsNotASquareOfBits) {
    auto m = encode_qr(golden_input);
    ASSERT_TRUE(m) << m.error().message;
    const auto rows = qr_rows(*m);
    ASSERT_EQ(rows.size(), static_cast<std::size_t>(m->width));
    auto back = qr_from_rows(rows);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->width, m->width);
    EXPECT_EQ(back->dark, m->dark);

    EXPECT_FALSE(qr_from_rows({}));
    EXPECT_FALSE(qr_from_rows({"01", "1"})) << "ragged";
    EXPECT_FALSE(qr_from_rows({"02", "10"})) << "not a bit";
    EXPECT_FALSE(qr_from_rows(std::vector<std::string>(178, std::string(178, '0'))))
        << "wider than version 40";
}

TEST(QrGolden, AFixedInputRendersByteForByte) {
    auto m = encode_qr(golden_input);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->width, 29) << "version 3 at level L";
    const std::string rendered = render_qr(*m, false);
    if (const char* update = std::getenv("CREDD_UPDATE_GOLDEN"); update && *update == '1') {
        std::ofstream(golden_path, std::ios::binary) << rendered;
    }
    EXPECT_EQ(rendered, read_file(golden_path))
        << "rendered:\n"
        << rendered << "(CREDD_UPDATE_GOLDEN=1 rewrites " << golden_path << ")";
}

// The golden text, read back into modules: upper/lower halves of each cell.
std::vector<std::vector<bool>> modules_of(const std::string& text) {
    std::vector<std::vector<bool>> rows;
    std::stringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::vector<bool> top;
        std::vector<bool> bottom;
        for (std::size_t i = 0; i < line.size();) {
            if (line[i] == ' ') {
                top.push_back(false);
                bottom.push_back(false);
                ++i;
                continue;
            }
            const std::string cell = line.substr(i, 3);
            top.push_back(cell == "\u2588" || cell == "\u2580");
            bottom.push_back(cell == "\u2588" || cell == "\u2584");
            i += 3;
        }
        rows.push_back(top);
        rows.push_back(bottom);
    }
    return rows;
}

TEST(QrGolden, TheGoldenTextDecodesToTheInput) {
    const char* zbarimg = nullptr;
    for (const char* candidate : {"/usr/bin/zbarimg", "/usr/local/bin/zbarimg"}) {
        if (::access(candidate, X_OK) == 0) {
            zbarimg = candidate;
        }
    }
    if (zbarimg == nullptr) {
        GTEST_SKIP() << "zbarimg is not installed (Debian package zbar-tools)";
    }
    const auto modules = modules_of(read_file(golden_path));
    ASSERT_GT(modules.size(), 20U);
    // A PBM (1 = black) of the modules as the text shows them, 8 pixels a module.
    constexpr int scale = 8;
    const int height = static_cast<int>(modules.size());
    const int width = static_cast<int>(modules[0].size());
    char pattern[] = "/tmp/cred-qr-XXXXXX";
    const std::string dir = ::mkdtemp(pattern);
    const std::string pbm = dir + "/code.pbm";
    {
        std::ofstream out(pbm);
        out << "P1\n" << width * scale << ' ' << height * scale << '\n';
        for (int y = 0; y < height * scale; ++y) {
            for (int x = 0; x < width * scale; ++x) {
                out << (modules[static_cast<std::size_t>(y / scale)]
                               [static_cast<std::size_t>(x / scale)]
                            ? '1'
                            : '0')
                    << ((x + 1) % 35 == 0 ? '\n' : ' ');
            }
            out << '\n';
        }
    }
    const std::string out_file = dir + "/decoded";
    const std::string command =
        std::string(zbarimg) + " --quiet --raw '" + pbm + "' > '" + out_file + "' 2>/dev/null";
    const int rc = std::system(command.c_str());
    const std::string decoded = read_file(out_file);
    std::system(("rm -rf '" + dir + "'").c_str());
    ASSERT_EQ(rc, 0) << "zbarimg found no code";
    EXPECT_EQ(decoded, golden_input + "\n");
}

} // namespace
} // namespace credd
