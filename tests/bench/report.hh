// Printing figures: aligned rows, units, and the targets with PASS or MISS.
#pragma once

#include <string>
#include <vector>

#include "latency.hh"

namespace credd::bench {

std::string format_ms(double ms);       // "2.104 ms"
std::string format_us(double ms);       // "18.2 µs"
std::string format_rate(double per_s);  // "153 200/s"
std::string format_mib(long kib);       // "4.1 MiB"
std::string format_ratio(double ratio); // "1.05×"

// Prints and flushes at once, so a long run shows its progress.
void print_line(const std::string& text);
void print_section(const std::string& title);
// "  label ........ median   p99"
void print_latency(const std::string& label, const LatencySummary& summary, bool micro);
void print_row(const std::string& label, const std::vector<std::string>& cells);

// A target from the issue, judged on a figure of this run.
struct Target {
    std::string name;
    std::string figure;
    bool measured = false;
    bool met = false;
};

std::string verdict(const Target& target); // PASS, MISS, or "not measured"
void print_targets(const std::vector<Target>& targets);

} // namespace credd::bench
