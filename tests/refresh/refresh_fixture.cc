// RefreshFixture: the fault endpoint's lifetime and the small RPC helpers.
#include "refresh_fixture.hh"

#include <filesystem>
#include <vector>

#include <boost/json/parse.hpp>

#include "process.hh"
#include "wait_until.hh"

namespace credd::test {

namespace json = boost::json;

void RefreshFixture::SetUp() {
    DaemonTest::SetUp();
    m_fault = std::make_unique<LineServer>(
        std::vector<std::string>{"/usr/bin/env", "python3", CREDD_FAULT_ENDPOINT});
    ASSERT_TRUE(m_fault->ready()) << m_fault->failure();
    m_fault_port = static_cast<int>(m_fault->info().at("port").as_int64());
}

std::string RefreshFixture::fault_url(const std::string& scenario, int ttl_s) const {
    return "http://127.0.0.1:" + std::to_string(m_fault_port) + "/token/" + scenario +
           "?ttl=" + std::to_string(ttl_s);
}

int RefreshFixture::fault_count(const std::string& scenario) const {
    const auto a = http_call("GET", m_fault_port, "/count/" + scenario);
    boost::system::error_code ec;
    const auto v = json::parse(a.body, ec);
    return ec || !v.is_object() ? -1 : static_cast<int>(v.at("count").as_int64());
}

int RefreshFixture::fault_max_concurrency(const std::string& scenario) const {
    const auto a = http_call("GET", m_fault_port, "/concurrency/" + scenario);
    boost::system::error_code ec;
    const auto v = json::parse(a.body, ec);
    return ec || !v.is_object() ? -1 : static_cast<int>(v.at("max").as_int64());
}

json::object RefreshFixture::fault_last(const std::string& scenario) const {
    const auto a = http_call("GET", m_fault_port, "/last/" + scenario);
    boost::system::error_code ec;
    auto v = json::parse(a.body, ec);
    return ec || !v.is_object() ? json::object{} : v.get_object();
}

json::value RefreshFixture::add(const std::string& name, const std::string& kind,
                                json::object params, json::object secret) const {
    json::object p{{"name", name}, {"kind", kind}, {"params", std::move(params)}};
    if (!secret.empty()) {
        p["secret"] = std::move(secret);
    }
    return rpc("credential.add", p);
}

json::value RefreshFixture::add_client_credentials(const std::string& name,
                                                   const std::string& token_url) const {
    return add(name, "oauth2-client-credentials", {{"token_url", token_url}, {"client_id", "app"}},
               {{"client_secret", "s3cret-client"}});
}

json::object RefreshFixture::status_of(const std::string& name) const {
    const auto response = rpc("credential.status", {{"name", name}});
    const auto* result = result_of(response);
    if (!result || !result->is_object()) {
        return {};
    }
    const auto& list = result->at("credentials").as_array();
    return list.empty() ? json::object{} : list[0].as_object();
}

bool RefreshFixture::wait_for_status(const std::string& name, const std::string& key,
                                     std::chrono::milliseconds deadline) const {
    return wait_until(
        [&] {
            const auto s = status_of(name);
            const auto* v = s.if_contains(key);
            return v && !v->is_null();
        },
        deadline);
}

LineServer* OidcLoginFixture::s_oidc = nullptr;

void OidcLoginFixture::start_provider(int lifetime_s) {
    if (!std::filesystem::exists(CREDD_OIDC_DIR "/node_modules/oidc-provider")) {
        return;
    }
    s_oidc = new LineServer(std::vector<std::string>{"/usr/bin/env", "node",
                                                     CREDD_OIDC_DIR "/server.mjs", "--ttl",
                                                     std::to_string(lifetime_s), "--login"});
}

void OidcLoginFixture::stop_provider() {
    delete s_oidc;
    s_oidc = nullptr;
}

void OidcLoginFixture::SetUp() {
    if (s_oidc == nullptr) {
        GTEST_SKIP() << "oidc-provider is not installed: run npm ci in " CREDD_OIDC_DIR;
    }
    ASSERT_TRUE(s_oidc->ready()) << s_oidc->failure();
    RefreshFixture::SetUp();
    m_issuer = std::string(s_oidc->info().at("issuer").as_string());
    m_control = port_of(std::string(s_oidc->info().at("control").as_string()));
}

boost::json::object OidcLoginFixture::browse(const std::string& url,
                                             std::vector<std::string> extra) const {
    std::vector<std::string> argv{find_program("node"), CREDD_LOGIN_DIR "/browser.mjs", url};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ProcessOptions o;
    o.argv = std::move(argv);
    o.deadline = 20s;
    const auto r = run_process(o);
    boost::system::error_code ec;
    auto v = boost::json::parse(r.out, ec);
    return !ec && v.is_object() ? v.get_object() : boost::json::object{{"error", r.describe()}};
}

} // namespace credd::test
