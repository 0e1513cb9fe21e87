// Fixed-width text output: figures line up, and every line is flushed as it is printed.
#include "report.hh"

#include <cstdio>

namespace credd::bench {

namespace {

constexpr int label_width = 44;
constexpr int cell_width = 13;

std::string printf_string(const char* format, double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, value);
    return buf;
}

std::string pad_right(std::string text, std::size_t width) {
    // Count UTF-8 code points, not bytes, so "µ" and "×" do not shift columns.
    std::size_t shown = 0;
    for (unsigned char c : text)
        shown += (c & 0xC0) != 0x80;
    if (shown < width)
        text.append(width - shown, ' ');
    return text;
}

std::string pad_left(const std::string& text, std::size_t width) {
    std::size_t shown = 0;
    for (unsigned char c : text)
        shown += (c & 0xC0) != 0x80;
    return shown < width ? std::string(width - shown, ' ') + text : text;
}

} // namespace

std::string format_ms(double ms) {
    return printf_string("%.3f ms", ms);
}

std::string format_us(double ms) {
    return printf_string("%.1f µs", ms * 1000);
}

std::string format_rate(double per_s) {
    std::string digits = std::to_string(static_cast<long long>(per_s + 0.5));
    for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3)
        digits.insert(static_cast<std::size_t>(i), " ");
    return digits + "/s";
}

std::string format_mib(long kib) {
    return kib < 0 ? "?" : printf_string("%.1f MiB", static_cast<double>(kib) / 1024);
}

std::string format_ratio(double ratio) {
    return printf_string("%.2f×", ratio);
}

void print_line(const std::string& text) {
    std::fputs(text.c_str(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

void print_section(const std::string& title) {
    print_line("");
    print_line(title);
}

void print_latency(const std::string& label, const LatencySummary& summary, bool micro) {
    const auto format = micro ? format_us : format_ms;
    print_row(label, {format(summary.median_ms), format(summary.p99_ms)});
}

void print_row(const std::string& label, const std::vector<std::string>& cells) {
    std::string line = "  " + pad_right(label, label_width);
    for (const auto& cell : cells)
        line += pad_left(cell, cell_width);
    print_line(line);
}

std::string verdict(const Target& target) {
    if (!target.measured)
        return "not measured";
    return target.met ? "PASS" : "MISS";
}

void print_targets(const std::vector<Target>& targets) {
    print_section("Targets (issue 2)");
    for (const auto& target : targets)
        print_line("  " + pad_right(target.name, 52) + pad_left(target.figure, 26) + "  " +
                   verdict(target));
}

} // namespace credd::bench
