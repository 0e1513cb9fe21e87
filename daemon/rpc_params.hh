// RpcParams: reading and checking JSON-RPC parameters, shared by the method handlers
// (rpc_methods.cc, helper_methods.cc).
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "error.hh"
#include "key_gate.hh"
#include "rpc_methods.hh"
#include "url.hh"

namespace credd {

// Unknown parameters are refused rather than ignored, so a misspelt option
// ("expire_at") fails loudly instead of silently doing less than asked.
Result<void> check_known(const boost::json::object& params,
                         std::initializer_list<std::string_view> known);

// The first failure among several parameter reads, in parameter order.
template <class... Results>
std::optional<Error> first_error(const Results&... results) {
    std::optional<Error> first;
    ((first || results ? void() : void(first = results.error())), ...);
    return first;
}

Result<std::optional<Url>> get_url(const boost::json::object& params);

// "labels": an object of at most 64 string values, keys and values 1 to 256 bytes.
Result<std::map<std::string, std::string>> get_labels(const boost::json::value& v);

// Runs `then` once the data key is loaded, or answers with why it is not. Only methods
// that need a secret call this: the rest are served whatever the key's state. Once the
// key is there (the common case) `then` runs at once, with nothing allocated for it.
template <class Then>
void with_key(RpcCall& call, Then then) {
    KeyGate* gate = call.context.key_gate;
    if (!gate || gate->state() == KeyState::ready) {
        return then();
    }
    gate->when_ready([reply = call.reply, then = std::move(then)](Result<void> ready) mutable {
        if (!ready) {
            return reply(ready.error());
        }
        then();
    });
}

} // namespace credd
