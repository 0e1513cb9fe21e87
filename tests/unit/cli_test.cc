// Unit tests of the cred client: argument parsing, exit codes, tables, secret
// handling, the transport's limits and daemon autostart, without a real daemon.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "argument_values.hh"
#include "cli.hh"
#include "cli_parsing.hh"
#include "connection.hh"
#include "credential_table.hh"
#include "daemon_client.hh"
#include "daemon_launcher.hh"
#include "exit_code.hh"
#include "protocol.hh"
#include "rpc_client.hh"
#include "secret_input.hh"
#include "secret_request.hh"
#include "table.hh"
#include "terminal_text.hh"

namespace credd {
namespace {

using namespace std::chrono_literals;

using test::parse;
using test::parse_as;
using test::test_now;

Errc parse_error(std::vector<std::string_view> args) {
    auto invocation = parse(std::move(args));
    return invocation ? Errc::ok : invocation.error().code;
}

// ---- parsing ----------------------------------------------------------------------------

TEST(CliParse, TokenByName) {
    auto c = parse_as<cli::TokenCommand>({"token", "github-work"});
    EXPECT_EQ(c.name, "github-work");
    EXPECT_FALSE(c.url);
    EXPECT_FALSE(c.json);
}

TEST(CliParse, TokenByUrlWithUsernameAndMinValid) {
    auto c = parse_as<cli::TokenCommand>({"token", "--url", "https://github.com/org/repo.git",
                                          "--username=alice", "--min-valid", "5m", "--json"});
    EXPECT_FALSE(c.name);
    EXPECT_EQ(c.url, "https://github.com/org/repo.git");
    EXPECT_EQ(c.username, "alice");
    EXPECT_EQ(c.min_valid_s, 300);
    EXPECT_TRUE(c.json);
}

TEST(CliParse, TokenNeedsExactlyOneOfNameAndUrl) {
    EXPECT_EQ(parse_error({"token"}), Errc::invalid_params);
    EXPECT_EQ(parse_error({"token", "a", "--url", "https://h"}), Errc::invalid_params);
}

TEST(CliParse, TokenUsernameOnlyWithUrl) {
    EXPECT_EQ(parse_error({"token", "a", "--username", "u"}), Errc::invalid_params);
}

TEST(CliParse, AddCollectsEverything) {
    auto c = parse_as<cli::AddCommand>({"add", "gh", "--url", "https://github.com", "--username",
                                        "alice", "--expires-at", "+30d", "--label", "team=infra",
                                        "--label=env=prod"});
    EXPECT_EQ(c.name, "gh");
    EXPECT_EQ(c.url, "https://github.com");
    EXPECT_EQ(c.username, "alice");
    EXPECT_EQ(c.expires_at, test_now + 30LL * 86'400'000);
    const std::vector<cli::Label> expected{{"team", "infra"}, {"env", "prod"}};
    EXPECT_EQ(c.labels, expected);
}

TEST(CliParse, AddNeedsNameAndUrl) {
    EXPECT_EQ(parse_error({"add", "--url", "https://h"}), Errc::invalid_params);
    EXPECT_EQ(parse_error({"add", "gh"}), Errc::invalid_params);
}

TEST(CliParse, AddRefusesBadUrlAndName) {
    EXPECT_EQ(parse_error({"add", "gh", "--url", "github.com"}), Errc::invalid_params);
    EXPECT_EQ(parse_error({"add", "-gh", "--url", "https://h"}), Errc::invalid_params);
    EXPECT_EQ(parse_error({"add", "g/h", "--url", "https://h"}), Errc::invalid_params);
}

TEST(CliParse, PasswordInUrlIsRefusedWithoutQuotingIt) {
    auto invocation = parse({"add", "gh", "--url", "https://alice:hunter2@github.com"});
    ASSERT_FALSE(invocation);
    EXPECT_EQ(invocation.error().code, Errc::invalid_params);
    EXPECT_EQ(invocation.error().message.find("hunter2"), std::string::npos);
}

TEST(CliParse, ExpiresAtForms) {
    EXPECT_EQ(parse_as<cli::AddCommand>(
                  {"add", "a", "--url", "https://h", "--expires-at", "2026-12-31T00:00:00Z"})
                  .expires_at,
              1'798'675'200'000);
    EXPECT_EQ(
        parse_as<cli::AddCommand>({"add", "a", "--url", "https://h", "--expires-at", "1798675200"})
            .expires_at,
        1'798'675'200'000);
    EXPECT_EQ(parse_as<cli::AddCommand>({"add", "a", "--url", "https://h", "--expires-at", "+12h"})
                  .expires_at,
              test_now + 12 * 3'600'000);
    EXPECT_EQ(parse_as<cli::AddCommand>({"add", "a", "--url", "https://h", "--expires-at", "+45s"})
                  .expires_at,
              test_now + 45'000);
    EXPECT_EQ(parse_error({"add", "a", "--url", "https://h", "--expires-at", "soon"}),
              Errc::invalid_params);
}

TEST(CliParse, UpdateSetsAndClears) {
    using Action = cli::FieldChange<std::string>::Action;
    auto c = parse_as<cli::UpdateCommand>(
        {"update", "gh", "--no-username", "--expires-at", "+1d", "--no-labels"});
    EXPECT_EQ(c.username.action, Action::clear);
    EXPECT_EQ(c.expires_at.action, cli::FieldChange<UnixMs>::Action::set);
    EXPECT_EQ(c.expires_at.value, test_now + 86'400'000);
    ASSERT_TRUE(c.labels);
    EXPECT_TRUE(c.labels->empty());
    EXPECT_FALSE(c.url);
}

TEST(CliParse, UpdateLabelsReplace) {
    auto c = parse_as<cli::UpdateCommand>({"update", "gh", "--label", "a=1", "--label", "b=2"});
    ASSERT_TRUE(c.labels);
    EXPECT_EQ(c.labels->size(), 2u);
    EXPECT_EQ(c.username.action, cli::FieldChange<std::string>::Action::keep);
}

TEST(CliParse, UpdateRefusesContradictions) {
    EXPECT_EQ(parse_error({"update", "gh", "--username", "a", "--no-username"}),
              Errc::invalid_params);
    EXPECT_EQ(parse_error({"update", "gh", "--no-expiry", "--expires-at", "+1d"}),
              Errc::invalid_params);
    EXPECT_EQ(parse_error({"update", "gh", "--label", "a=1", "--no-labels"}), Errc::invalid_params);
    EXPECT_EQ(parse_error({"update", "gh", "--no-labels", "--label", "a=1"}), Errc::invalid_params);
}

TEST(CliParse, UpdateNeedsAChange) {
    EXPECT_EQ(parse_error({"update", "gh"}), Errc::invalid_params);
}

TEST(CliParse, RemoveListStatus) {
    EXPECT_EQ(parse_as<cli::RemoveCommand>({"remove", "gh"}).name, "gh");
    EXPECT_TRUE(parse_as<cli::ListCommand>({"list", "--json"}).json);
    EXPECT_FALSE(parse_as<cli::StatusCommand>({"status"}).name);
    EXPECT_EQ(parse_as<cli::StatusCommand>({"status", "gh"}).name, "gh");
    EXPECT_EQ(parse_error({"remove"}), Errc::invalid_params);
    EXPECT_EQ(parse_error({"remove", "a", "b"}), Errc::invalid_params);
    EXPECT_EQ(parse_error({"list", "extra"}), Errc::invalid_params);
}

TEST(CliParse, KeystoreShowsOrMigrates) {
    EXPECT_FALSE(parse_as<cli::KeystoreCommand>({"keystore"}).migrate);
    EXPECT_TRUE(parse_as<cli::KeystoreCommand>({"keystore", "--json"}).json);
    const auto m = parse_as<cli::KeystoreCommand>({"keystore", "migrate", "--to", "file"});
    EXPECT_TRUE(m.migrate);
    EXPECT_EQ(m.to, "file");
    EXPECT_EQ(parse_as<cli::KeystoreCommand>({"keystore", "migrate", "--to=keyring"}).to,
              "keyring");
    EXPECT_EQ(parse_error({"keystore", "migrate"}), Errc::invalid_params);
    EXPECT_EQ(parse_error({"keystore", "migrate", "--to", "plaintext"}), Errc::invalid_params);
    EXPECT_EQ(parse_error({"keystore", "--to", "file"}), Errc::invalid_params);
    EXPECT_EQ(parse_error({"keystore", "delete"}), Errc::invalid_params);
}

TEST(CliParse, OptionMistakes) {
    EXPECT_EQ(parse_error({"list", "--jsn"}), Errc::invalid_params);
    EXPECT_EQ(parse_error({"list", "--json=yes"}), Errc::invalid_params);
    EXPECT_EQ(parse_error({"token", "--url"}), Errc::invalid_params);
    EXPECT_EQ(parse_error({"token", "--url", "https://a", "--url", "https://b"}),
              Errc::invalid_params);
    EXPECT_EQ(parse_error({"frobnicate"}), Errc::invalid_params);
    EXPECT_EQ(parse_error({}), Errc::invalid_params);
}

TEST(CliParse, GlobalSocket) {
    auto a = parse({"--socket", "/tmp/s", "list"});
    ASSERT_TRUE(a);
    EXPECT_EQ(a->socket, "/tmp/s");
    auto b = parse({"--socket=/tmp/t", "list"});
    ASSERT_TRUE(b);
    EXPECT_EQ(b->socket, "/tmp/t");
    EXPECT_EQ(parse_error({"--socket"}), Errc::invalid_params);
    EXPECT_EQ(parse_error({"--socket=", "list"}), Errc::invalid_params);
    EXPECT_FALSE(parse({"list"})->socket);
}

TEST(CliParse, HelpAndVersion) {
    EXPECT_FALSE(parse_as<cli::HelpCommand>({"--help"}).topic);
    EXPECT_FALSE(parse_as<cli::HelpCommand>({"-h"}).topic);
    EXPECT_FALSE(parse_as<cli::HelpCommand>({"help"}).topic);
    EXPECT_EQ(parse_as<cli::HelpCommand>({"help", "add"}).topic, cli::CommandKind::add);
    EXPECT_EQ(parse_as<cli::HelpCommand>({"token", "--help"}).topic, cli::CommandKind::token);
    // --help wins over otherwise incomplete arguments: asking for help is never an error.
    EXPECT_EQ(parse_as<cli::HelpCommand>({"add", "--help"}).topic, cli::CommandKind::add);
    parse_as<cli::VersionCommand>({"--version"});
    parse_as<cli::VersionCommand>({"version"});
    EXPECT_EQ(parse_error({"help", "nope"}), Errc::invalid_params);
}

// ---- secrets on argv ------------------------------------------------------------------

TEST(CliSecrets, StrayArgumentIsNotEchoed) {
    auto refused = parse({"add", "gh", "--url", "https://h", "ghp_stray"});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::invalid_params);
    EXPECT_EQ(refused.error().message.find("ghp_stray"), std::string::npos);
    EXPECT_EQ(refused.error().hint.find("ghp_stray"), std::string::npos);
}

TEST(CliSecrets, SecretOptionsAreRecognised) {
    for (std::string_view arg :
         {"--token", "--token=x", "--secret", "--secret=", "--password", "--password=hunter2"}) {
        EXPECT_TRUE(cli::is_secret_option(arg)) << arg;
    }
    for (std::string_view arg : {"token", "--tokens", "--token-file", "--url", "-t", "--json"}) {
        EXPECT_FALSE(cli::is_secret_option(arg)) << arg;
    }
}

TEST(CliSecrets, RefusedWhereverTheySit) {
    EXPECT_EQ(parse_error({"add", "gh", "--url", "https://h", "--token", "abc"}),
              Errc::invalid_params);
    EXPECT_EQ(parse_error({"--password=abc", "list"}), Errc::invalid_params);
    // Even next to --help, which would otherwise win.
    EXPECT_EQ(parse_error({"add", "--help", "--secret=abc"}), Errc::invalid_params);
    auto refused = parse({"add", "gh", "--token=abc"});
    ASSERT_FALSE(refused);
    EXPECT_FALSE(refused.error().hint.empty());
    EXPECT_EQ(refused.error().message.find("abc"), std::string::npos);
}

// ---- values -------------------------------------------------------------------------------

TEST(CliValues, Labels) {
    EXPECT_EQ(cli::parse_label("team=infra").value(), (cli::Label{"team", "infra"}));
    EXPECT_EQ(cli::parse_label("note=").value(), (cli::Label{"note", ""}));
    EXPECT_EQ(cli::parse_label("url=a=b").value(), (cli::Label{"url", "a=b"}));
    EXPECT_EQ(cli::parse_label("=x").error().code, Errc::invalid_params);
    EXPECT_EQ(cli::parse_label("novalue").error().code, Errc::invalid_params);
    EXPECT_EQ(parse_error({"add", "a", "--url", "https://h", "--label", "k=1", "--label", "k=2"}),
              Errc::invalid_params);
}

TEST(CliValues, Seconds) {
    EXPECT_EQ(cli::parse_seconds("0").value(), 0);
    EXPECT_EQ(cli::parse_seconds("300").value(), 300);
    EXPECT_EQ(cli::parse_seconds("45s").value(), 45);
    EXPECT_EQ(cli::parse_seconds("2h").value(), 7200);
    EXPECT_EQ(cli::parse_seconds("1d").value(), 86400);
    for (std::string_view bad : {"", "m", "-5", "5y", "1.5h", "99999999999999999999"}) {
        EXPECT_FALSE(cli::parse_seconds(bad)) << bad;
    }
}

TEST(CliValues, Names) {
    EXPECT_TRUE(cli::is_valid_name("github-work"));
    EXPECT_TRUE(cli::is_valid_name("a.b_c@d+e-f"));
    EXPECT_TRUE(cli::is_valid_name(std::string(128, 'a')));
    EXPECT_FALSE(cli::is_valid_name(std::string(129, 'a')));
    EXPECT_FALSE(cli::is_valid_name(""));
    EXPECT_FALSE(cli::is_valid_name(".hidden"));
    EXPECT_FALSE(cli::is_valid_name("has space"));
}

// ---- exit codes ---------------------------------------------------------------------------

TEST(ExitCodes, DocumentedMapping) {
    EXPECT_EQ(to_int(exit_code_for(Errc::ok)), 0);
    EXPECT_EQ(to_int(exit_code_for(Errc::internal)), 1);
    EXPECT_EQ(to_int(exit_code_for(Errc::corrupt)), 1);
    EXPECT_EQ(to_int(exit_code_for(Errc::io_error)), 1);
    EXPECT_EQ(to_int(exit_code_for(Errc::invalid_params)), 2);
    EXPECT_EQ(to_int(exit_code_for(Errc::not_found)), 3);
    EXPECT_EQ(to_int(exit_code_for(Errc::expired)), 4);
    EXPECT_EQ(to_int(exit_code_for(Errc::insufficient_validity)), 4);
    EXPECT_EQ(to_int(exit_code_for(Errc::needs_login)), 4);
    EXPECT_EQ(to_int(exit_code_for(Errc::daemon_unreachable)), 5);
}

// ---- tables ----------------------------------------------------------------------------

TEST(TableLayout, WidthsFollowTheWidestCell) {
    Table table({"NAME", "KIND"});
    table.add_row({"github-work", "static"});
    table.add_row({"a", "oauth2-refresh-token"});
    EXPECT_EQ(table.column_widths(), (std::vector<std::size_t>{11, 20}));
    EXPECT_EQ(table.render(), "NAME         KIND\n"
                              "github-work  static\n"
                              "a            oauth2-refresh-token\n");
}

TEST(TableLayout, HeaderOnlyAndShortRows) {
    Table table({"NAME", "STATUS", "LABELS"});
    EXPECT_EQ(table.render(), "NAME  STATUS  LABELS\n");
    table.add_row({"x"});
    EXPECT_EQ(table.column_widths(), (std::vector<std::size_t>{4, 6, 6}));
}

TEST(TableLayout, CountsCodePointsAndNeutralisesControls) {
    Table table({"N", "L"});
    table.add_row({"héé", "a\x1b[2Jb"});
    EXPECT_EQ(table.column_widths()[0], 3u);
    EXPECT_EQ(table.render().find('\x1b'), std::string::npos);
    EXPECT_EQ(printable("a\nb\x7f\xc2\x9b"), "a?b??");
    EXPECT_EQ(display_width("日本"), 2u);
}

TEST(CredentialTable, ListAndStatusRows) {
    const auto credentials = boost::json::parse(R"([
        {"name":"gh","kind":"static","url":"https://github.com/org","username":"alice",
         "labels":{"team":"infra","env":"prod"},"expires_at":1798675200000,"status":"fresh"},
        {"name":"x","kind":"static","url":"https://h","username":null,"labels":{},
         "expires_at":null,"status":"expired","next_refresh":null,"last_error":"boom"}
    ])")
                                 .as_array();
    const auto& gh = credentials[0].as_object();
    EXPECT_EQ(match_text(gh, true), "https://alice@github.com/org");
    EXPECT_EQ(match_text(gh, false), "https://github.com/org");
    EXPECT_EQ(labels_text(gh), "team=infra,env=prod");
    EXPECT_EQ(time_text(gh, "expires_at"), "2026-12-31T00:00:00Z");
    EXPECT_EQ(time_text(credentials[1].as_object(), "expires_at"), "-");
    EXPECT_EQ(labels_text(credentials[1].as_object()), "-");
    EXPECT_EQ(make_list_table(credentials).row_count(), 2u);
    EXPECT_EQ(make_status_table(credentials).column_widths().size(), 8u);
}

TEST(CredentialTable, NeverShowsSecretMembers) {
    const auto credentials =
        boost::json::parse(
            R"([{"name":"gh","kind":"static","url":"https://h","token":"SECRET-TOKEN",
             "secret":{"token":"SECRET-TOKEN"}}])")
            .as_array();
    EXPECT_EQ(make_list_table(credentials).render().find("SECRET"), std::string::npos);
    EXPECT_EQ(make_status_table(credentials).render().find("SECRET"), std::string::npos);
}

