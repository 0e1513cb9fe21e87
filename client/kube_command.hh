// `cred kube NAME`: a token as the ExecCredential that kubectl's exec plugins print.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cli.hh"
#include "error.hh"
#include "time_text.hh"

namespace credd {

class DaemonClient;

inline constexpr std::string_view kube_api_v1 = "client.authentication.k8s.io/v1";
inline constexpr std::string_view kube_api_v1beta1 = "client.authentication.k8s.io/v1beta1";

// The apiVersion to answer with: the one $KUBERNETES_EXEC_INFO names when it is v1 or
// v1beta1, else v1 (kubectl sends the variable; older ones and scripts may not).
std::string_view kube_api_version(const char* exec_info);

// The ExecCredential JSON, one line, '\n'-terminated; the caller wipes it.
std::string format_exec_credential(std::string_view api_version, std::string_view token,
                                   std::optional<UnixMs> expires_at);

Result<void> run_kube(const cli::KubeCommand& command, DaemonClient& daemon);

} // namespace credd
