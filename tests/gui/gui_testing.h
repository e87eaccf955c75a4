// Helpers for the gui/ tests: one QApplication per test binary (on the platform CTest sets, offscreen) and reading
// an image file's header. Running commands and reading files: tests/testing.h.
#ifndef SCALEPLAN_TESTS_GUI_GUI_TESTING_H_
#define SCALEPLAN_TESTS_GUI_GUI_TESTING_H_

#include <cstdint>
#include <optional>
#include <string>

#include <QApplication>

#include "tests/testing.h"

namespace scaleplan::testing {

// The test binary's QApplication, created on first use and kept for the whole run.
inline QApplication& Application() {
  static int argc = 1;
  static char name[] = "scaleplan_gui_test";
  static char* argv[] = {name, nullptr};
  static QApplication* application = new QApplication(argc, argv);
  return *application;
}

struct ImageSize {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
};

// The size in a PNG's IHDR chunk, read straight from the bytes: the 8-byte signature, then the IHDR chunk (length
// 13, type "IHDR", width and height as big-endian 32-bit integers). nullopt when the file is not a PNG.
inline std::optional<ImageSize> ReadPngSize(const std::string& bytes) {
  static const std::string kSignature("\x89PNG\r\n\x1a\n", 8);
  if (bytes.size() < 33 || bytes.compare(0, 8, kSignature) != 0 || bytes.compare(12, 4, "IHDR") != 0) {
    return std::nullopt;
  }
  auto be32 = [&bytes](size_t at) {
    std::uint32_t value = 0;
    for (size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
    return value;
  };
  return ImageSize{be32(16), be32(20)};
}

}  // namespace scaleplan::testing

#endif  // SCALEPLAN_TESTS_GUI_GUI_TESTING_H_
