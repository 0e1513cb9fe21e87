// JSON text written by hand for the front ends' small answers, without temporaries.
#pragma once

#include <string>
#include <string_view>

namespace credd {

enum class HtmlEscape { no, yes };

// Appends `s` as a quoted JSON string: '"', '\\' and control bytes escaped (\n, \r and
// \t in short form), other bytes as they are; with HtmlEscape::yes also '<', '>' and
// '&', as Go's encoding/json writes them (docker's helpers do). Writes straight into
// `out`, so a secret is never copied elsewhere.
void append_json_string(std::string& out, std::string_view s, HtmlEscape html = HtmlEscape::no);

// An upper bound of what append_json_string adds for `s`, to size `out` once.
inline std::size_t json_string_bound(std::string_view s) {
    return s.size() * 6 + 2;
}

} // namespace credd
