// RpcMethods: the table of JSON-RPC methods and their handlers.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include "error.hh"

namespace credd {

class Broker;
class KeyGate;
class LoginManager;
class Refresher;
class WatchHub;
class Watcher;

// What the daemon says about itself in daemon.info; fixed once it serves.
struct DaemonInfo {
    std::string socket_path;
    std::string store_path;
    std::string key_protection;
    std::string key_location;
    std::chrono::steady_clock::time_point started;
};

struct RpcContext {
    Broker& broker;
    const DaemonInfo& info;
    // Where the data key is and whether it is loaded; methods that need a secret wait on
    // it. Null only where no key gate runs (the key is then whatever the Store holds).
    KeyGate* key_gate = nullptr;
    Refresher* refresher = nullptr; // refreshable kinds; nullptr in tests without one
    WatchHub* watch_hub = nullptr;  // token.watch; nullptr where nothing is watched
    LoginManager* logins = nullptr; // login.*; nullptr in tests without one
};

// One call. Handlers build their result in `storage` (the session's wiping arena: a
// result may hold a token) and call `reply` exactly once, now or after a durable
// write completes.
struct RpcCall {
    RpcContext& context;
    const boost::json::object& params;
    boost::json::storage_ptr storage;
    std::function<void(Result<boost::json::value>)> reply;
    // The connection the call came on, for token.watch and token.unwatch.
    Watcher* watcher = nullptr;
};

using RpcHandler = void (*)(RpcCall call);

struct RpcMethod {
    std::string_view name;
    RpcHandler handler;
    // Changes are logged at info; reads, which a busy client makes thousands of
    // times a second, only at debug (failures of either at info).
    bool changes_state;
};

// The method called `name`, or nullptr when there is none.
const RpcMethod* find_rpc_method(std::string_view name);

} // namespace credd
