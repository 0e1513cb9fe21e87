// credd_bench: measures credd next to a C floor and git's credential-cache daemon, all in
// one run on one machine, and prints the figures beside the targets of issue 2.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/utsname.h>
#include <unistd.h>

#include "child_process.hh"
#include "latency.hh"
#include "line_client.hh"
#include "load_driver.hh"
#include "proc_stat.hh"
#include "process_runs.hh"
#include "report.hh"
#include "sandbox.hh"
#include "servers.hh"
#include "stop_signal.hh"

namespace credd::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Shaped like a GitHub token. Names, URLs and tokens here need no JSON escaping.
const std::string bench_token = "ghp_bench0123456789abcdefghijklmnopqrstuv";
const std::string bench_name = "bench";
const std::string bench_url = "https://example.com";
const std::string git_request_body = "protocol=https\nhost=example.com\n\n";
// `git credential fill` asks for a host of its own, whose credential names a username in
// both credd and credential-cache (git would otherwise ask for one).
const std::string git_fill_host = "git.example.com";
const std::string git_fill_body = "protocol=https\nhost=" + git_fill_host + "\n\n";
constexpr auto client_run_limit = std::chrono::seconds(5);
constexpr auto round_trip_limit = std::chrono::seconds(10);
constexpr auto bulk_add_limit = std::chrono::seconds(150);
constexpr int bulk_add_window = 64;

struct Options {
    int runs = 500;
    int warmup_rounds = 20;
    int round_trips = 20000;
    double seconds = 2.0;
    int credentials = 10000;
};

struct Programs {
    std::string credd = CREDD_PATH;
    std::string cred = CRED_PATH;
    std::string floor_client = FLOOR_CLIENT_PATH;
    std::string echo_server = ECHO_SERVER_PATH;
    std::string git;
};

std::string token_get_line(const std::string& params) {
    return R"({"jsonrpc":"2.0","id":1,"method":"token.get","params":)" + params + "}\n";
}

std::string credential_add_line(long id, const std::string& name, const std::string& url,
                                const std::string& token) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
           R"(,"method":"credential.add","params":{"name":")" + name + R"(","url":")" + url +
           R"(","secret":{"token":")" + token + "\"}}}\n";
}

bool is_result(std::string_view line) {
    return line.find("\"result\"") != std::string::npos;
}

// The value of a top-level string member, good enough for daemon.info's version.
std::string string_member(std::string_view json, const std::string& key) {
    const auto at = json.find("\"" + key + "\":\"");
    if (at == std::string_view::npos)
        return "?";
    const auto from = at + key.size() + 4;
    return std::string(json.substr(from, json.find('"', from) - from));
}

std::string find_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    for (std::size_t from = 0; from <= dirs.size();) {
        const auto colon = std::min(dirs.find(':', from), dirs.size());
        const std::string candidate = dirs.substr(from, colon - from) + "/" + name;
        if (access(candidate.c_str(), X_OK) == 0)
            return candidate;
        from = colon + 1;
    }
    throw std::runtime_error(name + ": not found on PATH; install it (apt-get install " + name +
                             ")");
}

void check_built(const Programs& programs) {
    for (const auto& path :
         {programs.credd, programs.cred, programs.floor_client, programs.echo_server})
        if (access(path.c_str(), X_OK) != 0)
            throw std::runtime_error(path + ": not built; run: bash tests/bench/run");
}

std::string first_line_of(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

std::string machine_description() {
    utsname name = {};
    uname(&name);
    std::string cpu = "unknown CPU";
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);)
        if (line.rfind("model name", 0) == 0) {
            cpu = line.substr(line.find(':') + 2);
            break;
        }
    return std::string(name.sysname) + " " + name.release + " " + name.machine + ", " +
           std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " CPUs, " + cpu;
}

std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string one, five, fifteen;
    in >> one >> five >> fifteen;
    return "load average " + one + " " + five + " " + fifteen;
}

// ---- set-up -----------------------------------------------------------------------------

std::string add_bench_credential(const Server& credd) {
    LineClient client(credd.socket_path);
    client.send(credential_add_line(1, bench_name, bench_url, bench_token));
    const std::string added(client.read_line());
    if (!is_result(added))
        throw std::runtime_error("credential.add: " + added);
    client.send(R"({"jsonrpc":"2.0","id":2,"method":"daemon.info"})"
                "\n");
    return std::string(client.read_line());
}

