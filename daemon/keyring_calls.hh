// KeyringCalls: what the Secret Service calls of one daemon share — the stop flag and the
// call thread that may still be stuck.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string_view>

#include "error.hh"

namespace credd {

// Every Secret Service call runs on a thread of its own and its caller waits under a
// deadline (see keyring_key_store.cc). This bounds what those threads cost:
//  - cancel() (on SIGTERM) wakes every waiting caller at once and refuses new calls, so
//    a hung keyring never holds up the exit;
//  - at most one call thread lives at a time: while one abandoned at its deadline has
//    not returned, a new call is answered keyring_unavailable at once instead of adding
//    a thread. Callers call one at a time (the KeyGate's worker), so retries against a
//    hung keyring come at most once per deadline.
// Shared (std::shared_ptr) by the KeyGate, its key stores and every call thread, which
// may outlive them all.
class KeyringCalls {
public:
    // Wakes every waiting caller and refuses every later call.
    void cancel();
    bool cancelled() const;

    // Claims the call thread for a new call about `what`; fails when cancelled or while
    // an earlier call's thread is still running.
    Result<void> begin(std::string_view what);
    // On the call thread, when its call has returned: `store` keeps the answer (under the
    // lock the waiter reads it with), and the thread is released.
    void end(const std::function<void()>& store);
    // Waits until `answered()` (evaluated under the lock), `deadline` passes, or
    // cancel(). Returns whether it was answered.
    bool wait(std::chrono::milliseconds deadline, const std::function<bool()>& answered);

private:
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    bool m_cancelled = false;
    bool m_running = false; // a call thread has not returned yet
};

} // namespace credd
