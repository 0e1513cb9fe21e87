// QrMatrix: to and from the rows login.start sends.
#include "qr_matrix.hh"

namespace credd {

namespace {

constexpr std::size_t max_qr_width = 177; // version 40

} // namespace

std::vector<std::string> qr_rows(const QrMatrix& matrix) {
    std::vector<std::string> rows;
    rows.reserve(static_cast<std::size_t>(matrix.width));
    for (int y = 0; y < matrix.width; ++y) {
        std::string row(static_cast<std::size_t>(matrix.width), '0');
        for (int x = 0; x < matrix.width; ++x) {
            if (matrix.is_dark(x, y)) {
                row[static_cast<std::size_t>(x)] = '1';
            }
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

Result<QrMatrix> qr_from_rows(const std::vector<std::string>& rows) {
    const std::size_t width = rows.size();
    if (width == 0 || width > max_qr_width) {
        return make_error(Errc::invalid_params,
                          "qr code: " + std::to_string(width) + " rows, expected 21 to 177");
    }
    QrMatrix matrix;
    matrix.width = static_cast<int>(width);
    matrix.dark.reserve(width * width);
    for (const auto& row : rows) {
        if (row.size() != width || row.find_first_not_of("01") != std::string::npos) {
            return make_error(Errc::invalid_params,
                              "qr code: a row is not " + std::to_string(width) + " of 0 and 1");
        }
        for (const char c : row) {
            matrix.dark.push_back(c == '1' ? 1 : 0);
        }
    }
    return matrix;
}

} // namespace credd
