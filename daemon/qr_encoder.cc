// encode_qr: libqrencode's symbol, copied out of its buffer.
#include "qr_encoder.hh"

#include <memory>
#include <string>

#include <qrencode.h>

namespace credd {

Result<QrMatrix> encode_qr(std::string_view text) {
    const std::string input(text); // NUL-terminated for the C API
    const std::unique_ptr<QRcode, decltype(&::QRcode_free)> code(
        ::QRcode_encodeString(input.c_str(), 0, QR_ECLEVEL_L, QR_MODE_8, 1), &::QRcode_free);
    if (code == nullptr) {
        return make_error(Errc::invalid_params,
                          "qr code: cannot encode " + std::to_string(text.size()) + " bytes");
    }
    QrMatrix matrix;
    matrix.width = code->width;
    matrix.dark.resize(static_cast<std::size_t>(code->width) * code->width);
    for (std::size_t i = 0; i < matrix.dark.size(); ++i) {
        matrix.dark[i] = code->data[i] & 1; // bit 0: dark module; the rest is metadata
    }
    return matrix;
}

} // namespace credd
