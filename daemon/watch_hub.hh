// WatchHub: fans credential changes out to the connections that asked for them (token.watch).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "time_text.hh"

namespace credd {

class Broker;
class Refresher;

// What changed, as every watcher sees it. status "removed" when the credential is gone
// (expires_at and generation then unset).
struct WatchEvent {
    std::string name;
    std::string status;
    std::optional<UnixMs> expires_at;
    std::optional<std::uint64_t> generation;
};

// One connection's side of a subscription (the Session). All calls on the I/O thread.
class Watcher {
public:
    // token.watch: `name` or every credential (nullopt); replaces an earlier subscription.
    virtual void watch(std::optional<std::string> name, bool with_token) = 0;
    virtual void unwatch() = 0;
    virtual void on_watch_event(const WatchEvent& event) = 0;
    // A whole notification line built elsewhere (login.progress), queued like
    // token.changed, under the same limits.
    virtual void notify(std::string line) = 0;
    // While a login runs for this connection it waits for notifications, so silence is
    // no reason to close it: true when one starts, false when it ends.
    virtual void hold_open(bool held) = 0;
    // Whether the connection has closed: a request whose answer was deferred (waiting for
    // the data key) may run after its connection is gone, and must not start a login.
    virtual bool is_closed() const = 0;

protected:
    ~Watcher() = default;
};

// Owned by the Daemon; lives on the I/O thread. Fed by the Broker's change listener
// (add, update, remove, store, erase, key arrival) and the Refresher's (every committed
// refresh outcome); computes each event once and hands it to every registered watcher.
// An event identical to the last one for that credential (same status, expiry and
// generation: a change reported by both sources) is not repeated.
class WatchHub {
public:
    WatchHub(Broker& broker, Refresher* refresher) : m_broker(broker), m_refresher(refresher) {}
    WatchHub(const WatchHub&) = delete;
    WatchHub& operator=(const WatchHub&) = delete;

    void add(Watcher* watcher);
    void remove(Watcher* watcher);
    void changed(const std::string& name);
    std::size_t watchers() const { return m_watchers.size(); }

private:
    Broker& m_broker;
    Refresher* m_refresher;
    std::vector<Watcher*> m_watchers;
    std::map<std::string, WatchEvent, std::less<>> m_last;
};

} // namespace credd
