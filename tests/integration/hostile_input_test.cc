// Hostile request lines (tests/data/hostile/) answered with their stable data.code while
// the daemon keeps serving another client.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "daemon_process.hh"
#include "daemon_test.hh"
#include "rpc_client.hh"

namespace credd::test {
namespace {

namespace json = boost::json;

// One file under tests/data/hostile/, the code credd-protocol(7) says it gets, and the
// id the answer must carry (-1: none could be read, so null is expected).
struct HostileCase {
    const char* file;
    const char* code;
    int jsonrpc_code;
    int id;
};

const HostileCase hostile_cases[] = {
    {"deep-nesting.json", "too_deep", -32600, -2},
    {"deep-nesting-objects.json", "too_deep", -32600, -2},
    {"not-json.txt", "parse_error", -32700, -1},
    {"truncated-json.json", "parse_error", -32700, -1},
    {"trailing-garbage.json", "parse_error", -32700, -1},
    {"nul-byte.bin", "parse_error", -32700, -1},
    {"not-object-array.json", "invalid_request", -32600, -1},
    {"not-object-string.json", "invalid_request", -32600, -1},
    {"no-jsonrpc.json", "invalid_request", -32600, 6},
    {"wrong-version.json", "invalid_request", -32600, 7},
    {"jsonrpc-not-string.json", "invalid_request", -32600, 8},
    {"no-method.json", "invalid_request", -32600, 9},
    {"method-not-string.json", "invalid_request", -32600, 10},
    {"id-is-object.json", "invalid_request", -32600, -1},
    {"unknown-method.json", "method_not_found", -32601, 12},
    {"params-not-object.json", "invalid_params", -32602, 13},
    {"params-string.json", "invalid_params", -32602, 14},
    {"missing-params.json", "invalid_params", -32602, 15},
    {"remove-without-name.json", "invalid_params", -32602, 16},
    {"mistyped-params.json", "invalid_params", -32602, 17},
    {"mistyped-min-valid.json", "invalid_params", -32602, 18},
    {"add-without-secret.json", "invalid_params", -32602, 19},
    {"add-invalid-name.json", "invalid_params", -32602, 20},
    {"add-url-not-url.json", "invalid_params", -32602, 21},
    {"add-password-in-url.json", "invalid_params", -32602, 22},
    {"add-expires-not-int.json", "invalid_params", -32602, 23},
    {"labels-not-strings.json", "invalid_params", -32602, 24},
    {"invalid-utf8.bin", "invalid_utf8", -32700, -2},
    {"overlong-utf8.bin", "invalid_utf8", -32700, -2},
    {"utf8-surrogate.bin", "invalid_utf8", -32700, -2},
    {"truncated-utf8.bin", "invalid_utf8", -32700, -2},
};
// id -2: the line cannot be read safely, so which id comes back is not asserted.

std::string hostile_dir() {
    return std::string(CREDD_TEST_DATA) + "/hostile";
}

// The file's bytes as one request line (the file has no newline of its own; an editor
// may have added one at the end).
std::string hostile_line(const char* file) {
    std::string bytes = read_file(hostile_dir() + "/" + file);
    if (!bytes.empty() && bytes.back() == '\n') {
        bytes.pop_back();
    }
    return bytes + "\n";
}

std::string id_text(const json::value& response) {
    const auto* obj = response.if_object();
    const auto* id = obj ? obj->if_contains("id") : nullptr;
    return id ? json::serialize(*id) : "(missing)";
}

class HostileInput : public DaemonTest, public ::testing::WithParamInterface<HostileCase> {
protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (!HasFatalFailure()) {
            m_token = make_token("hostile");
            add_static({"hostile-target", "https://hostile.example", m_token});
        }
    }

    // The second client, on its own connection: served normally throughout.
    void expect_bystander_served(RpcClient& bystander) {
        const json::value response = bystander.call("token.get", {{"name", "hostile-target"}});
        const json::value* result = result_of(response);
        ASSERT_NE(result, nullptr) << "bystander not served: " << error_code_of(response);
        const auto* token = result->get_object().if_contains("token");
        EXPECT_TRUE(token && token->is_string() && token->get_string() == m_token)
            << "bystander got a different token";
    }

    std::string m_token;
};

TEST_P(HostileInput, AnsweredWithItsCodeWhileAnotherClientIsServed) {
    const HostileCase& c = GetParam();
    RpcClient bystander(m_daemon->socket_path());
    RpcClient hostile(m_daemon->socket_path());
    ASSERT_TRUE(bystander.connected() && hostile.connected());
    expect_bystander_served(bystander);

    ASSERT_TRUE(hostile.send(hostile_line(c.file)));
    const ReadResult answer = hostile.read_line();
    ASSERT_EQ(answer.status, ReadStatus::line) << c.file << ": no answer";
    const json::value response = parse_json(answer.line);
    EXPECT_EQ(error_code_of(response), c.code) << c.file << " answered: " << answer.line;
    EXPECT_EQ(jsonrpc_code_of(response), c.jsonrpc_code) << c.file;
    if (c.id >= 0) {
        EXPECT_EQ(id_text(response), std::to_string(c.id)) << c.file;
    } else if (c.id == -1) {
        EXPECT_EQ(id_text(response), "null") << c.file;
    }

    expect_bystander_served(bystander);
    // The hostile connection stays usable: every one of these is a per-line error.
    const json::value info = hostile.call("daemon.info");
    EXPECT_NE(result_of(info), nullptr) << c.file << ": connection unusable after the error";
}

INSTANTIATE_TEST_SUITE_P(Files, HostileInput, ::testing::ValuesIn(hostile_cases),
                         [](const ::testing::TestParamInfo<HostileCase>& info) {
                             std::string name = info.param.file;
                             std::replace_if(
                                 name.begin(), name.end(),
                                 [](char ch) {
                                     return !std::isalnum(static_cast<unsigned char>(ch));
                                 },
                                 '_');
                             return name;
                         });

TEST(HostileInputFiles, EveryFileHasAnExpectedCode) {
    std::set<std::string> listed;
    for (const auto& c : hostile_cases) {
        listed.insert(c.file);
    }
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(hostile_dir())) {
        const std::string name = entry.path().filename().string();
        if (name == "README.md") {
            continue;
        }
        ++files;
        EXPECT_TRUE(listed.count(name)) << name << " has no expected code in hostile_cases";
    }
    EXPECT_EQ(files, listed.size()) << "a listed case has no file";
}

