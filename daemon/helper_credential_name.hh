// The name credd gives a credential that git or docker stored through their helpers.
#pragma once

#include <string>
#include <string_view>

#include "url.hh"

namespace credd {

// "<source>-[user@]host[-port]-<16 hex>": readable in `cred list`, a valid credential
// name, and a pure function of scheme, host, port, path and username, so a second
// store for the same place replaces the first. The hex is FNV-1a 64 of the full match
// (stable across versions: never std::hash), which keeps two paths or schemes on one
// host apart while the readable part stays short. For source "docker" the username is
// left out: docker keeps one login per server, so a new login replaces the old one.
std::string helper_credential_name(std::string_view source, const Url& match);

} // namespace credd
