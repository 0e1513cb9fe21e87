// The `cred list` and `cred status` tables, built from the daemon's credential records.
#pragma once

#include <string>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "table.hh"

namespace credd {

// NAME KIND MATCH USERNAME STATUS EXPIRES_AT LABELS, from credential.list.
Table make_list_table(const boost::json::array& credentials);

// NAME KIND MATCH STATUS EXPIRES_AT NEXT_REFRESH LAST_REFRESH LAST_ERROR, from
// credential.status. MATCH names the user ("https://alice@github.com") when set.
Table make_status_table(const boost::json::array& credentials);

// The URL a credential answers for, with "user@" when `with_username` and it has one.
std::string match_text(const boost::json::object& credential, bool with_username);

// "team=infra,env=prod" in the daemon's order, or "-".
std::string labels_text(const boost::json::object& credential);

// A time member as RFC 3339, or "-" when null or absent.
std::string time_text(const boost::json::object& credential, std::string_view key);

} // namespace credd
