// docker-credential-credd: credd as docker's credential store ("credsStore": "credd").
#pragma once

#include <span>
#include <string_view>

namespace credd {

// Runs one verb (get, store, erase, list, version), `args` being argv without argv[0].
// As docker's own helpers: answers and errors on stdout, exit 0 or 1.
int run_docker_helper(std::span<const std::string_view> args);

} // namespace credd
