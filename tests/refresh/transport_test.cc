// The HTTP client's transport against real servers: https with a throwaway CA made by
// openssl at test time, and a real CONNECT proxy (tests/support/connect_proxy.py).
#include <filesystem>
#include <fstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "refresh_fixture.hh"
#include "wait_until.hh"

namespace credd::test {
namespace {

namespace json = boost::json;

// A CA, a certificate from it for idp.test, localhost and 127.0.0.1 (server.pem), and one
// for other.test only (wrong.pem), written into `dir`.
bool make_certificates(const std::string& dir, std::string& why) {
    ProcessOptions o;
    o.argv = {"/bin/sh", "-ec", R"(cd "$1"
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ec ca.key; ec server.key; ec wrong.key
openssl req -x509 -new -key ca.key -out ca.pem -days 2 -subj /CN=credd-test-ca \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
sign() {
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$3" > "$1.ext"
    openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
        -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
sign server idp.test DNS:idp.test,DNS:localhost,IP:127.0.0.1
sign wrong other.test DNS:other.test)",
              "make-certs", dir};
    const auto r = run_process(o);
    why = r.describe();
    return r.exit_code() == 0;
}

class TransportTest : public RefreshFixture {
protected:
    void SetUp() override {
        RefreshFixture::SetUp();
        if (::access("/usr/bin/openssl", X_OK) != 0) {
            GTEST_SKIP() << "openssl(1) is not installed (package openssl)";
        }
        std::string why;
        ASSERT_TRUE(make_certificates(m_temp.path(), why)) << why;
        m_tls = start_tls("server");
        ASSERT_TRUE(m_tls);
        m_tls_port = static_cast<int>(m_tls->info().at("port").as_int64());
    }

    std::unique_ptr<LineServer> start_tls(const std::string& cert) const {
        auto s = std::make_unique<LineServer>(std::vector<std::string>{
            "/usr/bin/env", "python3", CREDD_FAULT_ENDPOINT, "--tls",
            m_temp.path() + "/" + cert + ".pem", m_temp.path() + "/" + cert + ".key"});
        EXPECT_TRUE(s->ready()) << s->failure();
        return s->ready() ? std::move(s) : nullptr;
    }
    std::string ca() const { return m_temp.path() + "/ca.pem"; }
    std::string https_url(const std::string& host, int port) const {
        return "https://" + host + ":" + std::to_string(port) + "/token/ok";
    }
    // The fixture's flags plus these.
    DaemonOptions with(std::vector<std::string> args, std::vector<EnvVar> env = {}) const {
        auto o = daemon_options();
        o.args.insert(o.args.end(), args.begin(), args.end());
        o.env = std::move(env);
        return o;
    }
    // Waits until the credential's last_error mentions `text`; its status then.
    json::object wait_for_error(const std::string& name, const std::string& text) const {
        wait_until([&] { return contains(string_at(status_of(name), "last_error"), text); }, 10s);
        return status_of(name);
    }

