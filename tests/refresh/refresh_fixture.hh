// RefreshFixture: a running credd plus the in-tree fault endpoint, and helpers to add and
// inspect refreshed credentials.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "daemon_test.hh"
#include "line_server.hh"

namespace credd::test {

class RefreshFixture : public DaemonTest {
protected:
    DaemonOptions daemon_options() const override {
        return {{"--http-timeout", "2", "--max-connections", "1024"}, {}, 4096};
    }
    void SetUp() override;

    // http://127.0.0.1:PORT/token/SCENARIO?ttl=TTL
    std::string fault_url(const std::string& scenario, int ttl_s = 60) const;
    // Token requests the fault endpoint has seen for a scenario.
    int fault_count(const std::string& scenario) const;
    // The most token requests a scenario had open at once since the last call.
    int fault_max_concurrency(const std::string& scenario) const;
    // The last request a scenario saw: {"form":{…},"authorization":…,"accept":…}.
    boost::json::object fault_last(const std::string& scenario) const;

    // credential.add over the socket; the response.
    boost::json::value add(const std::string& name, const std::string& kind,
                           boost::json::object params, boost::json::object secret) const;
    boost::json::value add_client_credentials(const std::string& name,
                                              const std::string& token_url) const;
    // credential.status for one credential (an empty object if it failed).
    boost::json::object status_of(const std::string& name) const;
    // Waits until the credential's status has a non-null `key` (e.g. error_class).
    bool wait_for_status(const std::string& name, const std::string& key,
                         std::chrono::milliseconds deadline = 10s) const;

    std::unique_ptr<LineServer> m_fault;
    int m_fault_port = 0;
};

// RefreshFixture plus a real oidc-provider (tests/oidc/server.mjs --login: device flow,
// login and consent pages, public native clients) on 127.0.0.1, one per test suite. A
// suite calls start_provider from SetUpTestSuite and stop_provider from TearDownTestSuite.
class OidcLoginFixture : public RefreshFixture {
protected:
    static void start_provider(int lifetime_s);
    static void stop_provider();
    // Skips the test, saying why, when oidc-provider is not installed (npm ci).
    void SetUp() override;
    // Runs the scripted browser (tests/login/browser.mjs) on `url`, following redirects
    // and filling the provider's pages; its final {"url","status","body"}, or
    // {"error": …} if it failed.
    boost::json::object browse(const std::string& url, std::vector<std::string> extra = {}) const;

    static LineServer* s_oidc;
    std::string m_issuer; // http://127.0.0.1:PORT
    int m_control = 0;    // the provider's test-only control port
};

} // namespace credd::test
