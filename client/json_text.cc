// JSON string escaping.
#include "json_text.hh"

namespace credd {

void append_json_string(std::string& out, std::string_view s, HtmlEscape html) {
    static constexpr char hex[] = "0123456789abcdef";
    const bool escape_html = html == HtmlEscape::yes;
    out += '"';
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || (escape_html && (c == '<' || c == '>' || c == '&'))) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        } else {
            out += ch;
        }
    }
    out += '"';
}

} // namespace credd
