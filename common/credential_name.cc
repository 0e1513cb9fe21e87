// Credential names: the rule.
#include "credential_name.hh"

namespace credd {

namespace {

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

} // namespace

bool is_name_char(char c) {
    return is_alnum(c) || c == '.' || c == '_' || c == '@' || c == '+' || c == '-';
}

bool is_valid_name(std::string_view name) {
    if (name.empty() || name.size() > max_credential_name_bytes || !is_alnum(name.front())) {
        return false;
    }
    for (char c : name) {
        if (!is_name_char(c)) {
            return false;
        }
    }
    return true;
}

} // namespace credd
