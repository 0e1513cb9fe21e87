// wait_until: wait for a condition another process makes true, with a deadline.
#pragma once

#include <chrono>
#include <functional>

namespace credd::test {

using namespace std::chrono_literals;

// Re-checks `condition` every `interval` until it holds (true) or `deadline` has passed
// (false; the condition is checked one last time at the deadline). For conditions with
// no fd to poll on, such as a line appearing in a daemon's log file.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline,
                std::chrono::milliseconds interval = 20ms);

} // namespace credd::test
