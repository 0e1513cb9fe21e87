// Fuzz target: one request line through the daemon's parsing and answering path, and
// the same bytes through the client's response parser.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol.hh"
#include "url.hh"
#include "wiping_arena.hh"

namespace {

namespace json = boost::json;
using namespace credd;

// A broken invariant is a finding like a crash: say which, then abort.
void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "parse_request_fuzz: invariant broken: %s\n", what);
        std::abort();
    }
}

// Equal values, except that doubles only need to agree in kind: Boost.JSON 1.81 parses
// numbers imprecisely, so a double need not survive a serialise-parse round trip exactly.
bool same(const json::value& a, const json::value& b) {
    if (a.kind() != b.kind()) {
        return false;
    }
    if (a.is_double()) {
        return true;
    }
    if (const auto* ao = a.if_object()) {
        const auto& bo = b.get_object();
        return ao->size() == bo.size() &&
               std::equal(ao->begin(), ao->end(), bo.begin(), [](const auto& x, const auto& y) {
                   return x.key() == y.key() && same(x.value(), y.value());
               });
    }
    if (const auto* aa = a.if_array()) {
        const auto& ba = b.get_array();
        return aa->size() == ba.size() && std::equal(aa->begin(), aa->end(), ba.begin(), same);
    }
    return a == b;
}

// Whether `v` serialises to JSON at all: a number beyond double range (1e400) parses as
// infinity, which Boost.JSON writes as `Infinity`. credd never echoes a request's
// numbers (it accepts integers only), so the echo below leaves such values out.
bool is_serialisable(const json::value& v) {
    if (v.is_double()) {
        return std::isfinite(v.get_double());
    }
    if (const auto* o = v.if_object()) {
        return std::all_of(o->begin(), o->end(),
                           [](const auto& kv) { return is_serialisable(kv.value()); });
    }
    if (const auto* a = v.if_array()) {
        return std::all_of(a->begin(), a->end(), is_serialisable);
    }
    return true;
}

// What a client reads back: exactly one line, and the same outcome it was built from.
void check_response_line(const std::string& line, const Result<json::value>& sent) {
    require(!line.empty() && line.back() == '\n', "response line ends in a newline");
    require(std::count(line.begin(), line.end(), '\n') == 1, "response is one line");
    const auto read = protocol::parse_response(line);
    require(static_cast<bool>(read) == static_cast<bool>(sent), "response outcome round-trips");
    if (read) {
        require(same(*read, *sent), "result round-trips");
    } else {
        require(read.error().code == sent.error().code, "error code round-trips");
    }
}

// As the daemon answers: an error for a bad line; for a good one an echo of its params,
// which exercises serialising whatever the parser accepted.
void answer(const Result<protocol::Request>& request, const json::value& id) {
    std::string out;
    if (!request) {
        protocol::append_error_line(out, id, request.error());
        return check_response_line(out, request.error());
    }
    require(!request->notification || request->id.is_null(), "a notification has no id");
    const json::value echo = json::object(request->params, json::storage_ptr());
    if (is_serialisable(echo)) {
        protocol::append_result_line(out, id, echo);
        check_response_line(out, echo);
    }
    // URLs are the one parameter common/ itself validates; its refusals quote the input.
    if (const auto* url = request->params.if_contains("url"); url && url->is_string()) {
        if (auto parsed = parse_url(url->get_string()); !parsed) {
            out.clear();
            protocol::append_error_line(out, id, parsed.error());
            check_response_line(out, parsed.error());
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    // Parsed into an arena, as a session does, so the arena is fuzzed with it.
    credd::WipingArena arena(256);
    {
        json::value id;
        const auto request = protocol::parse_request(line, id, json::storage_ptr(&arena));
        // Secret parameters must stay in memory the session wipes.
        require(!request || request->params.storage().get() == &arena,
                "params live in the given storage");
        answer(request, id);
    }
    arena.reset();
    // The client side parses whatever a daemon (or an impostor) sends back.
    (void)protocol::parse_response(line);
    return 0;
}
