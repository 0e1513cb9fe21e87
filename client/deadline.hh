// Deadline: a point on the monotonic clock that bounds a whole exchange with the daemon.
#pragma once

#include <chrono>

namespace credd {

// One deadline covers every poll of an operation, so a daemon that trickles bytes
// cannot stretch the wait beyond it (a per-read timeout would restart each time).
class Deadline {
public:
    using Clock = std::chrono::steady_clock;

    static Deadline after(std::chrono::milliseconds span) { return Deadline(Clock::now() + span); }

    bool has_passed() const { return Clock::now() >= m_at; }

    // Milliseconds left, rounded up, for poll(2); 0 once passed.
    int remaining_ms() const {
        const auto left = m_at - Clock::now();
        if (left <= Clock::duration::zero()) {
            return 0;
        }
        return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
    }

private:
    explicit Deadline(Clock::time_point at) : m_at(at) {}

    Clock::time_point m_at;
};

} // namespace credd
