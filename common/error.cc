// Error codes: their stable names, JSON-RPC numbers and error category.
#include "error.hh"

#include <array>
#include <stdexcept>
#include <utility>

namespace credd {

namespace {

struct ErrcInfo {
    Errc code;
    std::string_view name;
    int jsonrpc;
};

// JSON-RPC 2.0 reserves -32768…-32000; -32099…-32000 is for implementation errors.
constexpr std::array errc_table{
    ErrcInfo{Errc::ok, "ok", 0},
    ErrcInfo{Errc::parse_error, "parse_error", -32700},
    ErrcInfo{Errc::invalid_request, "invalid_request", -32600},
    ErrcInfo{Errc::line_too_long, "line_too_long", -32600},
    ErrcInfo{Errc::too_deep, "too_deep", -32600},
    ErrcInfo{Errc::invalid_utf8, "invalid_utf8", -32700},
    ErrcInfo{Errc::method_not_found, "method_not_found", -32601},
    ErrcInfo{Errc::invalid_params, "invalid_params", -32602},
    ErrcInfo{Errc::too_many_connections, "too_many_connections", -32001},
    ErrcInfo{Errc::idle_timeout, "idle_timeout", -32002},
    ErrcInfo{Errc::not_found, "not_found", -32010},
    ErrcInfo{Errc::expired, "expired", -32011},
    ErrcInfo{Errc::insufficient_validity, "insufficient_validity", -32012},
    ErrcInfo{Errc::needs_login, "needs_login", -32013},
    ErrcInfo{Errc::corrupt, "corrupt", -32014},
    ErrcInfo{Errc::refresh_failed, "refresh_failed", -32015},
    ErrcInfo{Errc::superseded, "superseded", -32016},
    ErrcInfo{Errc::discovery_failed, "discovery_failed", -32040},
    ErrcInfo{Errc::login_in_progress, "login_in_progress", -32041},
    ErrcInfo{Errc::no_id_token, "no_id_token", -32042},
    ErrcInfo{Errc::access_denied, "access_denied", -32043},
    ErrcInfo{Errc::expired_token, "expired_token", -32044},
    ErrcInfo{Errc::state_mismatch, "state_mismatch", -32045},
    ErrcInfo{Errc::login_failed, "login_failed", -32046},
    ErrcInfo{Errc::keyring_unavailable, "keyring_unavailable", -32020},
    ErrcInfo{Errc::keyring_locked, "keyring_locked", -32021},
    ErrcInfo{Errc::key_unavailable, "key_unavailable", -32022},
    ErrcInfo{Errc::storage_failed, "storage_failed", -32023},
    ErrcInfo{Errc::unsafe_path, "unsafe_path", -32030},
    ErrcInfo{Errc::already_running, "already_running", -32031},
    ErrcInfo{Errc::daemon_unreachable, "daemon_unreachable", -32032},
    ErrcInfo{Errc::io_error, "io_error", -32033},
    ErrcInfo{Errc::internal, "internal", -32603},
};

const ErrcInfo& info(Errc e) {
    for (const auto& i : errc_table) {
        if (i.code == e) {
            return i;
        }
    }
    return errc_table.back();
}

class CreddCategory final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "credd"; }
    std::string message(int ev) const override {
        return std::string(code_name(static_cast<Errc>(ev)));
    }
};

} // namespace

std::string_view code_name(Errc e) {
    return info(e).name;
}

Errc errc_from_name(std::string_view name) {
    for (const auto& i : errc_table) {
        if (i.name == name) {
            return i.code;
        }
    }
    return Errc::internal;
}

int jsonrpc_code(Errc e) {
    return info(e).jsonrpc;
}

const boost::system::error_category& credd_category() noexcept {
    static const CreddCategory category;
    return category;
}

boost::system::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), credd_category()};
}

Error make_error(Errc code, std::string message, std::string hint) {
    return Error{code, std::move(message), std::move(hint)};
}

void throw_exception_from_error(const Error& e, const boost::source_location&) {
    throw std::logic_error("result accessed without checking: " + std::string(code_name(e.code)));
}

} // namespace credd
