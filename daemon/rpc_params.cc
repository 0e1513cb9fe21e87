// RpcParams: the parameter checks every handler shares.
#include "rpc_params.hh"

#include "protocol.hh"

namespace credd {

namespace json = boost::json;

namespace {

constexpr std::size_t max_labels = 64;
constexpr std::size_t max_label_bytes = 256;

} // namespace

Result<void> check_known(const json::object& params,
                         std::initializer_list<std::string_view> known) {
    for (const auto& kv : params) {
        bool ok = false;
        for (auto k : known) {
            ok = ok || kv.key() == k;
        }
        if (!ok) {
            return make_error(Errc::invalid_params,
                              "unknown parameter \"" + std::string(kv.key()) + '"');
        }
    }
    return {};
}

Result<std::optional<Url>> get_url(const json::object& params) {
    auto text = protocol::get_optional_string(params, "url");
    if (!text) {
        return text.error();
    }
    if (!*text) {
        return std::optional<Url>{};
    }
    auto url = parse_url(**text);
    if (!url) {
        return url.error();
    }
    return std::optional<Url>(std::move(*url));
}

Result<std::map<std::string, std::string>> get_labels(const json::value& v) {
    if (!v.is_object() || v.get_object().size() > max_labels) {
        return make_error(Errc::invalid_params, "\"labels\" must be an object of at most 64 "
                                                "string values");
    }
    std::map<std::string, std::string> labels;
    for (const auto& kv : v.get_object()) {
        if (!kv.value().is_string() || kv.key().empty() || kv.key().size() > max_label_bytes ||
            kv.value().get_string().size() > max_label_bytes) {
            return make_error(Errc::invalid_params, "label \"" + std::string(kv.key()) +
                                                        "\": key and value must be strings of "
                                                        "1 to 256 bytes");
        }
        labels.emplace(kv.key(), kv.value().get_string());
    }
    return labels;
}

} // namespace credd
