// `cred kube`: token.get by name, printed as a client.authentication.k8s.io ExecCredential.
#include "kube_command.hh"

#include <cstdlib>

#include <boost/json/parse.hpp>

#include "json_text.hh"
#include "named_token.hh"
#include "output.hh"
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
    auto named = NamedToken::fetch(daemon, c.name);
    if (!named) {
        return named.error();
    }
    std::string text = format_exec_credential(kube_api_version(std::getenv("KUBERNETES_EXEC_INFO")),
                                              named->token(), named->expires_at());
    auto printed = print_stdout(text);
    wipe(text);
    return printed;
}

} // namespace credd
