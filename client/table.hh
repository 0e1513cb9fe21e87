// Table: rows of text laid out in aligned columns for `cred list` and `cred status`.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace credd {

// A plain-text table owned by the command that prints it. Cells are made printable
// (see terminal_text.hh); columns are separated by two spaces and the last one is
// not padded, so lines carry no trailing blanks.
class Table {
public:
    explicit Table(std::vector<std::string> headers);

    // A row shorter than the header is padded with empty cells; extra cells are dropped.
    void add_row(std::vector<std::string> cells);

    std::size_t row_count() const { return m_rows.size(); }
    // Width of each column: its widest cell or header, in display columns.
    std::vector<std::size_t> column_widths() const;
    // The header line and every row, each ended by '\n'.
    std::string render() const;

private:
    void render_line(std::string& out, const std::vector<std::string>& cells,
                     const std::vector<std::size_t>& widths) const;

    std::vector<std::string> m_headers;
    std::vector<std::vector<std::string>> m_rows;
};

} // namespace credd
