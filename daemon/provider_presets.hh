// ProviderPresets: the endpoints and defaults of well-known identity providers, so that
// `cred add NAME --kind device --preset github --client-id ID` is all a user types.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include <boost/json/object.hpp>

#include "error.hh"
#include "url.hh"

namespace credd {

// One row of the table. "{issuer}" in a URL stands for the instance URL the user gives
// (gitea), "{tenant}" for the Entra tenant (microsoft). Empty: the preset has none.
struct ProviderPreset {
    std::string_view name;
    std::string_view issuer;
    std::string_view device_authorization_url;
    std::string_view authorization_url;
    std::string_view token_url;
    std::string_view scope;
    std::string_view client_auth; // "": the kind's default (none)
    std::string_view match;       // the URL git and docker ask about; "{issuer}": the instance
    bool needs_issuer;            // the user must give --issuer (self-hosted instances)
    bool takes_tenant;
};

std::span<const ProviderPreset> provider_presets();
const ProviderPreset* find_provider_preset(std::string_view name);

// When `params` has "preset": fills issuer, token_url, device_authorization_url,
// authorization_url, scope and client_auth from the preset where `params` has none, and `match`
// (the credential's URL) when the user gave none. Explicit values always win. "preset"
// and "tenant" stay in `params`, so status shows where the endpoints came from.
// Without "preset" nothing changes. Errors (Errc::invalid_params): an unknown preset, a
// tenant for a preset that takes none or one that is not a tenant name, a gitea preset
// without an https:// issuer.
Result<void> apply_preset(boost::json::object& params, std::optional<Url>& match);

} // namespace credd
