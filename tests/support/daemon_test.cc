// DaemonTest: fixture set-up and the helpers tests use to talk to the daemon.
#include "daemon_test.hh"

#include <chrono>
#include <filesystem>
#include <random>

namespace credd::test {

namespace json = boost::json;

std::string make_token(std::string_view tag) {
    static std::random_device device;
    static std::mt19937_64 rng(device());
    static constexpr char hex[] = "0123456789abcdef";
    std::string token = "tok_" + std::string(tag) + "_";
    for (int i = 0; i < 40; ++i) {
        token += hex[rng() % 16];
    }
    return token;
}

std::int64_t now_unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

std::vector<std::string> files_containing(const std::string& dir, const std::string& needle) {
    std::vector<std::string> found;
    std::error_code ec;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
        if (entry.is_regular_file() && contains(read_file(entry.path()), needle)) {
            found.push_back(entry.path());
        }
    }
    return found;
}

std::size_t count_lines_with(std::string_view text,
                             std::initializer_list<std::string_view> needles) {
    std::size_t count = 0;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        const std::string_view line = text.substr(0, nl);
        bool all = true;
        for (const auto needle : needles) {
            all = all && contains(line, needle);
        }
        count += all;
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    }
    return count;
}

bool is_exactly_token(std::string_view out, std::string_view token) {
    if (!out.empty() && out.back() == '\n') {
        out.remove_suffix(1);
    }
    return out == token;
}

void DaemonTest::SetUp() {
    m_daemon = std::make_unique<DaemonProcess>(m_dirs, daemon_options());
    ASSERT_TRUE(m_daemon->ready()) << m_daemon->failure();
}

void DaemonTest::TearDown() {
    if (!m_daemon || !m_daemon->ready() || m_daemon->was_stopped()) {
        return;
    }
    const bool alive = m_daemon->is_running();
    const ExitStatus status = m_daemon->stop();
    EXPECT_TRUE(alive && status.exited_with(0))
        << "credd " << (alive ? "did not stop cleanly on SIGTERM" : "died during the test") << ": "
        << status.describe() << "\n--- credd log ---\n"
        << tail_of(m_daemon->log());
}

void DaemonTest::restart(DaemonOptions options) {
    m_daemon.reset();
    m_daemon = std::make_unique<DaemonProcess>(m_dirs, std::move(options));
    ASSERT_TRUE(m_daemon->ready()) << m_daemon->failure();
}

ProcessResult DaemonTest::cred(std::vector<std::string> args, std::string stdin_bytes,
                               std::vector<EnvVar> extra_env) const {
    ProcessOptions o;
    o.argv = {CRED_PATH};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = m_dirs.client_env();
    o.env.insert(o.env.end(), extra_env.begin(), extra_env.end());
    o.stdin_bytes = std::move(stdin_bytes);
    return run_process(o);
}

json::value DaemonTest::rpc(std::string_view method, const json::object& params) const {
    RpcClient client(m_daemon->socket_path());
    return client.call(method, params);
}

void DaemonTest::add_static(const StaticCredential& c) const {
    json::object params{{"name", c.name}, {"url", c.url}, {"secret", {{"token", c.token}}}};
    if (c.username) {
        params["username"] = *c.username;
    }
    if (c.expires_at) {
        params["expires_at"] = *c.expires_at;
    }
    if (!c.labels.empty()) {
        json::object labels;
        for (const auto& [k, v] : c.labels) {
            labels[k] = v;
        }
        params["labels"] = std::move(labels);
    }
    const json::value response = rpc("credential.add", params);
    EXPECT_NE(result_of(response), nullptr)
        << "credential.add " << c.name << " refused: " << error_code_of(response);
}

std::string TokenAnswer::describe() const {
    if (token) {
        return "a token from " + name + " (not shown)";
    }
    return "error " + error;
}

TokenAnswer DaemonTest::get_token(const json::object& params) const {
    const json::value response = rpc("token.get", params);
    TokenAnswer answer;
    const json::value* result = result_of(response);
    if (!result || !result->is_object()) {
        answer.error = response.is_null() ? "no answer" : error_code_of(response);
        return answer;
    }
    const auto& r = result->get_object();
    if (const auto* t = r.if_contains("token"); t && t->is_string()) {
        answer.token = std::string(t->get_string());
    }
    if (const auto* n = r.if_contains("name"); n && n->is_string()) {
        answer.name = std::string(n->get_string());
    }
    return answer;
}

} // namespace credd::test
