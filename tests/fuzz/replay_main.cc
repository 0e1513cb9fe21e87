// fuzz_replay: runs a libFuzzer target over every file under the given paths, for
// builds without libFuzzer (g++). In a sanitizer build each input is a sanitizer check.
#include <algorithm>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

// Present only when a sanitizer runtime is linked.
extern "C" void __sanitizer_set_death_callback(void (*callback)()) __attribute__((weak));

// Read by the runtime: stop at the first UBSan report instead of continuing, so a report
// fails the run like a crash does, and stop by abort() so the SIGABRT handler below can
// name the input (GCC's UBSan runtime ignores the ASan death callback).
extern "C" const char* __ubsan_default_options() {
    return "halt_on_error=1:abort_on_error=1:print_stacktrace=1";
}

namespace {

namespace fs = std::filesystem;

// The input being run, for the crash message. A fixed buffer: the handlers below may
// only use async-signal-safe calls.
char current_input[4096];
volatile std::sig_atomic_t reported = 0;

void report_current_input() {
    if (reported) {
        return; // a sanitizer's death callback, then its abort(), would say it twice
    }
    reported = 1;
    constexpr char prefix[] = "fuzz_replay: failed on input: ";
    (void)!write(STDERR_FILENO, prefix, sizeof prefix - 1);
    (void)!write(STDERR_FILENO, current_input, std::strlen(current_input));
    (void)!write(STDERR_FILENO, "\n", 1);
}

void on_fatal_signal(int sig) {
    report_current_input();
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

void install_crash_report() {
    if (__sanitizer_set_death_callback) {
        // The sanitizer owns SIGSEGV and friends; it calls back after printing its report.
        __sanitizer_set_death_callback(report_current_input);
    } else {
        for (const int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) {
            std::signal(sig, on_fatal_signal);
        }
    }
    // No sanitizer reports an abort (a failed assertion or a harness invariant).
    std::signal(SIGABRT, on_fatal_signal);
}

// The exact bytes in a buffer of exactly their size, so reading one past the end is a
// heap overflow the address sanitizer catches.
std::unique_ptr<std::uint8_t[]> read_input(const fs::path& path, std::size_t& size) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("fuzz_replay: cannot read " + path.string());
    }
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                  std::istreambuf_iterator<char>()};
    size = bytes.size();
    auto data = std::make_unique<std::uint8_t[]>(size);
    std::copy(bytes.begin(), bytes.end(), data.get());
    return data;
}

// Every regular file under `root` (or `root` itself), in a stable order.
std::vector<fs::path> list_inputs(const fs::path& root) {
    std::vector<fs::path> out;
    if (fs::is_regular_file(root)) {
        out.push_back(root);
        return out;
    }
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (entry.is_regular_file()) {
            out.push_back(entry.path());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: fuzz_replay CORPUS_DIR_OR_FILE...\n");
        return 2;
    }
    install_crash_report();
    std::size_t replayed = 0;
    for (int i = 1; i < argc; ++i) {
        const fs::path root = argv[i];
        std::error_code ec;
        if (!fs::exists(root, ec)) {
            // A missing corpus would make the run pass without testing anything.
            std::fprintf(stderr, "fuzz_replay: %s: no such file or directory\n", argv[i]);
            return 2;
        }
        for (const fs::path& path : list_inputs(root)) {
            std::snprintf(current_input, sizeof current_input, "%s", path.c_str());
            std::size_t size = 0;
            const auto data = read_input(path, size);
            LLVMFuzzerTestOneInput(data.get(), size);
            ++replayed;
        }
    }
    std::printf("fuzz_replay: replayed %zu inputs\n", replayed);
    if (replayed == 0) {
        std::fprintf(stderr, "fuzz_replay: no inputs found\n");
        return 1;
    }
    return 0;
}
