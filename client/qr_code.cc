// QrCode: libqrencode through dlopen, and the half-block renderer.
#include "qr_code.hh"

#include <mutex>
#include <string>

#include <dlfcn.h>
#include <qrencode.h>

namespace credd {

namespace {

struct QrencodeApi {
    decltype(&::QRcode_encodeString) encode_string = nullptr;
    decltype(&::QRcode_free) free = nullptr;
};

Result<QrencodeApi> open_qrencode() {
    // The soname of every libqrencode since 4.0 (Debian: libqrencode4).
    void* handle = ::dlopen("libqrencode.so.4", RTLD_NOW | RTLD_LOCAL);
    const auto missing = [](std::string why) {
        return make_error(Errc::io_error, "qr code: cannot load libqrencode: " + why,
                          "install it (Debian: apt install libqrencode4), or pass --no-qr");
    };
    if (handle == nullptr) {
        const char* why = ::dlerror();
        return missing(why ? why : "unknown reason");
    }
    QrencodeApi api;
    api.encode_string =
        reinterpret_cast<decltype(api.encode_string)>(::dlsym(handle, "QRcode_encodeString"));
    api.free = reinterpret_cast<decltype(api.free)>(::dlsym(handle, "QRcode_free"));
    if (api.encode_string == nullptr || api.free == nullptr) {
        return missing("it lacks QRcode_encodeString or QRcode_free");
    }
    return api;
}

Result<QrencodeApi> load_qrencode() {
    static std::once_flag once;
    static Result<QrencodeApi> loaded = make_error(Errc::internal, "unset");
    std::call_once(once, [] { loaded = open_qrencode(); });
    return loaded;
}

// UTF-8 for the four cells: upper half block, lower half block, full block.
constexpr std::string_view upper_half = "\xe2\x96\x80";
constexpr std::string_view lower_half = "\xe2\x96\x84";
constexpr std::string_view full_block = "\xe2\x96\x88";
// Black foreground on bright white, and back to the terminal's own.
constexpr std::string_view dark_on_light = "\x1b[30;107m";
constexpr std::string_view reset = "\x1b[0m";

} // namespace

Result<QrMatrix> encode_qr(std::string_view text) {
    auto api = load_qrencode();
    if (!api) {
        return api.error();
    }
    const std::string input(text); // NUL-terminated for the C API
    QRcode* code = api->encode_string(input.c_str(), 0, QR_ECLEVEL_L, QR_MODE_8, 1);
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
    api->free(code);
    return matrix;
}

std::string render_qr(const QrMatrix& matrix, bool colours) {
    const int size = matrix.width + 2 * qr_quiet_zone;
    std::string out;
    out.reserve(static_cast<std::size_t>((size + 1) / 2) * (size * 3 + 24));
    for (int row = 0; row < size; row += 2) {
        if (colours) {
            out += dark_on_light;
        }
        for (int col = 0; col < size; ++col) {
            const int x = col - qr_quiet_zone;
            const bool top = matrix.is_dark(x, row - qr_quiet_zone);
            const bool bottom = matrix.is_dark(x, row + 1 - qr_quiet_zone);
            out += top && bottom ? full_block : top ? upper_half : bottom ? lower_half : " ";
        }
        if (colours) {
            out += reset;
        }
        out += '\n';
    }
    return out;
}

} // namespace credd
