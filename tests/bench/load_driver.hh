// Requests per second against a Unix-socket server: one benchmark thread drives N
// non-blocking client connections through epoll, each with one request in flight.
// One thread leaves the other cores to the server, so the figure is the server's.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <sys/types.h>

namespace credd::bench {

enum class Connections { per_request, persistent };

// Where an answer ends: at its first '\n' (credd), or when the server closes (git).
enum class AnswerEnd { newline, eof };

struct LoadSpec {
    std::string socket_path;
    std::string request;
    // Every answer must contain this (the token), or it counts as failed.
    std::string expect;
    AnswerEnd answer_end = AnswerEnd::newline;
    // Half-close after sending, as git's credential-cache client does.
    bool half_close = false;
    int clients = 1;
    Connections connections = Connections::persistent;
    std::chrono::milliseconds warmup{250};
    std::chrono::milliseconds duration{2000};
    // Whose CPU use to report next to the figure.
    pid_t server_pid = -1;
};

struct LoadResult {
    std::uint64_t answered = 0; // good answers inside the measured window
    std::uint64_t failed = 0;
    double seconds = 0;
    std::string first_failure;
    // CPU used in the window, in cores: a server near 1.0 (one I/O thread) is the limit,
    // a benchmark near 1.0 would be.
    double server_cores = -1;
    double driver_cores = -1;

    double per_second() const { return seconds > 0 ? static_cast<double>(answered) / seconds : 0; }
};

// Bounded by spec.warmup + spec.duration (and the stop signal).
LoadResult run_load(const LoadSpec& spec);

} // namespace credd::bench
