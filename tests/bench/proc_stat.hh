// What /proc says about a process: resident memory, and CPU time to tell whether a load
// run saturated the server (the figure is the server's) or the benchmark.
#pragma once

#include <sys/types.h>

namespace credd::bench {

// VmRSS in KiB, or -1.
long resident_kib(pid_t pid);

// User plus system CPU seconds of all the process's threads, or -1.
double cpu_seconds(pid_t pid);

// The same for this process.
double own_cpu_seconds();

} // namespace credd::bench
