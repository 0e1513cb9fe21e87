// SessionBus: starting dbus-daemon and gnome-keyring-daemon, and Secret Service calls.
#include "session_bus.hh"

#include <csignal>
#include <fstream>

#include <fcntl.h>
#include <gio/gio.h>
#include <unistd.h>

#include "unique_fd.hh"
#include "wait_until.hh"

namespace credd::test {

namespace {

constexpr const char* secrets_name = "org.freedesktop.secrets";
constexpr const char* service_path = "/org/freedesktop/secrets";
constexpr const char* service_iface = "org.freedesktop.Secret.Service";
constexpr const char* keyring_password = "credd-test-keyring-password";
constexpr int call_timeout_ms = 5000;

// A session bus that activates nothing: no <servicedir>, no <standard_session_servicedirs>.
std::string bus_config(const std::string& socket) {
    return R"(<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=)" +
           socket + R"(</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
)";
}

// A method call's reply, or nullptr (the error is dropped: callers report their own).
GVariant* call(GDBusConnection* c, const char* path, const char* iface, const char* method,
               GVariant* args, const char* reply_type) {
    GError* err = nullptr;
    GVariant* reply = g_dbus_connection_call_sync(
        c, secrets_name, path, iface, method, args, G_VARIANT_TYPE(reply_type),
        G_DBUS_CALL_FLAGS_NONE, call_timeout_ms, nullptr, &err);
    if (err != nullptr) {
        g_error_free(err);
    }
    return reply;
}

bool has_owner(GDBusConnection* c, const char* name) {
    GError* err = nullptr;
    GVariant* reply = g_dbus_connection_call_sync(
        c, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
        g_variant_new("(s)", name), G_VARIANT_TYPE("(b)"), G_DBUS_CALL_FLAGS_NONE, call_timeout_ms,
        nullptr, &err);
    if (reply == nullptr) {
        g_error_free(err);
        return false;
    }
    gboolean owned = FALSE;
    g_variant_get(reply, "(b)", &owned);
    g_variant_unref(reply);
    return owned != FALSE;
}

} // namespace

SessionBus::SessionBus(const DaemonDirs& dirs) : m_dirs(dirs) {
    const std::string socket = dirs.root() + "/bus";
    const std::string config = dirs.root() + "/bus.conf";
    std::ofstream(config) << bus_config(socket);
    m_address = "unix:path=" + socket;
    UniqueFd null_fd{::open("/dev/null", O_RDWR | O_CLOEXEC)};
    m_bus.emplace(SpawnSpec{{"/usr/bin/dbus-daemon", "--nofork", "--config-file=" + config},
                            {},
                            {{0, null_fd.get()}, {1, null_fd.get()}, {2, null_fd.get()}},
                            {}});
    if (!m_bus->started()) {
        m_failure = "dbus-daemon: " + m_bus->spawn_error();
        return;
    }
    // The bus is up once a client can connect and say Hello.
    wait_until(
        [&] {
            m_connection = g_dbus_connection_new_for_address_sync(
                m_address.c_str(),
                static_cast<GDBusConnectionFlags>(G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                  G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION),
                nullptr, nullptr, nullptr);
            return m_connection != nullptr;
        },
        10s);
    if (m_connection == nullptr) {
        m_failure = "dbus-daemon: no connection to " + m_address + " within 10 s";
    }
}

SessionBus::~SessionBus() {
    stop_keyring();
    if (m_connection != nullptr) {
        g_dbus_connection_close_sync(m_connection, nullptr, nullptr);
        g_object_unref(m_connection);
    }
    if (m_bus && m_bus->started()) {
        m_bus->send_signal(SIGTERM);
        m_bus->wait(5s);
    }
}

