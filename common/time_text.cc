// Parsing and printing of times.
#include "time_text.hh"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace credd {

namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
    std::int64_t year;
    unsigned month;
    unsigned day;
};

Civil civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

bool read_digits(std::string_view& s, std::size_t n, unsigned& out) {
    if (s.size() < n) {
        return false;
    }
    out = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        out = out * 10 + static_cast<unsigned>(s[i] - '0');
    }
    s.remove_prefix(n);
    return true;
}

bool expect(std::string_view& s, char c) {
    if (s.empty() || s.front() != c) {
        return false;
    }
    s.remove_prefix(1);
    return true;
}

Error bad_time(std::string_view text) {
    return make_error(Errc::invalid_params,
                      "time \"" + std::string(text) + "\": not RFC 3339, unix seconds or +N[smhd]",
                      "write e.g. 2026-12-31T00:00:00Z, 1798675200 or +30d");
}

Result<UnixMs> parse_rfc3339(std::string_view text) {
    std::string_view s = text;
    unsigned year, month, day, hour, minute, second;
    const bool date_ok = read_digits(s, 4, year) && expect(s, '-') && read_digits(s, 2, month) &&
                         expect(s, '-') && read_digits(s, 2, day);
    if (!date_ok || s.empty() || (s.front() != 'T' && s.front() != 't' && s.front() != ' ')) {
        return bad_time(text);
    }
    s.remove_prefix(1);
    if (!(read_digits(s, 2, hour) && expect(s, ':') && read_digits(s, 2, minute) &&
          expect(s, ':') && read_digits(s, 2, second))) {
        return bad_time(text);
    }
    unsigned ms = 0;
    if (!s.empty() && s.front() == '.') {
        s.remove_prefix(1);
        unsigned scale = 100;
        std::size_t n = 0;
        while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
            ms += static_cast<unsigned>(s.front() - '0') * scale;
            scale /= 10;
            s.remove_prefix(1);
            ++n;
        }
        if (n == 0) {
            return bad_time(text);
        }
    }
    std::int64_t offset_min = 0;
    if (!s.empty() && (s.front() == 'Z' || s.front() == 'z')) {
        s.remove_prefix(1);
    } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
        const int sign = s.front() == '-' ? -1 : 1;
        s.remove_prefix(1);
        unsigned oh, om;
        if (!(read_digits(s, 2, oh) && expect(s, ':') && read_digits(s, 2, om)) || oh > 23 ||
            om > 59) {
            return bad_time(text);
        }
        offset_min = sign * static_cast<std::int64_t>(oh * 60 + om);
    } else {
        return bad_time(text);
    }
    const bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    const unsigned month_days[] = {31, leap ? 29u : 28u, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!s.empty() || month < 1 || month > 12 || day < 1 || day > month_days[month - 1] ||
        hour > 23 || minute > 59 || second > 60) {
        return bad_time(text);
    }
    const std::int64_t days = days_from_civil(year, month, day);
    const std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_min * 60;
    return secs * 1000 + ms;
}

} // namespace

UnixMs now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Result<UnixMs> parse_when(std::string_view text, UnixMs now) {
    if (text.empty()) {
        return bad_time(text);
    }
    if (text.front() == '+') {
        if (text.size() < 3) {
            return bad_time(text); // "+", "+d": no number (and no byte to read past the '+')
        }
        std::int64_t n = 0;
        const char* begin = text.data() + 1;
        const char* end = text.data() + text.size() - 1;
        auto [ptr, ec] = std::from_chars(begin, end, n);
        if (ec != std::errc{} || ptr != end || begin == end || n < 0) {
            return bad_time(text);
        }
        std::int64_t unit = 0;
        switch (text.back()) {
        case 's':
            unit = 1000;
            break;
        case 'm':
            unit = 60'000;
            break;
        case 'h':
            unit = 3'600'000;
            break;
        case 'd':
            unit = 86'400'000;
            break;
        default:
            return bad_time(text);
        }
        if (n > INT64_MAX / unit / 2) {
            return bad_time(text);
        }
        return now + n * unit;
    }
    if (text.find_first_not_of("0123456789") == std::string_view::npos) {
        std::int64_t secs = 0;
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), secs);
        if (ec != std::errc{} || secs > INT64_MAX / 1000) {
            return bad_time(text);
        }
        return secs * 1000;
    }
    return parse_rfc3339(text);
}

std::string format_rfc3339(UnixMs t) {
    // Round toward minus infinity without computing t - 999, which overflows near INT64_MIN.
    const std::int64_t secs = t / 1000 - (t % 1000 < 0 ? 1 : 0);
    std::int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    const std::int64_t rem = secs - days * 86400;
    const Civil c = civil_from_days(days);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                  static_cast<long long>(c.year), c.month, c.day,
                  static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
                  static_cast<long long>(rem % 60));
    return buf;
}

std::string format_duration(std::int64_t ms) {
    const bool negative = ms < 0;
    // The magnitude in unsigned arithmetic: -INT64_MIN does not fit an int64.
    const std::uint64_t magnitude =
        negative ? 0 - static_cast<std::uint64_t>(ms) : static_cast<std::uint64_t>(ms);
    auto s = static_cast<std::int64_t>(magnitude / 1000);
    const std::int64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;
    s %= 60;
    std::string out = negative ? "-" : "";
    if (d > 0) {
        out += std::to_string(d) + "d" + (h ? " " + std::to_string(h) + "h" : "");
    } else if (h > 0) {
        out += std::to_string(h) + "h" + (m ? " " + std::to_string(m) + "m" : "");
    } else if (m > 0) {
        out += std::to_string(m) + "m" + (s ? " " + std::to_string(s) + "s" : "");
    } else {
        out += std::to_string(s) + "s";
    }
    return out;
}

} // namespace credd