void store_git_credential(const Programs& programs, const Sandbox& sandbox,
                          const Server& git_daemon) {
    // A day: the daemon must not expire the credential, and so exit, during the run.
    const CommandLine store({programs.git, "credential-cache", "--socket", git_daemon.socket_path,
                             "--timeout", "86400", "store"},
                            sandbox.env());
    const TimedRun run = run_timed(
        store, "protocol=https\nhost=example.com\nusername=bench\npassword=" + bench_token + "\n\n",
        sandbox.root(), client_run_limit);
    if (!run.succeeded())
        throw std::runtime_error("git credential-cache store: " + run.describe_failure());
    // Speak the daemon's own protocol once, as the load runs will, and check the answer.
    LineClient direct(git_daemon.socket_path);
    direct.send("action=get\ntimeout=900\n" + git_request_body);
    const std::string answer = direct.finish_and_read_all();
    if (answer.find("password=" + bench_token + "\n") == std::string::npos)
        throw std::runtime_error("git credential-cache--daemon: unexpected answer: " + answer);
}

// The same credential for git_fill_host in credd (with a username) and in credential-cache.
void add_git_fill_credentials(const Programs& programs, const Sandbox& sandbox, const Server& credd,
                              const Server& git_daemon) {
    LineClient client(credd.socket_path);
    client.send(R"({"jsonrpc":"2.0","id":1,"method":"credential.add","params":{"name":"bench-git",)"
                R"("url":"https://)" +
                git_fill_host + R"(","username":"bench","secret":{"token":")" + bench_token +
                "\"}}}\n");
    const std::string added(client.read_line());
    if (!is_result(added))
        throw std::runtime_error("credential.add bench-git: " + added);
    const CommandLine store({programs.git, "credential-cache", "--socket", git_daemon.socket_path,
                             "--timeout", "86400", "store"},
                            sandbox.env());
    const TimedRun run = run_timed(store,
                                   "protocol=https\nhost=" + git_fill_host +
                                       "\nusername=bench\npassword=" + bench_token + "\n\n",
                                   sandbox.root(), client_run_limit);
    if (!run.succeeded())
        throw std::runtime_error("git credential-cache store: " + run.describe_failure());
}

// ---- 1. process start to exit -----------------------------------------------------------

void report_process_runs(const std::vector<Contender>& contenders, std::vector<Target>& targets) {
    std::vector<LatencySummary> summaries;
    print_row("", {"median", "p99"});
    for (const auto& contender : contenders) {
        summaries.push_back(summarize(contender.samples_ms));
        if (contender.usable)
            print_latency(contender.label, summaries.back(), false);
        if (contender.failures > 0)
            print_line("    " + std::to_string(contender.failures) +
                       " failed runs; first: " + contender.first_failure);
    }
    const LatencySummary& floor = summaries[0];
    const LatencySummary& cred = summaries[1];
    const LatencySummary& git = summaries[2];
    Target target{"cred token median ≤ 1.2× floor", "", false, false};
    if (floor.count > 0 && cred.count > 0) {
        const double ratio = cred.median_ms / floor.median_ms;
        print_row("cred / floor", {format_ratio(ratio), format_ratio(cred.p99_ms / floor.p99_ms)});
        target = {target.name, format_ratio(ratio), true, ratio <= 1.2};
    }
    if (git.count > 0 && cred.count > 0)
        print_row("cred / git", {format_ratio(cred.median_ms / git.median_ms),
                                 format_ratio(cred.p99_ms / git.p99_ms)});
    targets.push_back(target);
}

// ---- 2. round trips in one process --------------------------------------------------------

// Times `count` request/answer exchanges on one connection (at most 10 s).
void measure_round_trips(const std::string& label, const std::string& socket_path,
                         const std::string& request, const std::string& expect, int count) {
    try {
        LineClient client(socket_path);
        std::vector<double> samples;
        samples.reserve(static_cast<std::size_t>(count));
        int failures = 0;
        std::string first_failure;
        const auto deadline = Clock::now() + round_trip_limit;
        for (int i = 0; i < count && !stop_requested(); ++i) {
            const auto start = Clock::now();
            client.send(request);
            const std::string_view answer = client.read_line();
            const auto end = Clock::now();
            if (answer.find(expect) == std::string_view::npos) {
                if (failures++ == 0)
                    first_failure = std::string(answer.substr(0, 300));
            } else {
                samples.push_back(std::chrono::duration<double, std::milli>(end - start).count());
            }
            if (end > deadline)
                break;
        }
        if (stop_requested())
            return;
        const LatencySummary summary = summarize(samples);
        print_row(label, {format_us(summary.median_ms), format_us(summary.p99_ms),
                          std::to_string(summary.count)});
        if (failures > 0)
            print_line("    " + std::to_string(failures) + " failed; first: " + first_failure);
    } catch (const std::exception& e) {
        print_line("  " + label + ": failed: " + e.what());
    }
}

// ---- 3. requests per second -------------------------------------------------------------

struct LoadRow {
    std::string label;
    LoadSpec spec;
    ChildProcess* server;
    std::vector<double> rates;
};

void measure_load_row(LoadRow& row, const std::vector<int>& client_counts) {
    std::vector<std::string> cells;
    std::vector<std::string> cpu;
    std::string failures;
    for (int clients : client_counts) {
        if (stop_requested())
            break;
        row.spec.clients = clients;
        const LoadResult result = run_load(row.spec);
        row.rates.push_back(result.per_second());
        cells.push_back(format_rate(result.per_second()));
        char cores[32];
        std::snprintf(cores, sizeof cores, "%.2f / %.2f", result.server_cores, result.driver_cores);
        cpu.push_back(cores);
        if (result.failed > 0 && failures.empty())
            failures = "    " + std::to_string(result.failed) + " failed with " +
                       std::to_string(clients) + " clients; first: " + result.first_failure;
    }
    print_row(row.label, cells);
    print_row("  CPU cores used: server / benchmark", cpu);
    if (!failures.empty())
        print_line(failures);
    if (!row.server->is_running())
        print_line("    the server is gone: " + row.server->describe_exit());
}

void measure_throughput(Server& credd, Server& git_daemon, const Options& options,
                        std::vector<Target>& targets) {
    const std::vector<int> client_counts = {1, 4, 16};
    const auto duration = std::chrono::milliseconds(static_cast<long>(options.seconds * 1000));
    LoadSpec credd_spec;
    credd_spec.socket_path = credd.socket_path;
    credd_spec.request = token_get_line(R"({"name":")" + bench_name + "\"}");
    credd_spec.expect = bench_token;
    credd_spec.duration = duration;
    credd_spec.server_pid = credd.process.pid();
    LoadSpec git_spec = credd_spec;
    git_spec.socket_path = git_daemon.socket_path;
    git_spec.server_pid = git_daemon.process.pid();
    git_spec.request = "action=get\ntimeout=900\n" + git_request_body;
    git_spec.expect = "password=" + bench_token;
    git_spec.answer_end = AnswerEnd::eof;
    git_spec.half_close = true;
    git_spec.connections = Connections::per_request;

    LoadRow persistent{"credd token.get, persistent connections", credd_spec, &credd.process, {}};
    LoadRow per_request{"credd token.get, connection per request", credd_spec, &credd.process, {}};
    per_request.spec.connections = Connections::per_request;
    LoadRow git{"git credential-cache, connection per request", git_spec, &git_daemon.process, {}};

    print_row("", {"1 client", "4 clients", "16 clients"});
    for (LoadRow* row : {&persistent, &per_request, &git})
        measure_load_row(*row, client_counts);

    std::vector<std::string> ratios;
    bool all_met = per_request.rates.size() == client_counts.size() &&
                   git.rates.size() == client_counts.size();
    double worst = 1e9;
    for (std::size_t i = 0; all_met && i < client_counts.size(); ++i) {
        const double ratio = git.rates[i] > 0 ? per_request.rates[i] / git.rates[i] : 0;
        ratios.push_back(format_ratio(ratio));
        worst = std::min(worst, ratio);
    }
    if (!ratios.empty())
        print_row("credd / git, connection per request", ratios);
    targets.push_back({"connection per request ≥ 1.5× git (worst of 1/4/16)",
                       all_met ? format_ratio(worst) : "", all_met, all_met && worst >= 1.5});
    const bool have16 = persistent.rates.size() == client_counts.size();
    targets.push_back({"≥ 100 000 token.get/s, persistent, 16 clients",
                       have16 ? format_rate(persistent.rates.back()) : "", have16,
                       have16 && persistent.rates.back() >= 100000});
}