// ---- secrets in transit -----------------------------------------------------------------

TEST(SecretText, StripsOneNewlineOnly) {
    for (auto [in, out] : std::vector<std::pair<std::string, std::string>>{{"tok\n", "tok"},
                                                                           {"tok\r\n", "tok"},
                                                                           {"tok\n\n", "tok\n"},
                                                                           {"tok", "tok"},
                                                                           {"tok ", "tok "},
                                                                           {"\n", ""}}) {
        strip_one_newline(in);
        EXPECT_EQ(in, out);
    }
}

TEST(SecretRequestLine, SerialisesAParseableRequest) {
    const std::string token = "tok\"en\\with\nescapes";
    SecretRequest request(token.size() + 64);
    boost::json::object params(request.storage());
    params["name"] = "gh";
    boost::json::object secret(request.storage());
    secret["token"] = token;
    params["secret"] = std::move(secret);
    std::string line;
    ASSERT_TRUE(SecretRequest::write_line(line, 1, protocol::method::credential_add, params));
    ASSERT_TRUE(line.ends_with("}\n"));
    boost::json::value id;
    auto parsed = protocol::parse_request(std::string_view(line).substr(0, line.size() - 1), id);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->method, protocol::method::credential_add);
    EXPECT_EQ(parsed->params.at("secret").at("token").as_string(), token);
}