class HostileStream : public HostileInput {};

TEST_F(HostileStream, AllRecoverableCasesOnOneConnection) {
    RpcClient hostile(m_daemon->socket_path());
    ASSERT_TRUE(hostile.connected());
    for (const auto& c : hostile_cases) {
        ASSERT_TRUE(hostile.send(hostile_line(c.file))) << "closed before " << c.file;
        const ReadResult answer = hostile.read_line();
        ASSERT_EQ(answer.status, ReadStatus::line) << c.file << ": no answer";
        EXPECT_EQ(error_code_of(parse_json(answer.line)), c.code) << c.file;
    }
    RpcClient bystander(m_daemon->socket_path());
    expect_bystander_served(bystander);
    EXPECT_NE(result_of(hostile.call("daemon.info")), nullptr);
}

TEST_F(HostileStream, AllCasesInOneWriteAnsweredInOrder) {
    RpcClient hostile(m_daemon->socket_path());
    ASSERT_TRUE(hostile.connected());
    std::string burst;
    for (const auto& c : hostile_cases) {
        burst += hostile_line(c.file);
    }
    ASSERT_TRUE(hostile.send(burst));
    for (const auto& c : hostile_cases) {
        const ReadResult answer = hostile.read_line();
        ASSERT_EQ(answer.status, ReadStatus::line) << c.file << ": no answer";
        EXPECT_EQ(error_code_of(parse_json(answer.line)), c.code) << c.file;
    }
}

std::string padded_request(std::size_t line_bytes) {
    // token.get of a long name: valid JSON-RPC whose length we choose exactly.
    const std::string head = R"({"jsonrpc":"2.0","id":1,"method":"token.get","params":{"name":")";
    const std::string tail = R"("}})";
    return head + std::string(line_bytes - head.size() - tail.size(), 'a') + tail;
}

TEST_F(HostileStream, OversizedLineAnsweredThenClosed) {
    RpcClient bystander(m_daemon->socket_path());
    RpcClient hostile(m_daemon->socket_path());
    ASSERT_TRUE(bystander.connected() && hostile.connected());
    hostile.send(padded_request(70000) + "\n");
    const ReadResult answer = hostile.read_line();
    ASSERT_EQ(answer.status, ReadStatus::line) << "no answer to a 70000-byte line";
    const json::value response = parse_json(answer.line);
    EXPECT_EQ(error_code_of(response), "line_too_long");
    EXPECT_EQ(jsonrpc_code_of(response), -32600);
    EXPECT_TRUE(hostile.wait_closed()) << "connection left open after line_too_long";
    expect_bystander_served(bystander);
}

TEST_F(HostileStream, EndlessLineWithoutNewlineAnsweredThenClosed) {
    // The daemon must not buffer without bound waiting for a '\n' that never comes.
    RpcClient hostile(m_daemon->socket_path());
    ASSERT_TRUE(hostile.connected());
    hostile.send(std::string(200 * 1024, 'x'), 5s);
    const ReadResult answer = hostile.read_line();
    ASSERT_EQ(answer.status, ReadStatus::line) << "no answer to 200 KiB without a newline";
    EXPECT_EQ(error_code_of(parse_json(answer.line)), "line_too_long");
    EXPECT_TRUE(hostile.wait_closed());
    RpcClient bystander(m_daemon->socket_path());
    expect_bystander_served(bystander);
}

TEST_F(HostileStream, LineOfExactlyTheLimitIsNotTooLong) {
    // "a line longer than 65536 bytes" is refused: 65536 bytes plus '\n' is not.
    RpcClient client(m_daemon->socket_path());
    ASSERT_TRUE(client.send(padded_request(65536) + "\n"));
    const ReadResult answer = client.read_line();
    ASSERT_EQ(answer.status, ReadStatus::line);
    const std::string code = error_code_of(parse_json(answer.line));
    EXPECT_NE(code, "line_too_long");
    EXPECT_EQ(code, "invalid_params") << "a 65480-character name is out of range";
    EXPECT_NE(result_of(client.call("daemon.info")), nullptr) << "connection not usable";
}

TEST_F(HostileStream, LineOneByteOverTheLimitIsTooLong) {
    RpcClient client(m_daemon->socket_path());
    ASSERT_TRUE(client.send(padded_request(65537) + "\n"));
    const ReadResult answer = client.read_line();
    ASSERT_EQ(answer.status, ReadStatus::line);
    EXPECT_EQ(error_code_of(parse_json(answer.line)), "line_too_long");
}

} // namespace
} // namespace credd::test