// ---- 5. ten thousand credentials ---------------------------------------------------------

// credential.add for `count` credentials over one connection, `bulk_add_window` in flight.
void add_many_credentials(const Server& credd, int count) {
    LineClient client(credd.socket_path);
    const auto start = Clock::now();
    const auto deadline = start + bulk_add_limit;
    int sent = 0;
    int added = 0;
    int failed = 0;
    std::string first_failure;
    auto send_next = [&] {
        char name[32];
        std::snprintf(name, sizeof name, "bulk-%05d", sent);
        char url[64];
        std::snprintf(url, sizeof url, "https://git%03d.example.com/org%05d", sent % 100, sent);
        client.send(credential_add_line(100 + sent, name, url, bench_token + "-" + name));
        ++sent;
    };
    while (sent < count && sent < bulk_add_window)
        send_next();
    for (int answered = 0; answered < sent; ++answered) {
        const std::string_view answer = client.read_line();
        if (is_result(answer))
            ++added;
        else if (failed++ == 0)
            first_failure = std::string(answer.substr(0, 300));
        if (sent < count && Clock::now() < deadline && !stop_requested())
            send_next();
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    char text[200];
    std::snprintf(text, sizeof text,
                  "  added %d of %d in %.1f s: %.0f adds/s, %.2f ms each (one durable commit "
                  "each)",
                  added, count, seconds, added / seconds, seconds * 1000 / std::max(added, 1));
    print_line(text);
    if (sent < count)
        print_line("  stopped after " + std::to_string(sent) + " requests: time limit " +
                   std::to_string(bulk_add_limit.count()) + " s");
    if (failed > 0)
        print_line("  " + std::to_string(failed) + " failed; first: " + first_failure);
}

// ---- the run ------------------------------------------------------------------------------

Options parse_options(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::puts("usage: credd_bench [--runs N] [--round-trips N] [--seconds S] "
                      "[--credentials N]\n"
                      "  --runs N         process runs per program, interleaved (500)\n"
                      "  --round-trips N  token.get round trips per figure (20000)\n"
                      "  --seconds S      duration of each requests-per-second figure (2)\n"
                      "  --credentials N  credentials added for the memory figure (10000)");
            std::exit(0);
        }
        if (i + 1 >= argc)
            throw std::invalid_argument(arg + ": needs a value (see --help)");
        const double value = std::strtod(argv[++i], nullptr);
        if (arg == "--runs")
            options.runs = static_cast<int>(value);
        else if (arg == "--round-trips")
            options.round_trips = static_cast<int>(value);
        else if (arg == "--seconds")
            options.seconds = value;
        else if (arg == "--credentials")
            options.credentials = static_cast<int>(value);
        else
            throw std::invalid_argument(arg + ": unknown option (see --help)");
    }
    if (options.runs < 1 || options.runs > 100000 || options.round_trips < 1 ||
        options.round_trips > 10000000 || options.seconds <= 0 || options.seconds > 60 ||
        options.credentials < 0 || options.credentials > 1000000)
        throw std::invalid_argument("option out of range (see --help)");
    return options;
}

