// WatchHub: one event per change, to each registered watcher, skipping exact repeats.
#include "watch_hub.hh"

#include <algorithm>

#include "broker.hh"
#include "refresher.hh"

namespace credd {

void WatchHub::add(Watcher* watcher) {
    if (std::find(m_watchers.begin(), m_watchers.end(), watcher) == m_watchers.end()) {
        m_watchers.push_back(watcher);
    }
}

void WatchHub::remove(Watcher* watcher) {
    std::erase(m_watchers, watcher);
}

void WatchHub::changed(const std::string& name) {
    WatchEvent event{name, "removed", std::nullopt, std::nullopt};
    if (auto view = m_broker.status(name, now_ms())) {
        Status status = view->status;
        if (m_refresher && m_refresher->is_refreshing(name)) {
            status = Status::refreshing;
        }
        event.status = std::string(status_name(status));
        event.expires_at = view->record.expires_at;
        event.generation = view->record.generation;
    }
    const auto last = m_last.find(name);
    if (last != m_last.end() && last->second.status == event.status &&
        last->second.expires_at == event.expires_at &&
        last->second.generation == event.generation) {
        return;
    }
    if (event.generation) {
        m_last.insert_or_assign(name, event);
    } else if (last != m_last.end()) {
        m_last.erase(last);
    }
    if (m_watchers.empty()) {
        return;
    }
    // A watcher may close (and unregister) while it is told: walk a copy, and skip any
    // that has left meanwhile.
    const std::vector<Watcher*> watchers = m_watchers;
    for (Watcher* w : watchers) {
        if (std::find(m_watchers.begin(), m_watchers.end(), w) != m_watchers.end()) {
            w->on_watch_event(event);
        }
    }
}

} // namespace credd
