// The wire protocol: request validation and response serialisation.
#include "protocol.hh"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>

#include "secret.hh"
#include "utf8.hh"

namespace credd::protocol {

namespace json = boost::json;

namespace {

bool is_valid_id(const json::value& id) {
    return id.is_string() || id.is_int64() || id.is_uint64() || id.is_null();
}

Error invalid_request(std::string what) {
    return make_error(Errc::invalid_request, "invalid request: " + std::move(what));
}

void append_envelope_start(std::string& out, const json::value& id) {
    out += R"({"jsonrpc":"2.0","id":)";
    append_json(out, id);
}

} // namespace

// Serialises in chunks straight into `out`: json::serialize would return a temporary
// string that is freed unwiped, and values here may hold secrets.
template <class T>
void append_chunked(std::string& out, const T& v) {
    json::serializer sr;
    sr.reset(&v);
    char buf[1024];
    while (!sr.done()) {
        out += sr.read(buf, sizeof buf);
    }
    wipe(buf, sizeof buf);
}

void append_json(std::string& out, const json::value& v) {
    append_chunked(out, v);
}
void append_json(std::string& out, const json::object& v) {
    append_chunked(out, v);
}

Result<Request> parse_request(std::string_view line, json::value& id_out,
                              json::storage_ptr storage) {
    id_out = nullptr;
    if (line.size() > max_line_bytes) {
        return make_error(Errc::line_too_long, "request line longer than 65536 bytes");
    }
    if (!is_valid_utf8(line)) {
        return make_error(Errc::invalid_utf8, "request line is not valid UTF-8");
    }
    json::parse_options options;
    options.max_depth = max_json_depth;
    boost::system::error_code ec;
    json::value v = json::parse(line, ec, std::move(storage), options);
    if (ec == json::error::too_deep) {
        return make_error(Errc::too_deep, "request nested deeper than 32 levels");
    }
    if (ec) {
        return make_error(Errc::parse_error, "request is not valid JSON: " + ec.message());
    }
    auto* obj = v.if_object();
    if (!obj) {
        return invalid_request("not a JSON object");
    }
    if (auto* id = obj->if_contains("id"); id && is_valid_id(*id)) {
        id_out = *id;
    }
    const auto* version = obj->if_contains("jsonrpc");
    if (!version || !version->is_string() || version->get_string() != "2.0") {
        return invalid_request(R"("jsonrpc" must be "2.0")");
    }
    const auto* id = obj->if_contains("id");
    if (id && !is_valid_id(*id)) {
        return invalid_request(R"("id" must be a string, an integer or null)");
    }
    const auto* method = obj->if_contains("method");
    if (!method || !method->is_string()) {
        return invalid_request(R"("method" must be a string)");
    }
    // Params in the same storage as the parsed value, so the move below steals instead of
    // copying (a copy would put secret parameters on the general heap, beyond the caller's
    // wipe). Set at construction: assigning to a Boost.JSON container keeps its storage.
    Request r{id_out, id == nullptr, std::string(method->get_string()), json::object(v.storage())};
    if (auto* params = obj->if_contains("params")) {
        if (!params->is_object()) {
            return make_error(Errc::invalid_params, R"("params" must be an object)");
        }
        r.params = std::move(params->get_object());
    }
    return r;
}

void append_result_line(std::string& out, const json::value& id, const json::value& result) {
    append_envelope_start(out, id);
    out += R"(,"result":)";
    append_json(out, result);
    out += "}\n";
}

void append_error_line(std::string& out, const json::value& id, const Error& error) {
    json::object data{{"code", code_name(error.code)}};
    if (!error.hint.empty()) {
        data["hint"] = error.hint;
    }
    const json::object err{
        {"code", jsonrpc_code(error.code)}, {"message", error.message}, {"data", std::move(data)}};
    append_envelope_start(out, id);
    out += R"(,"error":)";
    append_json(out, err);
    out += "}\n";
}

std::string make_request_line(std::uint64_t id, std::string_view method,
                              const json::object& params) {
    std::string out = R"({"jsonrpc":"2.0","id":)";
    out += std::to_string(id);
    out += R"(,"method":)";
    out += json::serialize(json::string_view(method.data(), method.size()));
    out += R"(,"params":)";
    append_json(out, params);
    out += "}\n";
    return out;
}

Result<json::value> parse_response(std::string_view line) {
    boost::system::error_code ec;
    json::parse_options options;
    options.max_depth = max_json_depth;
    json::value v = json::parse(line, ec, {}, options);
    if (ec || !v.is_object()) {
        return make_error(Errc::parse_error, "daemon response is not a JSON object");
    }
    auto& obj = v.get_object();
    if (auto* result = obj.if_contains("result")) {
        return std::move(*result);
    }
    const auto* err = obj.if_contains("error");
    if (!err || !err->is_object()) {
        return make_error(Errc::parse_error, "daemon response has neither result nor error");
    }
    Error e;
    const auto& eo = err->get_object();
    if (const auto* m = eo.if_contains("message"); m && m->is_string()) {
        e.message = m->get_string();
    }
    if (const auto* data = eo.if_contains("data"); data && data->is_object()) {
        if (const auto* code = data->get_object().if_contains("code"); code && code->is_string()) {
            e.code = errc_from_name(code->get_string());
        }
        if (const auto* hint = data->get_object().if_contains("hint"); hint && hint->is_string()) {
            e.hint = hint->get_string();
        }
    }
    return e;
}

Result<std::string> get_string(const json::object& params, std::string_view key) {
    const auto* v = params.if_contains(key);
    if (!v) {
        return make_error(Errc::invalid_params, "missing parameter \"" + std::string(key) + '"');
    }
    if (!v->is_string()) {
        return make_error(Errc::invalid_params,
                          "parameter \"" + std::string(key) + "\" must be a string");
    }
    return std::string(v->get_string());
}

Result<std::optional<std::string>> get_optional_string(const json::object& params,
                                                       std::string_view key) {
    const auto* v = params.if_contains(key);
    if (!v || v->is_null()) {
        return std::optional<std::string>{};
    }
    if (!v->is_string()) {
        return make_error(Errc::invalid_params,
                          "parameter \"" + std::string(key) + "\" must be a string");
    }
    return std::optional<std::string>(std::string(v->get_string()));
}

Result<std::optional<std::int64_t>> get_optional_int(const json::object& params,
                                                     std::string_view key) {
    const auto* v = params.if_contains(key);
    if (!v || v->is_null()) {
        return std::optional<std::int64_t>{};
    }
    if (v->is_int64()) {
        return std::optional<std::int64_t>(v->get_int64());
    }
    if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        return std::optional<std::int64_t>(static_cast<std::int64_t>(v->get_uint64()));
    }
    return make_error(Errc::invalid_params,
                      "parameter \"" + std::string(key) + "\" must be an integer");
}

} // namespace credd::protocol