std::vector<Contender> make_contenders(const Programs& programs, const Sandbox& sandbox,
                                       const Server& echo, const Server& git_daemon) {
    std::vector<Contender> contenders;
    contenders.push_back(make_contender("floor: C client → echo server",
                                        {programs.floor_client, echo.socket_path}, sandbox.env(),
                                        "", "\"token.get\""));
    contenders.push_back(make_contender("cred token " + bench_name,
                                        {programs.cred, "token", bench_name}, sandbox.env(), "",
                                        bench_token + "\n"));
    contenders.push_back(make_contender(
        "git credential-cache get",
        {programs.git, "credential-cache", "--socket", git_daemon.socket_path, "get"},
        sandbox.env(), git_request_body, "password=" + bench_token + "\n"));
    return contenders;
}

void print_memory(const std::string& label, pid_t pid, Target* target) {
    const long kib = resident_kib(pid);
    print_row(label, {format_mib(kib)});
    if (target != nullptr)
        *target = {target->name, format_mib(kib), kib >= 0, kib >= 0 && kib < 10 * 1024};
}

// One benchmark run: owns the sandbox and the servers (declared after it, so they stop
// before it is removed), and measures section by section.
class Bench {
public:
    explicit Bench(const Options& options);
    void print_header() const;
    void measure_idle_memory();
    void measure_process_starts();
    void measure_git_fill();
    void measure_round_trips_section();
    void measure_requests_per_second();
    void measure_many_credentials();
    // Prints the targets, stops credd and says how it ended.
    void finish();

private:
    const Options& m_options;
    Clock::time_point m_start = Clock::now();
    Programs m_programs;
    Sandbox m_sandbox;
    Server m_echo;
    Server m_git_daemon;
    Server m_credd;
    std::string m_daemon_info;
    std::vector<Target> m_targets;
    Target m_idle_memory{"credd idle RSS < 10 MiB", "", false, false};
    const std::string m_by_name = token_get_line(R"({"name":")" + bench_name + "\"}");
    const std::string m_by_url = token_get_line(R"({"url":")" + bench_url + "/org/repo.git\"}");
};