bool SessionBus::start_keyring() {
    if (!ready()) {
        return false;
    }
    int in[2];
    if (::pipe2(in, O_CLOEXEC) != 0) {
        return false;
    }
    UniqueFd read_end{in[0]};
    UniqueFd write_end{in[1]};
    UniqueFd null_fd{::open("/dev/null", O_RDWR | O_CLOEXEC)};
    std::vector<EnvVar> env = m_dirs.daemon_env();
    env.push_back({"DBUS_SESSION_BUS_ADDRESS", m_address});
    m_keyring.emplace(SpawnSpec{
        {"/usr/bin/gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"},
        env,
        {{0, read_end.get()}, {1, null_fd.get()}, {2, null_fd.get()}},
        {}});
    read_end.reset();
    // --unlock reads the password up to end of file: it unlocks (or creates) "login".
    const std::string password = keyring_password;
    if (::write(write_end.get(), password.data(), password.size()) !=
        static_cast<ssize_t>(password.size())) {
        return false;
    }
    write_end.reset();
    return m_keyring->started() &&
           wait_until([&] { return has_owner(m_connection, secrets_name); }, 10s);
}

void SessionBus::stop_keyring() {
    if (m_keyring && m_keyring->started() && !m_keyring->has_exited()) {
        m_keyring->send_signal(SIGCONT);
        m_keyring->send_signal(SIGTERM);
        m_keyring->wait(5s);
        // The name is released once the bus has seen the connection go.
        wait_until([&] { return !has_owner(m_connection, secrets_name); }, 5s);
    }
    m_keyring.reset();
}

void SessionBus::freeze_keyring() {
    if (m_keyring) {
        m_keyring->send_signal(SIGSTOP);
    }
}

void SessionBus::thaw_keyring() {
    if (m_keyring) {
        m_keyring->send_signal(SIGCONT);
    }
}

std::vector<std::string> SessionBus::find_key_items(const std::string& store_path, bool& ok) {
    GVariantBuilder attrs;
    g_variant_builder_init(&attrs, G_VARIANT_TYPE("a{ss}"));
    g_variant_builder_add(&attrs, "{ss}", "xdg:schema", "org.credd.DataKey");
    g_variant_builder_add(&attrs, "{ss}", "store", store_path.c_str());
    GVariant* reply = call(m_connection, service_path, service_iface, "SearchItems",
                           g_variant_new("(a{ss})", &attrs), "(aoao)");
    ok = reply != nullptr;
    std::vector<std::string> items;
    if (reply == nullptr) {
        return items;
    }
    GVariantIter* unlocked = nullptr;
    GVariantIter* locked = nullptr;
    g_variant_get(reply, "(aoao)", &unlocked, &locked);
    for (GVariantIter* it : {unlocked, locked}) {
        const char* path = nullptr;
        while (g_variant_iter_next(it, "&o", &path)) {
            items.emplace_back(path);
        }
        g_variant_iter_free(it);
    }
    g_variant_unref(reply);
    return items;
}

std::optional<std::size_t> SessionBus::count_key_items(const std::string& store_path) {
    bool ok = false;
    const auto items = find_key_items(store_path, ok);
    return ok ? std::optional<std::size_t>(items.size()) : std::nullopt;
}

bool SessionBus::lock_default_collection() {
    GVariant* alias = call(m_connection, service_path, service_iface, "ReadAlias",
                           g_variant_new("(s)", "default"), "(o)");
    if (alias == nullptr) {
        return false;
    }
    const char* collection = nullptr;
    g_variant_get(alias, "(&o)", &collection);
    const char* objects[] = {collection};
    GVariant* reply = call(m_connection, service_path, service_iface, "Lock",
                           g_variant_new("(@ao)", g_variant_new_objv(objects, 1)), "(aoo)");
    g_variant_unref(alias);
    if (reply == nullptr) {
        return false;
    }
    g_variant_unref(reply);
    return true;
}

bool SessionBus::delete_key_items(const std::string& store_path) {
    bool ok = false;
    for (const auto& item : find_key_items(store_path, ok)) {
        GVariant* reply = call(m_connection, item.c_str(), "org.freedesktop.Secret.Item", "Delete",
                               nullptr, "(o)");
        if (reply == nullptr) {
            return false;
        }
        g_variant_unref(reply);
    }
    return ok;
}

} // namespace credd::test
