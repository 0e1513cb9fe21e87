// HttpResponse: what the HTTP client hands back, free of Beast types.
#pragma once

#include <optional>
#include <string>

#include "secret.hh"

namespace credd {

// A complete response. The body may hold tokens, so it is wiped on destruction.
struct HttpResponse {
    int status = 0;
    std::string content_type; // lower case, parameters (charset) stripped
    std::optional<std::string> retry_after;
    std::string body;

    HttpResponse() = default;
    HttpResponse(HttpResponse&&) = default;
    HttpResponse& operator=(HttpResponse&&) = default;
    HttpResponse(const HttpResponse&) = delete;
    HttpResponse& operator=(const HttpResponse&) = delete;
    ~HttpResponse() { wipe(body); }
};

} // namespace credd
