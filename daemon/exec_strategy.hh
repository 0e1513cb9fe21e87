// ExecStrategy: a token from a command (`aqora auth token`, `gcloud auth print-access-token`).
#pragma once

#include <memory>
#include <string_view>

#include "strategy.hh"

namespace boost::asio {
class io_context;
}

namespace credd {

struct ExecOutput;

// Runs params.argv directly (no shell) with stdin closed, a minimal environment and a
// deadline (params.timeout, default 30 s), on its own small thread pool so a slow
// command never holds up the I/O thread or the store worker. Stdout is either the bare
// token or JSON with "token"/"access_token" and "expires_at" (RFC 3339 or unix seconds)
// or "expires_in". Each command runs in its own process group with only fds 0-2 and
// default signal dispositions. Owned by the Daemon; stop() (and destruction) kill the
// groups of commands still running, so a stopping daemon never waits for one.
class ExecStrategy final : public Strategy {
public:
    explicit ExecStrategy(boost::asio::io_context& io);
    ~ExecStrategy() override;
    // Kills running commands' process groups; a queued one is not started. Their
    // refreshes end as transient failures.
    void stop();
    void refresh(RefreshInput input, std::function<void(RefreshOutcome)> done) override;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// What a command printed, read as a token (exposed for tests).
RefreshOutcome parse_exec_output(std::string_view stdout_text, std::int64_t default_lifetime_s,
                                 UnixMs now);
// The first line of a command's stderr with anything token-shaped replaced by
// "[redacted]", at most 200 bytes.
std::string redact_first_line(std::string_view stderr_text);

} // namespace credd
