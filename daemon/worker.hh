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
    // finish_queued (store writes): the I/O loop stays alive until every submitted job's
    // `done` has run, and destruction runs the queued jobs first. drop_queued (key store
    // calls, which KeyGate::cancel() makes return at once): no job keeps the loop alive,
    // and destruction waits only for the job in hand, dropping queued ones; each job owns
    // what it touches.
    enum class on_exit { finish_queued, drop_queued };
    explicit Worker(boost::asio::io_context& io, on_exit mode = on_exit::finish_queued);
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
