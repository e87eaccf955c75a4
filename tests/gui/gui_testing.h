// Helpers for the gui/ tests: one QApplication per test binary (on the platform CTest sets, offscreen) and reading
// an image file's header. Running commands and reading files: tests/testing.h.
#ifndef SCALEPLAN_TESTS_GUI_GUI_TESTING_H_
#define SCALEPLAN_TESTS_GUI_GUI_TESTING_H_

#include <cstdint>
#include <optional>
#include <string>

#include <QApplication>

#include "core/hardware_profile.h"
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

// A small CPU profile in round figures: an 80 GFLOP/s dense GEMM and 20 GB/s (ridge point 4 FLOP/byte), and one
// measurement of each kernel, as `scaleplan probe --out` writes them. FMA loop 120 GFLOP/s (it moves no memory).
inline HardwareProfile SmallProfile() {
  HardwareProfile profile;
  profile.backend = "cpu";
  profile.device = "Test CPU";
  profile.peak_flops = 8e10;
  profile.bandwidth_bytes_per_s = 2e10;
  profile.host.cpu_model = "Test CPU";
  profile.host.threads = 2;
  profile.host.blas_corename = "Haswell";
  profile.calibration.fma_peak_flops = 1.2e11;
  // name, d, n, k, batch, flops per call, bytes per call, seconds
  struct Row {
    const char* name;
    std::int64_t d, n, k, batch;
    double flops, bytes, seconds;
  };
  const Row rows[] = {
      {"fma_peak", 0, 1 << 24, 0, 0, 2.4e10, 0.0, 0.2},
      {"triad", 0, 1 << 26, 0, 0, 1.34e8, 8.05e8, 0.0405},
      {"encoder_gemm", 768, 16384, 0, 256, 6.44e9, 7.05e7, 0.0805},
      {"topk", 0, 16384, 32, 256, 4.19e6, 1.68e7, 0.002},
      {"decoder_gather", 768, 524288, 32, 16384, 8.05e8, 1.61e9, 0.16},
      {"scatter_add", 768, 524288, 32, 16384, 8.05e8, 3.22e9, 0.32},
  };
  for (const Row& row : rows) {
    KernelMeasurement kernel;
    kernel.name = row.name;
    kernel.d = row.d;
    kernel.n = row.n;
    kernel.k = row.k;
    kernel.batch = row.batch;
    kernel.flops = row.flops;
    kernel.bytes = row.bytes;
    kernel.seconds_median = kernel.seconds_best = row.seconds;
    kernel.flops_per_second = row.flops / row.seconds;
    kernel.bytes_per_second = row.bytes / row.seconds;
    kernel.arithmetic_intensity = row.bytes > 0 ? row.flops / row.bytes : 0.0;
    profile.kernels.push_back(kernel);
  }
  return profile;
}

// SmallProfile() written to a fresh file, as `scaleplan probe --out` writes it; returns the path.
inline std::string WriteSmallProfile(const std::string& name) {
  return WriteTempFile(name, HardwareProfileToJson(SmallProfile()));
}

}  // namespace scaleplan::testing

#endif  // SCALEPLAN_TESTS_GUI_GUI_TESTING_H_
