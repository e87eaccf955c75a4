// A progress bar with ETA on stderr, drawn only when stderr is a terminal (silent in pipes, files and CI).
#ifndef SCALEPLAN_CLI_PROGRESS_H_
#define SCALEPLAN_CLI_PROGRESS_H_

#include <chrono>
#include <string>

namespace scaleplan::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();  // finishes the line if anything was drawn

  // Thread-compatible: call from one thread at a time (the fitting callbacks already hold a lock).
  void Update(int done, int total);

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace scaleplan::cli

#endif  // SCALEPLAN_CLI_PROGRESS_H_