TEST(SecretRequestLine, RefusesAnOverlongLine) {
    const std::string token(SecretRequest::fits_in_line(60000) ? 60000 : 1, '"');
    SecretRequest request(token.size());
    boost::json::object params(request.storage());
    params["token"] = token; // escaping doubles it past 64 KiB
    std::string line;
    auto written = SecretRequest::write_line(line, 1, "x", params);
    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().code, Errc::invalid_params);
    EXPECT_TRUE(line.empty());
}

// ---- transport ----------------------------------------------------------------------------

// A scratch directory removed with everything in it.
class ScratchDir {
public:
    ScratchDir() {
        char pattern[] = "/tmp/cred-unit-XXXXXX";
        m_path = ::mkdtemp(pattern);
    }
    ~ScratchDir() { std::system(("rm -rf '" + m_path + "'").c_str()); }
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

// A one-shot server: accepts one connection, reads a line, then sends `answer`.
class OneShotServer {
public:
    OneShotServer(const std::string& path, std::string answer) {
        m_fd = test::listen_unix(path, 4);
        EXPECT_GE(m_fd, 0) << path;
        m_thread = std::thread([this, answer = std::move(answer)] { serve(answer); });
    }
    ~OneShotServer() {
        m_thread.join();
        ::close(m_fd);
    }

private:
    void serve(const std::string& answer) {
        const int client = ::accept(m_fd, nullptr, nullptr);
        char c = 0;
        while (::read(client, &c, 1) == 1 && c != '\n') {
        }
        std::size_t sent = 0;
        while (sent < answer.size()) {
            const ssize_t n = ::write(client, answer.data() + sent, answer.size() - sent);
            if (n <= 0) {
                break;
            }
            sent += static_cast<std::size_t>(n);
        }
        if (answer.empty()) {
            // A daemon that never answers: hold the connection until the client, past
            // its deadline, hangs up.
            while (::read(client, &c, 1) > 0) {
            }
        }
        ::close(client);
    }

