#include "gpu_probe/host_info.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <cblas.h>

namespace scaleplan::probe {
namespace {

std::string Trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

}  // namespace

void ParseCpuInfo(const std::string& cpuinfo, std::string* model, std::vector<std::string>* isa) {
  model->clear();
  isa->clear();
  std::istringstream lines(cpuinfo);
  std::string line;
  bool have_flags = false;
  while (std::getline(lines, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = Trim(line.substr(0, colon));
    const std::string value = Trim(line.substr(colon + 1));
    if (key == "model name" && model->empty()) *model = value;
    if (key == "flags" && !have_flags) {
      have_flags = true;
      std::set<std::string> present;
      std::istringstream words(value);
      for (std::string word; words >> word;) present.insert(word);
      for (const std::string& flag : RelevantIsaFlags()) {
        if (present.count(flag) != 0) isa->push_back(flag);
      }
    }
  }
}

HostInfo CollectHostInfo(int threads) {
  HostInfo host;
  std::ifstream file("/proc/cpuinfo");
  std::stringstream text;
  text << file.rdbuf();
  ParseCpuInfo(text.str(), &host.cpu_model, &host.isa);
  if (host.cpu_model.empty()) host.cpu_model = "unknown CPU";
  host.threads = threads;
  const char* corename = openblas_get_corename();
  const char* config = openblas_get_config();
  host.blas_corename = corename != nullptr ? Trim(corename) : "unknown";
  host.blas_config = config != nullptr ? Trim(config) : "";
  if (const char* coretype = std::getenv("OPENBLAS_CORETYPE")) host.openblas_coretype = std::string(coretype);
  return host;
}

int HardwareThreads() {
  // The CPUs this process may run on (taskset, cgroups), else what the library reports.
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0 && CPU_COUNT(&allowed) > 0) return CPU_COUNT(&allowed);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

double PhysicalMemoryBytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return 0.0;
  return static_cast<double>(pages) * static_cast<double>(page_size);
}

}  // namespace scaleplan::probe
