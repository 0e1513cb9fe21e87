// SecretRequest: arena-backed parameters and in-place serialisation.
#include "secret_request.hh"

#include <boost/json/serializer.hpp>

#include "daemon_client.hh"
#include "protocol.hh"
#include "secret.hh"

namespace credd {

namespace {

// JSON objects cost a table and per-entry overhead on top of the bytes they hold.
std::size_t arena_size(std::size_t content_bytes) {
    return 4 * content_bytes + 16 * 1024;
}

Error too_long() {
    return make_error(Errc::invalid_params,
                      "request longer than 65536 bytes (a very long token or many labels)");
}

} // namespace

SecretRequest::SecretRequest(std::size_t content_bytes)
    : m_size(arena_size(content_bytes)),
      m_arena(std::make_unique_for_overwrite<unsigned char[]>(m_size)),
      m_resource(m_arena.get(), m_size) {}

SecretRequest::~SecretRequest() {
    wipe(m_arena.get(), m_size);
}

bool SecretRequest::fits_in_line(std::size_t content_bytes) {
    return content_bytes <= protocol::max_line_bytes;
}

Result<void> SecretRequest::write_line(std::string& out, std::uint64_t id, std::string_view method,
                                       const boost::json::object& params) {
    wipe(out);
    out.reserve(protocol::max_line_bytes + 1);
    out += R"({"jsonrpc":"2.0","id":)";
    out += std::to_string(id);
    out += R"(,"method":")";
    out += method; // our own constants: nothing to escape
    out += R"(","params":)";
    std::size_t length = out.size();
    // From here on `out` never grows past its reserved capacity, so it never moves.
    out.resize(out.capacity());
    boost::json::serializer serializer;
    serializer.reset(&params);
    while (!serializer.done() && length < out.size()) {
        length += serializer.read(out.data() + length, out.size() - length).size();
    }
    // The closing '}' makes the line one byte longer; the '\n' does not count.
    if (!serializer.done() || length + 1 > protocol::max_line_bytes) {
        wipe(out);
        return too_long();
    }
    out[length++] = '}';
    out[length++] = '\n';
    out.resize(length);
    return {};
}

Result<boost::json::value> call_with_secret(DaemonClient& daemon, std::string_view method,
                                            std::size_t content_bytes, const SecretParamsFill& fill,
                                            std::chrono::milliseconds timeout) {
    if (!SecretRequest::fits_in_line(content_bytes)) {
        return too_long();
    }
    SecretRequest request(content_bytes);
    std::string line;
    {
        boost::json::object params(request.storage());
        fill(params, request.storage());
        if (auto written = SecretRequest::write_line(line, 1, method, params); !written) {
            return written.error();
        }
    }
    return daemon.call_line(line, timeout);
}

} // namespace credd
