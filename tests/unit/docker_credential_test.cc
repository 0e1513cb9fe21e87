// docker's credential-helper protocol: server names and the exact JSON docker reads.
#include <gtest/gtest.h>

#include "docker_credential.hh"
#include "kube_command.hh"

namespace credd {
namespace {

TEST(DockerServer, MatchUrlNormalisesDockersNames) {
    EXPECT_EQ(docker::match_url("https://index.docker.io/v1/"), "https://index.docker.io");
    EXPECT_EQ(docker::match_url("docker.io"), "https://index.docker.io");
    EXPECT_EQ(docker::match_url("registry-1.docker.io"), "https://index.docker.io");
    EXPECT_EQ(docker::match_url("registry.example.com"), "https://registry.example.com");
    EXPECT_EQ(docker::match_url("Registry.Example.com:5000\n"),
              "https://registry.example.com:5000");
    EXPECT_EQ(docker::match_url("http://localhost:5000/v2/"), "http://localhost:5000");
    EXPECT_EQ(docker::match_url("https://user@ghcr.io/v2/"), "https://ghcr.io");
    EXPECT_FALSE(docker::match_url(" \n").has_value());
}

TEST(DockerAnswer, GetIsGoEncodingJson) {
    EXPECT_EQ(docker::format_get("https://index.docker.io/v1/", "<token>", "a&b\"c\\"),
              "{\"ServerURL\":\"https://index.docker.io/v1/\",\"Username\":\"\\u003ctoken\\u003e\","
              "\"Secret\":\"a\\u0026b\\\"c\\\\\"}\n");
}

TEST(DockerAnswer, ListIsSortedWithOneValuePerKey) {
    EXPECT_EQ(docker::format_list({}), "{}\n");
    EXPECT_EQ(docker::format_list({{"z.example", "zed"}, {"a.example", "al"}, {"a.example", "b"}}),
              "{\"a.example\":\"al\",\"z.example\":\"zed\"}\n");
}

TEST(DockerStore, ParsesTheRequest) {
    auto r = docker::parse_store(R"({"ServerURL":"reg.example","Username":"u","Secret":"s"})");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->server_url, "reg.example");
    EXPECT_EQ(r->username, "u");
    EXPECT_TRUE(r->secret.equals("s"));
}

TEST(DockerStore, ErrorsCarryDockersMessages) {
    EXPECT_EQ(docker::parse_store(R"({"Username":"u","Secret":"s"})").error().message,
              docker::missing_server_message);
    EXPECT_EQ(docker::parse_store(R"({"ServerURL":"r","Secret":"s"})").error().message,
              docker::missing_username_message);
    EXPECT_EQ(docker::parse_store("[1,2]").error(), Errc::parse_error);
    EXPECT_EQ(docker::parse_store("{\"ServerURL\":").error(), Errc::parse_error);
    // Small input that needs more memory than the wiped arena holds: refused, not thrown.
    std::string values = "[0";
    std::string members = "{\"a0\":0";
    for (int i = 1; i < 30000; ++i) {
        values += ",0";
        members += ",\"a" + std::to_string(i) + "\":0";
    }
    EXPECT_EQ(docker::parse_store(values + "]").error(), Errc::parse_error);
    EXPECT_EQ(docker::parse_store(members + "}").error(), Errc::parse_error);
}

TEST(KubeCredential, ApiVersionEchoesV1OrV1beta1) {
    EXPECT_EQ(kube_api_version(nullptr), kube_api_v1);
    EXPECT_EQ(kube_api_version(""), kube_api_v1);
    EXPECT_EQ(kube_api_version(R"({"apiVersion":"client.authentication.k8s.io/v1beta1"})"),
              kube_api_v1beta1);
    EXPECT_EQ(kube_api_version(R"({"apiVersion":"client.authentication.k8s.io/v1"})"), kube_api_v1);
    EXPECT_EQ(kube_api_version("{"), kube_api_v1);
}

TEST(KubeCredential, ExecCredentialShape) {
    EXPECT_EQ(format_exec_credential(kube_api_v1, "t\"k", 4102444800000),
              R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",)"
              R"("status":{"token":"t\"k","expirationTimestamp":"2100-01-01T00:00:00Z"}})"
              "\n");
    EXPECT_EQ(format_exec_credential(kube_api_v1beta1, "tk", std::nullopt),
              R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",)"
              R"("status":{"token":"tk"}})"
              "\n");
}

} // namespace
} // namespace credd