    int m_fd = -1;
    std::thread m_thread;
};

Result<boost::json::value> exchange_with(const std::string& answer,
                                         std::chrono::milliseconds timeout = 2s) {
    ScratchDir dir;
    const std::string socket = dir.path() + "/s";
    auto server = std::make_unique<OneShotServer>(socket, answer);
    Result<boost::json::value> result = make_error(Errc::internal, "not run");
    {
        auto connection = Connection::open(socket, Deadline::after(1s));
        EXPECT_TRUE(connection);
        if (!connection) {
            return result;
        }
        std::string line = protocol::make_request_line(1, "daemon.info", {});
        result = connection->exchange(line, Deadline::after(timeout));
        EXPECT_TRUE(line.empty()); // wiped once sent
    }
    server.reset(); // joins the server thread before the socket directory goes
    return result;
}

TEST(ConnectionExchange, ReadsAResultAndAnError) {
    auto ok = exchange_with(R"({"jsonrpc":"2.0","id":1,"result":{"a":1}})"
                            "\n");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->at("a").as_int64(), 1);
    auto err = exchange_with(R"({"jsonrpc":"2.0","id":1,"error":{"code":-32010,"message":"m",)"
                             R"("data":{"code":"not_found","hint":"cred list"}}})"
                             "\n");
    ASSERT_FALSE(err);
    EXPECT_EQ(err.error().code, Errc::not_found);
    EXPECT_EQ(err.error().hint, "cred list");
}

