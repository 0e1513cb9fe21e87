// Strategy: how one kind of credential obtains a new token (the refresh seam).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include "credential.hh"
#include "refresh_failure.hh"
#include "time_text.hh"

namespace credd {

// What a strategy needs: copies, since the refresh outlives any view into the index.
struct RefreshInput {
    std::string name;
    std::string kind;
    boost::json::object params;
    SecretMaterial secrets;
};

// A new token. `refresh_token` empty: the provider did not rotate it (keep the old one).
struct RefreshGrant {
    Secret access_token;
    Secret refresh_token;
    Secret id_token;                  // empty: none in the answer (keep the old one)
    std::optional<UnixMs> expires_at; // none: the token does not expire
    bool default_lifetime = false;    // the source did not say; expires_at was assumed
};

using RefreshOutcome = boost::system::result<RefreshGrant, RefreshFailure>;

// One object per kind, owned by the Daemon. `refresh` may complete later but always on
// the I/O thread, exactly once, and never blocks it.
class Strategy {
public:
    virtual ~Strategy() = default;
    virtual void refresh(RefreshInput input, std::function<void(RefreshOutcome)> done) = 0;
};

// The lifetime assumed when a provider or command gives none (params.default_lifetime).
inline constexpr std::int64_t default_lifetime_s = 3600;
std::int64_t default_lifetime_of(const boost::json::object& params);

// Checks a refreshable kind's parameters and secrets when it is added: what is required
// is present and typed, nothing unknown is there (a misspelt option fails loudly).
Result<void> check_kind_params(std::string_view kind, const boost::json::object& params,
                               const SecretMaterial& secrets);

} // namespace credd
