// Table layout: column widths and rendering.
#include "table.hh"

#include <algorithm>
#include <utility>

#include "terminal_text.hh"

namespace credd {

namespace {

constexpr std::string_view column_gap = "  ";

} // namespace

Table::Table(std::vector<std::string> headers) : m_headers(std::move(headers)) {}

void Table::add_row(std::vector<std::string> cells) {
    cells.resize(m_headers.size());
    for (auto& cell : cells) {
        cell = printable(cell);
    }
    m_rows.push_back(std::move(cells));
}

std::vector<std::size_t> Table::column_widths() const {
    std::vector<std::size_t> widths;
    widths.reserve(m_headers.size());
    for (const auto& header : m_headers) {
        widths.push_back(display_width(header));
    }
    for (const auto& row : m_rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            widths[i] = std::max(widths[i], display_width(row[i]));
        }
    }
    return widths;
}

std::string Table::render() const {
    const auto widths = column_widths();
    std::string out;
    render_line(out, m_headers, widths);
    for (const auto& row : m_rows) {
        render_line(out, row, widths);
    }
    return out;
}

void Table::render_line(std::string& out, const std::vector<std::string>& cells,
                        const std::vector<std::size_t>& widths) const {
    for (std::size_t i = 0; i < cells.size(); ++i) {
        out += cells[i];
        if (i + 1 == cells.size()) {
            break;
        }
        out.append(widths[i] - display_width(cells[i]), ' ');
        out += column_gap;
    }
    out += '\n';
}

} // namespace credd