TEST(ConnectionExchange, RefusesAnOverlongAnswer) {
    auto result = exchange_with(std::string(protocol::max_line_bytes + 10, 'x'));
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::line_too_long);
}

TEST(ConnectionExchange, ClosedWithoutAnswerIsUnreachable) {
    auto result = exchange_with("{\"partial");
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::daemon_unreachable);
}

TEST(ConnectionExchange, SilentDaemonHitsTheDeadline) {
    auto result = exchange_with("", 100ms);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::daemon_unreachable);
}

TEST(ConnectionOpen, MissingSocketIsEnoent) {
    auto connection = Connection::open("/nonexistent/credd/socket", Deadline::after(1s));
    ASSERT_FALSE(connection);
    EXPECT_EQ(connection.error().value(), ENOENT);
    EXPECT_EQ(Connection::open(std::string(200, 'a'), Deadline::after(1s)).error().value(),
              ENAMETOOLONG);
}

// ---- autostart ----------------------------------------------------------------------------

std::string write_script(const ScratchDir& dir, const std::string& body) {
    const std::string path = dir.path() + "/fake-credd";
    std::ofstream(path) << "#!/bin/sh\n" << body;
    ::chmod(path.c_str(), 0700);
    return path;
}

TEST(DaemonLaunch, PassesSocketAndReadyFdAndDetaches) {
    ScratchDir dir;
    const std::string record = dir.path() + "/record";
    // $$ is the shell itself: its descriptors and session are what the daemon would get.
    const std::string script = write_script(
        dir, "fds=$(readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2)\n"
             "sid=$(cut -d' ' -f6 /proc/$$/stat)\n"
             "echo \"$@\" > " +
                 record + "\n" + "echo \"$fds\" >> " + record + "\n" +
                 "[ \"$sid\" = \"$$\" ] && echo leader >> " + record + "\n" + "echo READY >&3\n");
    ASSERT_TRUE(launch_daemon(LaunchRequest{script, dir.path() + "/s", 2s}));
    std::ifstream in(record);
    std::string args, fd0, fd1, fd2, leader;
    std::getline(in, args);
    std::getline(in, fd0);
    std::getline(in, fd1);
    std::getline(in, fd2);
    std::getline(in, leader);
    EXPECT_EQ(args, "--socket " + dir.path() + "/s --ready-fd 3");
    EXPECT_EQ(fd0, "/dev/null");
    EXPECT_EQ(fd1, "/dev/null");
    EXPECT_EQ(fd2, "/dev/null");
    EXPECT_EQ(leader, "leader"); // its own session: no terminal hangup reaches it
}

