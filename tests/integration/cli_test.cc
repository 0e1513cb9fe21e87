// The real `cred` client against a real daemon: add, token, list, status, update, remove,
// exit codes, and secrets kept off argv and out of every table.
#include <string>
#include <vector>

#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "daemon_test.hh"
#include "rpc_client.hh"

namespace credd::test {
namespace {

namespace json = boost::json;

// The documented exit codes of cred(1).
constexpr int exit_ok = 0;
constexpr int exit_usage = 2;
constexpr int exit_not_found = 3;
constexpr int exit_unreachable = 5;

// `cred list --json` may be the protocol's {"credentials":[…]} or the bare array.
const json::array* credentials_in(const json::value& v) {
    if (v.is_array()) {
        return &v.get_array();
    }
    const auto* obj = v.if_object();
    const auto* list = obj ? obj->if_contains("credentials") : nullptr;
    return list ? list->if_array() : nullptr;
}

const json::object* entry_named(const json::value& v, std::string_view name) {
    const json::array* list = credentials_in(v);
    for (std::size_t i = 0; list && i < list->size(); ++i) {
        const auto* o = (*list)[i].if_object();
        const auto* n = o ? o->if_contains("name") : nullptr;
        if (n && n->is_string() && n->get_string() == name) {
            return o;
        }
    }
    return nullptr;
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

class Cli : public DaemonTest {
protected:
    // `cred add` with the secret on stdin; a non-fatal failure if refused.
    void add(const std::string& name, const std::string& token, std::vector<std::string> extra) {
        std::vector<std::string> args{"add", name};
        args.insert(args.end(), extra.begin(), extra.end());
        const ProcessResult r = cred(args, token);
        EXPECT_EQ(r.exit_code(), exit_ok) << "cred add " << name << ": " << r.describe();
        EXPECT_FALSE(contains(r.out + r.err, token)) << "cred add echoed the secret";
    }
};

TEST_F(Cli, AddThenTokenPrintsOnlyTheToken) {
    const std::string token = make_token("cli");
    add("github-work", token, {"--url", "https://github.com", "--username", "alice"});
    const ProcessResult r = cred({"token", "github-work"});
    EXPECT_EQ(r.exit_code(), exit_ok) << r.describe();
    EXPECT_TRUE(is_exactly_token(r.out, token)) << "stdout is not exactly the token";
}

TEST_F(Cli, TokenByUrlPicksTheCredential) {
    const std::string token = make_token("url");
    add("github-work", token, {"--url", "https://github.com", "--username", "alice"});
    add("gitlab", make_token("gitlab"), {"--url", "https://gitlab.com"});
    const ProcessResult r = cred({"token", "--url", "https://github.com/org/repo.git"});
    EXPECT_EQ(r.exit_code(), exit_ok) << r.describe();
    EXPECT_TRUE(is_exactly_token(r.out, token));
}

TEST_F(Cli, TokenJsonCarriesTokenAndName) {
    const std::string token = make_token("json");
    add("json-tok", token, {"--url", "https://json.example"});
    const ProcessResult r = cred({"token", "json-tok", "--json"});
    ASSERT_EQ(r.exit_code(), exit_ok) << r.describe();
    const json::value v = parse_json(r.out);
    const auto* o = v.if_object();
    ASSERT_NE(o, nullptr) << "cred token --json did not print a JSON object";
    const auto* t = o->if_contains("token");
    EXPECT_TRUE(t && t->is_string() && t->get_string() == token) << "token member differs";
    const auto* n = o->if_contains("name");
    EXPECT_TRUE(n && n->is_string() && n->get_string() == "json-tok");
}

TEST_F(Cli, ListShowsEveryCredentialAndNoSecret) {
    const std::string a = make_token("list-a");
    const std::string b = make_token("list-b");
    add("list-a", a, {"--url", "https://a.example", "--label", "team=infra"});
    add("list-b", b, {"--url", "https://b.example/x", "--username", "bob"});
    const ProcessResult table = cred({"list"});
    ASSERT_EQ(table.exit_code(), exit_ok) << table.describe();
    EXPECT_TRUE(contains(table.out, "list-a") && contains(table.out, "list-b"));
    EXPECT_FALSE(contains(table.out, a) || contains(table.out, b)) << "cred list shows a secret";

    const ProcessResult js = cred({"list", "--json"});
    ASSERT_EQ(js.exit_code(), exit_ok) << js.describe();
    EXPECT_FALSE(contains(js.out, a) || contains(js.out, b)) << "cred list --json shows a secret";
    const json::value v = parse_json(js.out);
    const auto* entry = entry_named(v, "list-a");
    ASSERT_NE(entry, nullptr) << "list-a missing from cred list --json";
    EXPECT_NE(entry_named(v, "list-b"), nullptr);
    const auto* labels = entry->if_contains("labels");
    ASSERT_TRUE(labels && labels->is_object());
    const auto* team = labels->get_object().if_contains("team");
    EXPECT_TRUE(team && team->is_string() && team->get_string() == "infra");
}

TEST_F(Cli, ListWithNoCredentialsSucceeds) {
    const ProcessResult r = cred({"list"});
    EXPECT_EQ(r.exit_code(), exit_ok) << r.describe();
}

TEST_F(Cli, StatusTableHasTheDocumentedColumns) {
    const std::string token = make_token("status");
    add("status-a", token, {"--url", "https://status.example", "--expires-at", "+90d"});
    const ProcessResult r = cred({"status"});
    ASSERT_EQ(r.exit_code(), exit_ok) << r.describe();
    EXPECT_FALSE(contains(r.out, token)) << "cred status shows a secret";
    const std::string header = r.out.substr(0, r.out.find('\n'));
    std::size_t at = 0;
    for (const char* column : {"NAME", "KIND", "MATCH", "STATUS", "EXPIRES_AT", "NEXT_REFRESH",
                               "LAST_REFRESH", "LAST_ERROR"}) {
        const auto found = header.find(column, at);
        EXPECT_NE(found, std::string::npos) << column << " missing or out of order in: " << header;
        at = found == std::string::npos ? at : found + 1;
    }
    EXPECT_EQ(count_lines_with(r.out, {"status-a", "static", "fresh"}), 1u) << r.out;
}

TEST_F(Cli, StatusJsonOfOneCredential) {
    add("one", make_token("one"), {"--url", "https://one.example"});
    add("two", make_token("two"), {"--url", "https://two.example"});
    const ProcessResult r = cred({"status", "one", "--json"});
    ASSERT_EQ(r.exit_code(), exit_ok) << r.describe();
    const json::value v = parse_json(r.out);
    const auto* entry = entry_named(v, "one");
    ASSERT_NE(entry, nullptr) << "status --json lacks the credential";
    EXPECT_EQ(entry_named(v, "two"), nullptr) << "status NAME listed another credential";
    const auto* status = entry->if_contains("status");
    EXPECT_TRUE(status && status->is_string() && status->get_string() == "fresh");
    const auto* protection = entry->if_contains("protection");
    EXPECT_TRUE(protection && protection->is_string() && protection->get_string() == "file");
}

TEST_F(Cli, StatusOfAnUnknownNameIsNotFound) {
    const ProcessResult r = cred({"status", "nope"});
    EXPECT_EQ(r.exit_code(), exit_not_found) << r.describe();
}

TEST_F(Cli, RemoveThenTokenIsNotFound) {
    add("short-lived", make_token("rm"), {"--url", "https://rm.example"});
    ProcessResult r = cred({"remove", "short-lived"});
    EXPECT_EQ(r.exit_code(), exit_ok) << r.describe();
    r = cred({"token", "short-lived"});
    EXPECT_EQ(r.exit_code(), exit_not_found) << r.describe();
    EXPECT_TRUE(r.out.empty()) << "a failed cred token wrote to stdout";
    EXPECT_TRUE(starts_with(r.err, "cred: ")) << "error line must start with 'cred: ': " << r.err;
    r = cred({"remove", "short-lived"});
    EXPECT_EQ(r.exit_code(), exit_not_found) << r.describe();
    r = cred({"token", "--url", "https://rm.example/x"});
    EXPECT_EQ(r.exit_code(), exit_not_found) << r.describe();
}

TEST_F(Cli, AddReplacesAnExistingCredential) {
    const std::string first = make_token("first");
    const std::string second = make_token("second");
    add("replaced", first, {"--url", "https://replaced.example"});
    add("replaced", second, {"--url", "https://replaced.example"});
    const ProcessResult r = cred({"token", "replaced"});
    EXPECT_TRUE(is_exactly_token(r.out, second)) << "the replaced token is still served";
}

TEST_F(Cli, UpdateChangesTheMatchAndKeepsTheSecret) {
    const std::string token = make_token("update");
    add("moving", token, {"--url", "https://old.example"});
    ProcessResult r = cred({"update", "moving", "--url", "https://new.example"});
    ASSERT_EQ(r.exit_code(), exit_ok) << r.describe();
    r = cred({"token", "--url", "https://new.example/x"});
    EXPECT_EQ(r.exit_code(), exit_ok) << r.describe();
    EXPECT_TRUE(is_exactly_token(r.out, token)) << "update changed the secret";
    r = cred({"token", "--url", "https://old.example/x"});
    EXPECT_EQ(r.exit_code(), exit_not_found) << r.describe();
}

TEST_F(Cli, UpdateChangesExpiryAndLabels) {
    add("relabel", make_token("relabel"), {"--url", "https://relabel.example"});
    ProcessResult r = cred({"update", "relabel", "--expires-at", "1798675200", "--label", "k=v"});
    ASSERT_EQ(r.exit_code(), exit_ok) << r.describe();
    r = cred({"list", "--json"});
    const json::value v = parse_json(r.out);
    const auto* entry = entry_named(v, "relabel");
    ASSERT_NE(entry, nullptr);
    const auto* expires = entry->if_contains("expires_at");
    EXPECT_TRUE(expires && expires->is_int64() && expires->get_int64() == 1798675200000LL)
        << "expires_at in unix seconds must be stored as milliseconds";
    const auto* labels = entry->if_contains("labels");
    const auto* k = labels && labels->is_object() ? labels->get_object().if_contains("k") : nullptr;
    EXPECT_TRUE(k && k->is_string() && k->get_string() == "v");
}

TEST_F(Cli, UpdateOfAnUnknownNameIsNotFound) {
    const ProcessResult r = cred({"update", "ghost", "--url", "https://ghost.example"});
    EXPECT_EQ(r.exit_code(), exit_not_found) << r.describe();
}

TEST_F(Cli, ExpiresAtAcceptsRfc3339UnixSecondsAndRelative) {
    add("rfc", make_token("rfc"),
        {"--url", "https://rfc.example", "--expires-at", "2026-12-31T00:00:00Z"});
    add("unix", make_token("unix"),
        {"--url", "https://unix.example", "--expires-at", "1798675200"});
    add("rel", make_token("rel"), {"--url", "https://rel.example", "--expires-at", "+30d"});
    const json::value v = parse_json(cred({"list", "--json"}).out);
    const auto expiry = [&](std::string_view name) -> std::int64_t {
        const auto* e = entry_named(v, name);
        const auto* x = e ? e->if_contains("expires_at") : nullptr;
        return x && x->is_int64() ? x->get_int64() : -1;
    };
    EXPECT_EQ(expiry("rfc"), 1798675200000LL);
    EXPECT_EQ(expiry("unix"), 1798675200000LL);
    const std::int64_t thirty_days = 30LL * 24 * 3600 * 1000;
    EXPECT_NEAR(static_cast<double>(expiry("rel")),
                static_cast<double>(now_unix_ms() + thirty_days), 120000.0);
}

TEST_F(Cli, SecretOnTheCommandLineIsRefused) {
    const std::string token = make_token("argv");
    const std::vector<std::vector<std::string>> attempts = {
        {"add", "argv", "--url", "https://argv.example", token},
        {"add", "argv", "--url", "https://argv.example", "--token", token},
        {"add", "argv", "--url", "https://argv.example", "--token=" + token},
        {"add", "argv", "--url", "https://argv.example", "--secret", token},
        {"add", "argv", "--url", "https://argv.example", "--password", token},
    };
    for (const auto& args : attempts) {
        const ProcessResult r = cred(args, make_token("stdin"));
        // Not r.describe(): a stray positional may be echoed, and it is a token.
        EXPECT_EQ(r.exit_code(), exit_usage)
            << "cred add with a secret on argv: " << r.status.describe();
        if (args[4].front() == '-') {
            EXPECT_FALSE(contains(r.err, token)) << "the refusal echoed the secret";
        }
    }
    EXPECT_EQ(cred({"token", "argv"}).exit_code(), exit_not_found) << "a refused add stored it";
}

TEST_F(Cli, UsageErrorsExitWithTwo) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"frobnicate"},
             {"token"},
             {"add", "no-url"},
             {"token", "x", "--min-valid", "soon"},
             {"add", "x", "--url", "https://x.example", "--expires-at", "someday"},
             {"add", "x", "--url", "https://x.example", "--label", "no-equals-sign"}}) {
        const ProcessResult r = cred(args, make_token("usage"));
        EXPECT_EQ(r.exit_code(), exit_usage)
            << args.front() << " " << args.back() << ": " << r.describe();
        EXPECT_TRUE(r.out.empty()) << "usage error printed to stdout";
    }
}

