// Where credd keeps its socket, data and key, from the XDG base directory variables.
#pragma once

#include <string>

namespace credd::paths {

// $XDG_RUNTIME_DIR/credd/socket, else /tmp/credd-$UID/socket.
std::string default_socket();
// $XDG_DATA_HOME/credd, else $HOME/.local/share/credd.
std::string default_data_dir();
// $XDG_CONFIG_HOME/credd, else $HOME/.config/credd.
std::string default_config_dir();
// The directory part of a path ("/a/b/c" -> "/a/b"; "c" -> ".").
std::string parent_of(const std::string& path);

} // namespace credd::paths