Programs located_programs() {
    Programs programs;
    programs.git = find_on_path("git");
    check_built(programs);
    return programs;
}

Bench::Bench(const Options& options)
    : m_options(options), m_programs(located_programs()),
      m_echo(start_echo_server(m_programs.echo_server, m_sandbox)),
      m_git_daemon(start_git_cache_daemon(m_programs.git, m_sandbox)),
      m_credd(start_credd(m_programs.credd, m_sandbox)),
      m_daemon_info(add_bench_credential(m_credd)) {
    store_git_credential(m_programs, m_sandbox, m_git_daemon);
    add_git_fill_credentials(m_programs, m_sandbox, m_credd, m_git_daemon);
}

void Bench::print_header() const {
    const CommandLine git_version({m_programs.git, "--version"}, m_sandbox.env());
    const std::string git = run_timed(git_version, "", m_sandbox.root(), client_run_limit).out;
    print_line("credd benchmark: every figure below comes from this one run on this machine");
    print_line("  machine  " + machine_description());
    print_line("  load     " + load_average() + " (other work on the machine skews every figure)");
    print_line("  build    " CREDD_BENCH_BUILD);
    print_line("  sandbox  " + m_sandbox.root() + " on " + m_sandbox.filesystem());
    print_line("  credd    " + string_member(m_daemon_info, "version") + ", " + m_programs.credd +
               " (--log-level info: changes and failures logged, reads not; key " +
               string_member(m_daemon_info, "key_protection") + ")");
    print_line("  cred     " + m_programs.cred + (CRED_STATIC ? " (static)" : " (dynamic)"));
    print_line("  git      " + first_line_of(git));
    print_line("  floor    " + m_programs.floor_client + " (C, libc only, dynamic)");
}

void Bench::measure_idle_memory() {
    print_section("Memory before the runs (VmRSS)");
    print_memory("credd idle, 1 credential", m_credd.process.pid(), &m_idle_memory);
    print_memory("git credential-cache--daemon, 1 credential", m_git_daemon.process.pid(), nullptr);
}

void Bench::measure_process_starts() {
    print_section(
        "1. Process start to exit (posix_spawn to waitpid, CLOCK_MONOTONIC, stdout drained):\n   " +
        std::to_string(m_options.runs) + " runs each, interleaved round robin after " +
        std::to_string(m_options.warmup_rounds) + " warm-up rounds");
    std::vector<Contender> contenders =
        make_contenders(m_programs, m_sandbox, m_echo, m_git_daemon);
    measure_process_runs(contenders, m_sandbox.root(), m_options.runs, m_options.warmup_rounds);
    report_process_runs(contenders, m_targets);
}

// git itself runs the helper either way: credd's through the git-credential-credd link to
// cred, credential-cache's as `git credential-cache get` (git's own builtin).
void Bench::measure_git_fill() {
    const int runs = std::max(m_options.runs, 100);
    print_section("1b. git credential fill, start to exit, the same credential behind each "
                  "helper:\n   " +
                  std::to_string(runs) + " runs each, interleaved round robin after " +
                  std::to_string(m_options.warmup_rounds) + " warm-up rounds");
    const std::string link = m_sandbox.path("git-credential-credd");
    std::error_code exists;
    std::filesystem::create_symlink(m_programs.cred, link, exists);
    std::vector<std::string> env = m_sandbox.env();
    env.push_back("GIT_TERMINAL_PROMPT=0"); // a helper that fails must not hang the run
    const std::string expect = "password=" + bench_token + "\n";
    std::vector<Contender> contenders;
    contenders.push_back(make_contender("git credential fill, credd",
                                        {m_programs.git, "-c", "credential.helper=", "-c",
                                         "credential.helper=" + link, "credential", "fill"},
                                        env, git_fill_body, expect));
    contenders.push_back(make_contender(
        "git credential fill, credential-cache",
        {m_programs.git, "-c", "credential.helper=", "-c",
         "credential.helper=cache --socket " + m_git_daemon.socket_path, "credential", "fill"},
        env, git_fill_body, expect));
    measure_process_runs(contenders, m_sandbox.root(), runs, m_options.warmup_rounds);
    print_row("", {"median", "p99"});
    std::vector<LatencySummary> summaries;
    for (const auto& contender : contenders) {
        summaries.push_back(summarize(contender.samples_ms));
        if (contender.usable)
            print_latency(contender.label, summaries.back(), false);
        if (contender.failures > 0)
            print_line("    " + std::to_string(contender.failures) +
                       " failed runs; first: " + contender.first_failure);
    }
    Target target{"git fill via credd ≤ 1.0× credential-cache", "", false, false};
    if (summaries[0].count > 0 && summaries[1].count > 0) {
        const double ratio = summaries[0].median_ms / summaries[1].median_ms;
        print_row("credd / credential-cache",
                  {format_ratio(ratio), format_ratio(summaries[0].p99_ms / summaries[1].p99_ms)});
        target = {target.name, format_ratio(ratio), true, ratio <= 1.0};
    }
    m_targets.push_back(target);
}

