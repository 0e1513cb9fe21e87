// `cred kube`: token.get by name, printed as a client.authentication.k8s.io ExecCredential.
#include "kube_command.hh"

#include <chrono>
#include <cstdlib>

#include <boost/json/parse.hpp>

#include "daemon_client.hh"
#include "json_text.hh"
#include "output.hh"
#include "protocol.hh"
#include "secret.hh"

namespace credd {

namespace json = boost::json;

std::string_view kube_api_version(const char* exec_info) {
    if (exec_info == nullptr || *exec_info == '\0') {
        return kube_api_v1;
    }
    boost::system::error_code ec;
    const json::value info = json::parse(exec_info, ec);
    const auto* obj = ec ? nullptr : info.if_object();
    const auto* version = obj ? obj->if_contains("apiVersion") : nullptr;
    if (version && version->is_string() && version->get_string() == kube_api_v1beta1) {
        return kube_api_v1beta1;
    }
    return kube_api_v1;
}

std::string format_exec_credential(std::string_view api_version, std::string_view token,
                                   std::optional<UnixMs> expires_at) {
    // Built by hand into one buffer sized up front: no reallocated copy of the token.
    std::string out;
    out.reserve(200 + json_string_bound(token));
    out += R"({"apiVersion":")";
    out += api_version;
    out += R"(","kind":"ExecCredential","status":{"token":)";
    append_json_string(out, token);
    if (expires_at) {
        out += R"(,"expirationTimestamp":")";
        out += format_rfc3339(*expires_at);
        out += '"';
    }
    out += "}}\n";
    return out;
}

Result<void> run_kube(const cli::KubeCommand& c, DaemonClient& daemon) {
    auto result = daemon.call(protocol::method::token_get, {{"name", c.name}},
                              std::chrono::milliseconds(30000));
    if (!result) {
        return result.error();
    }
    const auto* obj = result->if_object();
    const auto* token = obj ? obj->if_contains("token") : nullptr;
    const auto* expires = obj ? obj->if_contains("expires_at") : nullptr;
    if (!token || !token->is_string()) {
        return make_error(Errc::parse_error, "daemon answer has no token");
    }
    std::optional<UnixMs> expires_at;
    if (expires && expires->is_int64()) {
        expires_at = expires->get_int64();
    }
    std::string text = format_exec_credential(kube_api_version(std::getenv("KUBERNETES_EXEC_INFO")),
                                              std::string_view(token->get_string()), expires_at);
    auto printed = print_stdout(text);
    wipe(text);
    return printed;
}

} // namespace credd