    std::unique_ptr<LineServer> m_tls;
    int m_tls_port = 0;
};

TEST_F(TransportTest, ACaFileMakesAPrivateCaTrustedForAddressesAndNames) {
    restart(with({"--ca-file", ca()}));
    ASSERT_TRUE(
        result_of(add_client_credentials("by-address", https_url("127.0.0.1", m_tls_port))));
    EXPECT_TRUE(get_token({{"name", "by-address"}}).is("ok-1"));
    // A name: resolved by the system resolver, checked against the certificate's DNS name.
    ASSERT_TRUE(result_of(add_client_credentials("by-name", https_url("localhost", m_tls_port))));
    EXPECT_TRUE(get_token({{"name", "by-name"}}).is("ok-2"));
}

TEST_F(TransportTest, SslCertFileIsHonouredWithoutACaFile) {
    restart(with({}, {{"SSL_CERT_FILE", ca()}}));
    ASSERT_TRUE(result_of(add_client_credentials("env-ca", https_url("127.0.0.1", m_tls_port))));
    EXPECT_TRUE(get_token({{"name", "env-ca"}}).is("ok-1"));
}

TEST_F(TransportTest, WithoutTheCaTheCertificateIsNotAcceptedAndStatusSaysWhy) {
    // The fixture's daemon trusts the system store only.
    ASSERT_TRUE(result_of(add_client_credentials("untrusted", https_url("127.0.0.1", m_tls_port))));
    const auto s = wait_for_error("untrusted", "certificate not accepted");
    const auto error = string_at(s, "last_error");
    EXPECT_TRUE(contains(error, "unable to get local issuer certificate")) << error;
    EXPECT_TRUE(contains(error, "--ca-file")) << error;
    // Transient: adding the CA to the trust store fixes it without touching the credential.
    EXPECT_EQ(string_at(s, "error_class"), "transient");
    EXPECT_EQ(get_token({{"name", "untrusted"}}).error, "refresh_failed");
}

TEST_F(TransportTest, ACertificateForAnotherNameIsRefused) {
    auto wrong = start_tls("wrong");
    ASSERT_TRUE(wrong);
    const int port = static_cast<int>(wrong->info().at("port").as_int64());
    restart(with({"--ca-file", ca()}));
    ASSERT_TRUE(result_of(add_client_credentials("by-name", https_url("localhost", port))));
    ASSERT_TRUE(result_of(add_client_credentials("by-address", https_url("127.0.0.1", port))));
    EXPECT_TRUE(
        contains(string_at(wait_for_error("by-name", "certificate not accepted"), "last_error"),
                 "hostname mismatch"));
    EXPECT_TRUE(
        contains(string_at(wait_for_error("by-address", "certificate not accepted"), "last_error"),
                 "IP address mismatch"));
    EXPECT_FALSE(get_token({{"name", "by-name"}}).token);
}

TEST_F(TransportTest, AMissingCaFileIsFinalButAnUnreadableOneIsRetriedUntilFixed) {
    const std::string file = m_temp.path() + "/moving-ca.pem";
    std::filesystem::copy_file(ca(), file);
    restart(with({"--ca-file", file}));
    // Gone after start-up: nothing will bring it back by waiting.
    std::filesystem::remove(file);
    ASSERT_TRUE(result_of(add_client_credentials("gone", https_url("127.0.0.1", m_tls_port))));
    const auto gone = wait_for_error("gone", "no such file");
    EXPECT_EQ(string_at(gone, "error_class"), "fix_configuration");
    EXPECT_TRUE(contains(string_at(gone, "last_error"), file)) << string_at(gone, "last_error");
    // There but unreadable as PEM (a half-written update): retried, and fixed by itself.
    std::ofstream(file) << "not a certificate\n";
    ASSERT_TRUE(result_of(add_client_credentials("broken", https_url("127.0.0.1", m_tls_port))));
    const auto broken = wait_for_error("broken", "cannot load");
    EXPECT_EQ(string_at(broken, "error_class"), "transient");
    std::filesystem::copy_file(ca(), file, std::filesystem::copy_options::overwrite_existing);
    EXPECT_TRUE(
        wait_until([&] { return string_at(status_of("broken"), "status") == "fresh"; }, 15s))
        << string_at(status_of("broken"), "last_error");
    EXPECT_TRUE(get_token({{"name", "broken"}}).token);
}

TEST_F(TransportTest, HttpsGoesThroughAnAuthenticatingProxyAndNoProxyBypassesIt) {
    LineServer proxy({"/usr/bin/env", "python3", CREDD_CONNECT_PROXY, "alice:s3cret-proxy-pw"});
    ASSERT_TRUE(proxy.ready()) << proxy.failure();
    const int proxy_port = static_cast<int>(proxy.info().at("port").as_int64());
    // Scheme-less with userinfo, as many environments write it.
    restart(with({"--ca-file", ca()},
                 {{"HTTPS_PROXY", "alice:s3cret-proxy-pw@127.0.0.1:" + std::to_string(proxy_port)},
                  {"NO_PROXY", "localhost, .bypass.test"}}));
    // idp.test resolves nowhere: only the proxy (which tunnels to loopback) can reach it,
    // and the certificate is still checked against that name.
    ASSERT_TRUE(result_of(add_client_credentials("proxied", https_url("idp.test", m_tls_port))));
    const auto answer = get_token({{"name", "proxied"}});
    EXPECT_TRUE(answer.is("ok-1"))
        << answer.describe() << " " << string_at(status_of("proxied"), "last_error");
    ASSERT_TRUE(
        result_of(add_client_credentials("direct", https_url("sso.bypass.test", m_tls_port))));
    const auto direct = wait_for_error("direct", "cannot resolve sso.bypass.test");
    EXPECT_TRUE(contains(string_at(direct, "last_error"), "cannot resolve"))
        << string_at(direct, "last_error");

    const auto seen = json::parse(http_call("GET", proxy_port, "/seen").body).as_object();
    const auto& connects = seen.at("connects").as_array();
    ASSERT_EQ(connects.size(), 1U) << json::serialize(seen);
    EXPECT_EQ(connects[0].as_string(), "idp.test:" + std::to_string(m_tls_port));
    EXPECT_EQ(seen.at("refused").as_int64(), 0) << "the proxy credentials were not sent";
    // The proxy is logged, its password never.
    const auto log = m_daemon->log();
    EXPECT_TRUE(contains(log, "http://127.0.0.1:" + std::to_string(proxy_port))) << tail_of(log);
    EXPECT_FALSE(contains(log, "s3cret-proxy-pw"));
}

TEST_F(TransportTest, AnUnusableProxySettingStopsStartUpWithAClearLine) {
    m_daemon->stop();
    m_daemon.reset();
    DaemonProcess refused(m_dirs,
                          with({}, {{"HTTPS_PROXY", "https://bob:pw-not-shown@proxy:3128"}}));
    ASSERT_FALSE(refused.ready());
    EXPECT_TRUE(
        contains(refused.failure(), "HTTPS_PROXY https://proxy:3128: only an http:// proxy"))
        << refused.failure();
    EXPECT_FALSE(contains(refused.log(), "pw-not-shown"));
}

} // namespace
} // namespace credd::test