void Bench::measure_round_trips_section() {
    print_section("2. Round trips inside one process, one persistent connection");
    print_row("", {"median", "p99", "count"});
    measure_round_trips("credd token.get by name", m_credd.socket_path, m_by_name, bench_token,
                        m_options.round_trips);
    measure_round_trips("credd token.get by URL", m_credd.socket_path, m_by_url, bench_token,
                        m_options.round_trips);
    measure_round_trips("floor: echo of the same line", m_echo.socket_path, m_by_name, "token.get",
                        m_options.round_trips);
}

void Bench::measure_requests_per_second() {
    char title[200];
    std::snprintf(title, sizeof title,
                  "3. Requests per second, closed loop: one benchmark thread drives N "
                  "connections\n   with epoll, one request in flight on each; %.1f s a figure "
                  "after 0.25 s warm-up",
                  m_options.seconds);
    print_section(title);
    measure_throughput(m_credd, m_git_daemon, m_options, m_targets);
    print_section("4. Memory after the load runs (VmRSS)");
    print_memory("credd, 1 credential", m_credd.process.pid(), nullptr);
}

void Bench::measure_many_credentials() {
    if (m_options.credentials == 0)
        return;
    print_section("5. " + std::to_string(m_options.credentials) +
                  " more credentials: credential.add on one connection, " +
                  std::to_string(bulk_add_window) + " in flight");
    try {
        add_many_credentials(m_credd, m_options.credentials);
    } catch (const std::exception& e) {
        print_line(std::string("  failed: ") + e.what());
    }
    print_row("credd RSS with them", {format_mib(resident_kib(m_credd.process.pid()))});
    print_row("", {"median", "p99", "count"});
    measure_round_trips("credd token.get by name, with them", m_credd.socket_path, m_by_name,
                        bench_token, m_options.round_trips);
    measure_round_trips("credd token.get by URL, with them", m_credd.socket_path, m_by_url,
                        bench_token, m_options.round_trips);
}

void Bench::finish() {
    if (stop_requested())
        print_section("interrupted: the figures above are all there are");
    m_targets.push_back(m_idle_memory);
    print_targets(m_targets);
    const int status = m_credd.process.stop(std::chrono::seconds(10));
    std::error_code ignored;
    const auto log_bytes = std::filesystem::file_size(m_credd.log_path, ignored);
    print_section("credd after SIGTERM: " + describe_wait_status(status) +
                  "; its log: " + format_mib(static_cast<long>(log_bytes / 1024)));
    if (status != 0)
        print_line(log_tail(m_credd.log_path));
    char total[64];
    std::snprintf(total, sizeof total, "total run time %.1f s",
                  std::chrono::duration<double>(Clock::now() - m_start).count());
    print_line(total);
}

int run(const Options& options) {
    Bench bench(options);
    bench.print_header();
    bench.measure_idle_memory();
    using Step = void (Bench::*)();
    for (Step step : {&Bench::measure_process_starts, &Bench::measure_git_fill,
                      &Bench::measure_round_trips_section, &Bench::measure_requests_per_second,
                      &Bench::measure_many_credentials})
        if (!stop_requested())
            (bench.*step)();
    bench.finish();
    return stop_requested() ? 130 : 0;
}

} // namespace
} // namespace credd::bench

int main(int argc, char** argv) {
    credd::bench::install_stop_handlers();
    try {
        return credd::bench::run(credd::bench::parse_options(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "credd_bench: %s\n", e.what());
        return 1;
    }
}
