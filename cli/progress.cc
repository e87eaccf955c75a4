#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

namespace scaleplan::cli {

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)), enabled_(isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fputc('\n', stderr);
}

void ProgressBar::Update(int done, int total) {
  if (!enabled_ || total <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total && drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double fraction = static_cast<double>(done) / total;
  const double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0.0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(fraction * kWidth);
  std::fprintf(stderr, "\r%s [%.*s%*s] %d/%d  %.0f%%  ETA %.0fs ", label_.c_str(), filled,
               "##############################", kWidth - filled, "", done, total, 100 * fraction, eta);
  std::fflush(stderr);
}

}  // namespace scaleplan::cli
