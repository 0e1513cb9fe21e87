// Interleaved timed runs of client programs.
#include "process_runs.hh"

#include "report.hh"
#include "stop_signal.hh"

namespace credd::bench {

namespace {

constexpr auto run_limit = std::chrono::seconds(5);

bool run_once(Contender& contender, const std::string& cwd, bool keep_sample) {
    const TimedRun run = run_timed(*contender.command, contender.input, cwd, run_limit);
    const bool ok = run.succeeded() && run.out.find(contender.expect) != std::string::npos;
    if (!ok) {
        ++contender.failures;
        if (contender.first_failure.empty())
            contender.first_failure =
                run.succeeded() ? "unexpected output: " + run.out : run.describe_failure();
    } else if (keep_sample) {
        contender.samples_ms.push_back(run.ms);
    }
    return ok;
}

} // namespace

Contender make_contender(std::string label, std::vector<std::string> argv,
                         const std::vector<std::string>& env, std::string input,
                         std::string expect) {
    Contender contender;
    contender.label = std::move(label);
    contender.command = std::make_unique<CommandLine>(std::move(argv), env);
    contender.input = std::move(input);
    contender.expect = std::move(expect);
    return contender;
}

void measure_process_runs(std::vector<Contender>& contenders, const std::string& cwd, int runs,
                          int warmup_rounds) {
    for (auto& contender : contenders)
        if (!run_once(contender, cwd, false)) {
            contender.usable = false;
            print_line("  " + contender.label + ": fails, left out: " + contender.first_failure);
        }
    // Each round starts one further along, so no program always follows the same other.
    const auto n = contenders.size();
    for (int round = 0; round < warmup_rounds + runs && !stop_requested(); ++round)
        for (std::size_t k = 0; k < n; ++k) {
            Contender& contender = contenders[(static_cast<std::size_t>(round) + k) % n];
            if (contender.usable)
                run_once(contender, cwd, round >= warmup_rounds);
        }
}

} // namespace credd::bench
