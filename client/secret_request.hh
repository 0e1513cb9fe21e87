// SecretRequest: a request whose parameters carry a secret, built so that every copy can be wiped.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/static_resource.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include "error.hh"

namespace credd {

class DaemonClient;

// Owns an arena that the parameter object must be allocated from (storage()), and
// wipes it when destroyed: with the general heap, the JSON strings holding the secret
// would be freed unwiped. Build the params with storage(), destroy them first (declare
// them after this object), and serialise with write_line().
class SecretRequest {
public:
    // `content_bytes`: the summed size of every string that goes into the params. The
    // caller refuses content over protocol::max_line_bytes first (see fits_in_line).
    explicit SecretRequest(std::size_t content_bytes);
    ~SecretRequest();
    SecretRequest(const SecretRequest&) = delete;
    SecretRequest& operator=(const SecretRequest&) = delete;

    boost::json::storage_ptr storage() { return boost::json::storage_ptr(&m_resource); }

    // Serialises the request line (with its '\n') into `out`. `out` is sized once up
    // front and the JSON written straight into it, so no temporary or reallocated copy
    // of the secret is left behind; the caller wipes `out` after sending.
    static Result<void> write_line(std::string& out, std::uint64_t id, std::string_view method,
                                   const boost::json::object& params);

    static bool fits_in_line(std::size_t content_bytes);

private:
    std::size_t m_size;
    std::unique_ptr<unsigned char[]> m_arena;
    boost::json::static_resource m_resource;
};

// The one way a request carrying a secret is made: `fill` puts the params into an
// object allocated from the request's arena (`content_bytes` bounds the strings it
// adds), the line is written in place and sent, and every copy is wiped. Refuses
// (invalid_params) content that cannot fit in a request line.
using SecretParamsFill =
    std::function<void(boost::json::object& params, const boost::json::storage_ptr& storage)>;
Result<boost::json::value> call_with_secret(DaemonClient& daemon, std::string_view method,
                                            std::size_t content_bytes, const SecretParamsFill& fill,
                                            std::chrono::milliseconds timeout);

} // namespace credd
