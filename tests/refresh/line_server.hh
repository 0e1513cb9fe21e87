// LineServer: a helper server (the fault endpoint, the oidc-provider script) that prints
// one JSON line on stdout once it listens; and a minimal HTTP/1.1 call to it on loopback.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "child_process.hh"

namespace credd::test {

// Starts `argv`, reads its first stdout line (within `deadline`) as JSON. Killed on
// destruction. Owned by the test fixture.
class LineServer {
public:
    explicit LineServer(std::vector<std::string> argv, std::chrono::milliseconds deadline = 20s);
    ~LineServer();
    LineServer(const LineServer&) = delete;
    LineServer& operator=(const LineServer&) = delete;

    bool ready() const { return m_info.is_object(); }
    const std::string& failure() const { return m_failure; }
    const boost::json::value& info() const { return m_info; }

private:
    std::optional<ChildProcess> m_child;
    int m_stdout = -1;
    boost::json::value m_info;
    std::string m_failure;
};

struct HttpAnswer {
    int status = 0; // 0: no answer (see body)
    std::string body;
};

// One request to http://127.0.0.1:PORT/PATH with Connection: close; the whole answer.
HttpAnswer http_call(const std::string& method, int port, const std::string& path,
                     const std::string& body = {}, std::chrono::milliseconds deadline = 10s);
// "http://127.0.0.1:1234" -> 1234 (0 when unreadable).
int port_of(const std::string& url);

} // namespace credd::test
