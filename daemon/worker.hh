// Worker: runs blocking jobs (LMDB commits, later D-Bus calls) off the I/O thread.
#pragma once

#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace credd {

// One background thread with a FIFO queue. Jobs run in submission order, which is
// what keeps store writes in the order the Broker issued them; each `done` is posted
// back to the I/O thread. Owned by the Daemon; destroying it waits for queued jobs.
class Worker {
public:
    explicit Worker(boost::asio::io_context& io);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // `job` runs on the worker thread; then `done` runs on the I/O thread.
    void submit(std::function<void()> job, std::function<void()> done);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace credd