TEST(DaemonLaunch, ResolvesARelativeSocketBeforeLeavingTheDirectory) {
    ScratchDir dir;
    const std::string record = dir.path() + "/record";
    const std::string script = write_script(dir, "echo \"$2\" > " + record + "\necho READY >&3\n");
    char cwd[4096];
    ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
    ASSERT_TRUE(launch_daemon(LaunchRequest{script, "rel/s", 2s}));
    std::ifstream in(record);
    std::string socket;
    std::getline(in, socket);
    EXPECT_EQ(socket, std::string(cwd) + "/rel/s");
}

TEST(DaemonLaunch, ReportsTheDaemonsError) {
    ScratchDir dir;
    const std::string script = write_script(dir, "echo 'ERROR key file unreadable' >&3\nexit 1\n");
    auto launched = launch_daemon(LaunchRequest{script, dir.path() + "/s", 2s});
    ASSERT_FALSE(launched);
    EXPECT_EQ(launched.error().code, Errc::daemon_unreachable);
    EXPECT_EQ(launched.error().message, "key file unreadable");
}

TEST(DaemonLaunch, SilentExitAndMissingBinary) {
    ScratchDir dir;
    const std::string script = write_script(dir, "exit 3\n");
    EXPECT_EQ(launch_daemon(LaunchRequest{script, dir.path() + "/s", 2s}).error().code,
              Errc::daemon_unreachable);
    EXPECT_EQ(
        launch_daemon(LaunchRequest{dir.path() + "/none", dir.path() + "/s", 2s}).error().code,
        Errc::daemon_unreachable);
}

TEST(DaemonClientReach, NoAutostartMeansUnreachable) {
    DaemonClient client(DaemonClientOptions{"/nonexistent/credd/socket", false, false});
    auto result = client.call(protocol::method::daemon_info, {}, 1s);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::daemon_unreachable);
    EXPECT_FALSE(result.error().hint.empty());
}

TEST(DaemonClientReach, FindsTheConfiguredDaemon) {
    ::setenv("CREDD_DAEMON", "/opt/credd/bin/credd", 1);
    auto found = find_daemon();
    ::unsetenv("CREDD_DAEMON");
    ASSERT_TRUE(found);
    EXPECT_EQ(*found, "/opt/credd/bin/credd");
}

} // namespace
} // namespace credd
