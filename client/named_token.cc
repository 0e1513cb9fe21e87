// NamedToken: token.get by name, with the answer checked once.
#include "named_token.hh"

#include "daemon_client.hh"
#include "protocol.hh"

namespace credd {

Result<NamedToken> NamedToken::fetch(DaemonClient& daemon, std::string_view name) {
    auto result = daemon.call(protocol::method::token_get, {{"name", name}}, key_call_timeout);
    if (!result) {
        return result.error();
    }
    const auto* obj = result->if_object();
    const auto* token = obj ? obj->if_contains("token") : nullptr;
    if (!token || !token->is_string()) {
        return make_error(Errc::parse_error, "daemon answer has no token");
    }
    return NamedToken(std::move(*result));
}

std::string_view NamedToken::token() const {
    return m_answer.get_object().at("token").get_string();
}

std::optional<UnixMs> NamedToken::expires_at() const {
    const auto* expires = m_answer.get_object().if_contains("expires_at");
    return expires && expires->is_int64() ? std::optional<UnixMs>(expires->get_int64())
                                          : std::nullopt;
}

} // namespace credd
