// The human-readable form of a probe result: a header with the host, the calibrated peaks and the cache estimate,
// then one row per timed kernel (its roofline placement included), then the notes.
#ifndef SCALEPLAN_GPU_PROBE_REPORT_H_
#define SCALEPLAN_GPU_PROBE_REPORT_H_

#include <string>
#include <vector>

#include "core/hardware_profile.h"

namespace scaleplan::probe {

std::string FormatProbeTable(const HardwareProfile& profile, const std::vector<std::string>& notes);

}  // namespace scaleplan::probe

#endif  // SCALEPLAN_GPU_PROBE_REPORT_H_
