// The Hardware dock: a measured hardware profile, from the probe (gpu_probe/probe.h, what `scaleplan probe` runs)
// or from a profile file (`scaleplan probe --out`, read by core/hardware_profile.h).
//
// "Run probe" runs RunProbe off the UI thread (QtConcurrent + QFutureWatcher) with a progress bar; "Cancel" stops
// it at the next step (the kernel being timed finishes first) and keeps the previous profile. "Load profile…" reads
// a file; a file that does not read or parse is reported inline, with the reader's located message, and the
// previous profile stays. The panel shows the device, the peaks, the ridge point and every kernel measurement; the
// roofline is a chart tab (gui/charts.h). With "Use for plans" the profile's measured peaks feed the Plan and
// Dictionary panels, as `scaleplan plan --profile` and `scaleplan dictionary --profile` use them.
#ifndef SCALEPLAN_GUI_HARDWARE_PANEL_H_
#define SCALEPLAN_GUI_HARDWARE_PANEL_H_

#include <optional>
#include <string>
#include <vector>

#include <QFutureWatcher>
#include <QWidget>

#include "gui/recommendation.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QTableWidget;

namespace scaleplan::gui {

// What a background probe hands back to the UI thread: a profile and its notes, or why there is none.
struct ProbeOutcome {
  std::optional<HardwareProfile> profile;
  std::vector<std::string> notes;
  bool cancelled = false;
  std::string error;
};

class HardwarePanel : public QWidget {
  Q_OBJECT

 public:
  explicit HardwarePanel(QWidget* parent = nullptr);
  ~HardwarePanel() override;

  // Reads and shows the profile at `path`; false with the reason in *error (and inline), keeping the previous one.
  bool LoadProfile(const QString& path, QString* error);
  // Writes the shown profile as JSON (as `scaleplan probe --out`), atomically; the profile is then labelled by it.
  bool SaveProfile(const QString& path, QString* error);

  // The profile shown (measured or loaded), and the one the plans use (nullopt when "Use for plans" is off).
  const std::optional<MeasuredProfile>& profile() const { return profile_; }
  std::optional<MeasuredProfile> ProfileForPlans() const;
  QString ProfilePath() const { return profile_path_; }  // "" when none was loaded or saved
  bool UseForPlans() const;
  void SetUseForPlans(bool use);
  std::string ProbeMode() const;  // "quick", "standard", "full"
  void SetProbeMode(const std::string& mode);
  QString ErrorText() const;

  void StartProbe();
  void CancelProbe();
  bool IsProbing() const;

 signals:
  // The profile or "Use for plans" changed.
  void ProfileChanged();
  // A probe ended: true with a profile, false when it failed or was cancelled.
  void ProbeFinished(bool measured);
  void ShowRooflineRequested();
  // The loaded profile has an interconnect section ('scaleplan probe --collectives') and the user asked to see it.
  void ShowCollectivesRequested();

 private:
  void OnProbeDone();
  void ChooseAndLoad();
  void ChooseAndSave();
  void SetProfile(const HardwareProfile& profile, const std::string& label, const QString& path);
  void ShowProfile();
  void SetStatus(const QString& text, bool is_error);
  void SetBusy(bool busy);

  QComboBox* mode_;
  QPushButton* probe_button_;
  QPushButton* cancel_button_;
  QPushButton* load_button_;
  QPushButton* save_button_;
  QPushButton* roofline_button_;
  QPushButton* collectives_button_;
  QCheckBox* use_for_plans_;
  QProgressBar* progress_;
  QLabel* status_;
  QLabel* device_;
  QLabel* peak_;
  QLabel* bandwidth_;
  QLabel* ridge_;
  QLabel* host_;
  QLabel* notes_;
  QTableWidget* kernels_;
  QFutureWatcher<ProbeOutcome> watcher_;
  std::optional<MeasuredProfile> profile_;
  QString profile_path_;
  bool status_is_error_ = false;
};

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_HARDWARE_PANEL_H_
