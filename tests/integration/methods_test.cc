// The JSON-RPC methods as credd-protocol(7) documents them: shapes, ids, errors.
#include <string>
#include <vector>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <unistd.h>

#include "daemon_test.hh"
#include "rpc_client.hh"

namespace credd::test {
namespace {

namespace json = boost::json;

const json::object& result_object(const json::value& response) {
    static const json::object empty;
    const json::value* r = result_of(response);
    return r && r->is_object() ? r->get_object() : empty;
}

std::string member(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v ? json::serialize(*v) : "(missing)";
}

using Methods = DaemonTest;

TEST_F(Methods, DaemonInfoDescribesTheDaemon) {
    const json::object info = result_object(rpc("daemon.info"));
    ASSERT_FALSE(info.empty()) << "daemon.info failed";
    EXPECT_EQ(member(info, "version"), json::serialize(json::value(CREDD_VERSION)));
    EXPECT_EQ(member(info, "protocol"), "1");
    EXPECT_EQ(member(info, "pid"), std::to_string(m_daemon->pid()));
    EXPECT_EQ(member(info, "socket"), json::serialize(json::value(m_dirs.socket())));
    EXPECT_EQ(member(info, "store"), json::serialize(json::value(m_dirs.data_dir())));
    EXPECT_EQ(member(info, "key_protection"), "\"file\"");
    EXPECT_EQ(member(info, "key_location"), json::serialize(json::value(m_dirs.key_file())));
    EXPECT_EQ(member(info, "credentials"), "0");
    const auto* uptime = info.if_contains("uptime_ms");
    EXPECT_TRUE(uptime && uptime->is_int64() && uptime->get_int64() >= 0);

    add_static({"counted", "https://counted.example", make_token("counted")});
    EXPECT_EQ(member(result_object(rpc("daemon.info")), "credentials"), "1");
}

TEST_F(Methods, AddReportsCreatedThenReplaced) {
    const json::object params{{"name", "twice"},
                              {"url", "https://twice.example"},
                              {"secret", {{"token", make_token("twice")}}}};
    const json::object first = result_object(rpc("credential.add", params));
    EXPECT_EQ(member(first, "name"), "\"twice\"");
    EXPECT_EQ(member(first, "created"), "true");
    json::object again = params;
    again["secret"] = {{"token", make_token("twice2")}};
    const json::object second = result_object(rpc("credential.add", again));
    EXPECT_EQ(member(second, "created"), "false");
    const auto* g1 = first.if_contains("generation");
    const auto* g2 = second.if_contains("generation");
    ASSERT_TRUE(g1 && g2 && g1->is_number() && g2->is_number());
    EXPECT_GT(g2->to_number<std::int64_t>(), g1->to_number<std::int64_t>())
        << "a new secret must bump the generation";
}

TEST_F(Methods, TokenGetResultHasTheDocumentedMembers) {
    const std::string token = make_token("shape");
    const std::int64_t expiry = now_unix_ms() + 30LL * 24 * 3600 * 1000;
    add_static({"shape", "https://shape.example", token, "alice", expiry});
    const json::object r = result_object(rpc("token.get", {{"name", "shape"}}));
    const auto* t = r.if_contains("token");
    EXPECT_TRUE(t && t->is_string() && t->get_string() == token) << "token member differs";
    EXPECT_EQ(member(r, "name"), "\"shape\"");
    EXPECT_EQ(member(r, "username"), "\"alice\"");
    EXPECT_EQ(member(r, "expires_at"), std::to_string(expiry));
    EXPECT_TRUE(r.contains("generation"));
}

TEST_F(Methods, RemoveAnswersRemovedThenNotFound) {
    add_static({"doomed", "https://doomed.example", make_token("doomed")});
    const json::object r = result_object(rpc("credential.remove", {{"name", "doomed"}}));
    EXPECT_EQ(member(r, "removed"), "true");
    EXPECT_EQ(error_code_of(rpc("credential.remove", {{"name", "doomed"}})), "not_found");
    EXPECT_EQ(jsonrpc_code_of(rpc("credential.remove", {{"name", "doomed"}})), -32010);
}

TEST_F(Methods, ListIsSortedByNameWithNullsForMissingValues) {
    add_static({"b-second", "https://b.example", make_token("b"), "bob", now_unix_ms() + 3600000});
    add_static({"a-first", "https://a.example", make_token("a")});
    const json::object r = result_object(rpc("credential.list"));
    const auto* list = r.if_contains("credentials");
    ASSERT_TRUE(list && list->is_array() && list->get_array().size() == 2);
    const auto& first = list->get_array()[0].get_object();
    const auto& second = list->get_array()[1].get_object();
    EXPECT_EQ(member(first, "name"), "\"a-first\"");
    EXPECT_EQ(member(second, "name"), "\"b-second\"");
    EXPECT_EQ(member(first, "username"), "null");
    EXPECT_EQ(member(first, "expires_at"), "null");
    EXPECT_EQ(member(first, "kind"), "\"static\"");
    EXPECT_EQ(member(second, "username"), "\"bob\"");
    EXPECT_FALSE(first.contains("token") || first.contains("secret")) << "list shows a secret";
}

TEST_F(Methods, StatusOfAnUnknownNameIsNotFound) {
    EXPECT_EQ(error_code_of(rpc("credential.status", {{"name", "nope"}})), "not_found");
}

TEST_F(Methods, UpdateChangesAttributesNotTheSecret) {
    const std::string token = make_token("upd");
    add_static({"upd", "https://upd.example", token, "alice", now_unix_ms() + 3600000});
    const json::value response = rpc("credential.update", {{"name", "upd"},
                                                           {"username", nullptr},
                                                           {"expires_at", nullptr},
                                                           {"labels", {{"team", "infra"}}}});
    const json::object r = result_object(response);
    EXPECT_EQ(member(r, "name"), "\"upd\"") << error_code_of(response);
    const json::object list = result_object(rpc("credential.list"));
    const auto& entry = list.at("credentials").at(0).as_object();
    EXPECT_EQ(member(entry, "username"), "null") << "null must clear the username";
    EXPECT_EQ(member(entry, "expires_at"), "null") << "null must clear the expiry";
    EXPECT_EQ(member(entry, "labels"), R"({"team":"infra"})");
    EXPECT_TRUE(get_token({{"name", "upd"}}).is(token)) << "update changed the secret";
}

TEST_F(Methods, UpdateOfAnUnknownNameIsNotFound) {
    EXPECT_EQ(error_code_of(
                  rpc("credential.update", {{"name", "ghost"}, {"url", "https://ghost.example"}})),
              "not_found");
}

TEST_F(Methods, NamesFollowTheDocumentedPattern) {
    const std::string ok128 = "a" + std::string(127, 'b');
    const auto add = [&](const std::string& name) {
        return rpc("credential.add", {{"name", name},
                                      {"url", "https://names.example"},
                                      {"secret", {{"token", make_token("n")}}}});
    };
    EXPECT_NE(result_of(add(ok128)), nullptr) << "a 128-character name is valid";
    EXPECT_NE(result_of(add("a.b_c@d+e-f")), nullptr);
    for (const std::string& bad :
         {"a" + std::string(128, 'b'), std::string("-lead"), std::string(""),
          std::string("has space"), std::string("slash/name"), std::string("dot..dot/../x")}) {
        EXPECT_EQ(error_code_of(add(bad)), "invalid_params") << "name '" << bad << "'";
    }
}

TEST_F(Methods, PipelinedRequestsAreAnsweredInOrderById) {
    add_static({"pipe", "https://pipe.example", make_token("pipe")});
    RpcClient client(m_daemon->socket_path());
    std::string burst;
    burst += R"({"jsonrpc":"2.0","id":"first","method":"daemon.info"})"
             "\n";
    burst += R"({"jsonrpc":"2.0","id":2,"method":"token.get","params":{"name":"nope"}})"
             "\n";
    burst += R"({"jsonrpc":"2.0","id":3,"method":"credential.list"})"
             "\n";
    ASSERT_TRUE(client.send(burst));
    for (const char* id : {"\"first\"", "2", "3"}) {
        const ReadResult r = client.read_line();
        ASSERT_EQ(r.status, ReadStatus::line) << "no answer for id " << id;
        const json::value v = parse_json(r.line);
        EXPECT_EQ(member(v.as_object(), "id"), id);
        EXPECT_EQ(member(v.as_object(), "jsonrpc"), "\"2.0\"");
    }
}

TEST_F(Methods, NotificationGetsNoAnswer) {
    RpcClient client(m_daemon->socket_path());
    ASSERT_TRUE(client.send(R"({"jsonrpc":"2.0","method":"daemon.info"})"
                            "\n"
                            R"({"jsonrpc":"2.0","id":7,"method":"daemon.info"})"
                            "\n"));
    const ReadResult r = client.read_line();
    ASSERT_EQ(r.status, ReadStatus::line);
    EXPECT_EQ(member(parse_json(r.line).as_object(), "id"), "7") << "the notification was answered";
}

TEST_F(Methods, ResponsesAreOneCompactLine) {
    add_static({"compact",
                "https://compact.example",
                make_token("compact"),
                std::nullopt,
                std::nullopt,
                {{"k", "v"}}});
    RpcClient client(m_daemon->socket_path());
    client.call("credential.list");
    const std::string& line = client.last_read().line;
    EXPECT_FALSE(contains(line, "\n") || contains(line, "\r"));
    EXPECT_EQ(json::serialize(parse_json(line)), line) << "response is not compact JSON";
}

TEST_F(Methods, ManyRequestsOnOneConnection) {
    add_static({"many", "https://many.example", make_token("many")});
    RpcClient client(m_daemon->socket_path());
    for (int i = 0; i < 500; ++i) {
        const json::value v = client.call("token.get", {{"name", "many"}});
        ASSERT_NE(result_of(v), nullptr) << "request " << i;
        ASSERT_EQ(member(v.as_object(), "id"), std::to_string(client.last_id()));
    }
}

} // namespace
} // namespace credd::test
