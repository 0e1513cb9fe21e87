// SessionBus: a private D-Bus session bus for one test, with a real gnome-keyring on it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "child_process.hh"
#include "daemon_dirs.hh"

typedef struct _GDBusConnection GDBusConnection;

namespace credd::test {

// A dbus-daemon listening under the dirs' root, with no service directories, so nothing
// is ever activated behind the test's back: the Secret Service is on it only while the
// test runs gnome-keyring-daemon (`start_keyring`), whose keyring files live under the
// dirs' XDG_DATA_HOME. The helpers speak the Secret Service API directly over a private
// connection, as another client of the keyring would. Owned by the test fixture;
// everything it started is killed on destruction.
class SessionBus {
public:
    explicit SessionBus(const DaemonDirs& dirs);
    ~SessionBus();
    SessionBus(const SessionBus&) = delete;
    SessionBus& operator=(const SessionBus&) = delete;

    // Whether the bus answers; otherwise failure() says why.
    bool ready() const { return m_connection != nullptr; }
    const std::string& failure() const { return m_failure; }
    const std::string& address() const { return m_address; }
    // DBUS_SESSION_BUS_ADDRESS for credd and cred.
    std::vector<EnvVar> env() const { return {{"DBUS_SESSION_BUS_ADDRESS", m_address}}; }

    // Starts gnome-keyring-daemon (secrets component), unlocking the login keyring with
    // the test password, and waits until it owns org.freedesktop.secrets.
    bool start_keyring();
    void stop_keyring();
    // SIGSTOP / SIGCONT: a keyring that accepts connections but never answers.
    void freeze_keyring();
    void thaw_keyring();

    // credd's data key items for `store_path` (locked or not), or nullopt on failure.
    std::optional<std::size_t> count_key_items(const std::string& store_path);
    // Locks the default collection through the Secret Service Lock call.
    bool lock_default_collection();
    // Deletes credd's data key items for `store_path`, as a user with seahorse would.
    bool delete_key_items(const std::string& store_path);

private:
    std::vector<std::string> find_key_items(const std::string& store_path, bool& ok);

    const DaemonDirs& m_dirs;
    std::string m_address;
    std::string m_failure;
    std::optional<ChildProcess> m_bus;
    std::optional<ChildProcess> m_keyring;
    GDBusConnection* m_connection = nullptr;
};

} // namespace credd::test