TEST_F(Cli, HelpDocumentsTheExitCodes) {
    const ProcessResult r = cred({"--help"});
    EXPECT_EQ(r.exit_code(), exit_ok) << r.describe();
    const std::string help = r.out + r.err;
    for (const char* code : {"0", "1", "2", "3", "4", "5"}) {
        EXPECT_TRUE(contains(help, code)) << "exit code " << code << " not in --help";
    }
    EXPECT_TRUE(contains(help, "not found") && contains(help, "unreachable")) << help;
}

TEST_F(Cli, DefaultSocketComesFromXdgRuntimeDir) {
    const std::string token = make_token("xdg");
    add("xdg", token, {"--url", "https://xdg.example"});
    const ProcessResult r = cred({"token", "xdg"}, {}, {{"CREDD_SOCKET", std::nullopt}});
    EXPECT_EQ(r.exit_code(), exit_ok) << r.describe();
    EXPECT_TRUE(is_exactly_token(r.out, token));
}

TEST_F(Cli, SocketFlagOverridesTheEnvironment) {
    const std::string token = make_token("flag");
    add("flag", token, {"--url", "https://flag.example"});
    const ProcessResult r = cred({"--socket", m_dirs.socket(), "token", "flag"}, {},
                                 {{"CREDD_SOCKET", m_temp.file("nothing-here")}});
    EXPECT_EQ(r.exit_code(), exit_ok) << r.describe();
    EXPECT_TRUE(is_exactly_token(r.out, token));
}

TEST_F(Cli, UnreachableDaemonExitsWithFiveAndAHint) {
    const ProcessResult r =
        cred({"token", "anything"}, {}, {{"CREDD_SOCKET", m_temp.file("nothing-here")}});
    EXPECT_EQ(r.exit_code(), exit_unreachable) << r.describe();
    EXPECT_TRUE(r.out.empty());
    EXPECT_TRUE(starts_with(r.err, "cred: ")) << r.err;
    EXPECT_TRUE(contains(r.err, "\nhint: ")) << "no hint line: " << r.err;
}

} // namespace
} // namespace credd::test
