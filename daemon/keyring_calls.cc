// KeyringCalls: the stop flag and the one call thread of the Secret Service calls.
#include "keyring_calls.hh"

#include <string>

namespace credd {

void KeyringCalls::cancel() {
    const std::lock_guard lock(m_mutex);
    m_cancelled = true;
    m_changed.notify_all();
}

bool KeyringCalls::cancelled() const {
    const std::lock_guard lock(m_mutex);
    return m_cancelled;
}

Result<void> KeyringCalls::begin(std::string_view what) {
    const std::lock_guard lock(m_mutex);
    if (m_cancelled) {
        return make_error(Errc::keyring_unavailable,
                          "keyring: " + std::string(what) + ": credd is stopping");
    }
    if (m_running) {
        return make_error(Errc::keyring_unavailable,
                          "keyring: " + std::string(what) +
                              ": an earlier call to the Secret Service has still not returned; "
                              "not starting another",
                          "check that the keyring daemon is running and responsive (a stopped "
                          "gnome-keyring-daemon or a wedged D-Bus daemon), then retry");
    }
    m_running = true;
    return {};
}

void KeyringCalls::end(const std::function<void()>& store) {
    const std::lock_guard lock(m_mutex);
    store();
    m_running = false;
    m_changed.notify_all();
}

bool KeyringCalls::wait(std::chrono::milliseconds deadline, const std::function<bool()>& answered) {
    std::unique_lock lock(m_mutex);
    m_changed.wait_for(lock, deadline, [&] { return m_cancelled || answered(); });
    return answered();
}

} // namespace credd
