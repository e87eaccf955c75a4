// The Dictionary dock: the options of `scaleplan dictionary` (activation width, a FLOP or GPU-hour budget, a target
// loss or a fixed number of latents, k or its range, the subject model, what the budget pays for, the accelerator
// and device count, which kernels to lead with) bound to widgets, and the plan PlanDictionary returns for them
// (gui/dictionary_plan.h): latents, k, tokens, FLOPs, memory, devices, days, cost, with the law's provenance (the
// Gao et al. prior) and its extrapolation warnings. The plan follows every edit.
#ifndef SCALEPLAN_GUI_DICTIONARY_PANEL_H_
#define SCALEPLAN_GUI_DICTIONARY_PANEL_H_

#include <array>
#include <optional>
#include <string>

#include <QWidget>

#include "gui/dictionary_plan.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace scaleplan::gui {

class DictionaryPanel : public QWidget {
  Q_OBJECT

 public:
  explicit DictionaryPanel(QWidget* parent = nullptr);

  // The settings as bound from the widgets (with the profile); false with the reason, naming the field, when a
  // field does not parse.
  bool ReadSettings(DictionarySettings* settings, std::string* why) const;
  // The widgets' settings; a field that does not parse keeps its previous value.
  DictionarySettings Settings() const { return settings_; }
  void SetSettings(const DictionarySettings& settings);
  // Measured kernel speeds (as `scaleplan dictionary --profile`); nullopt = the catalogue's peaks.
  void SetProfile(const std::optional<MeasuredProfile>& profile);

  // The current plan; nullopt when the settings do not check (the error is inline).
  const std::optional<DictionaryRecommendation>& recommendation() const { return recommendation_; }

 signals:
  void RecommendationChanged();

 private:
  void Recompute();
  void ShowRecommendation();
  void ShowError(const QString& text);
  void SyncGoalPlaceholder();
  void OnGoalChanged(int index);

  DictionarySettings settings_;  // the last settings that parsed
  std::optional<MeasuredProfile> profile_;
  std::optional<DictionaryRecommendation> recommendation_;

  QLineEdit* d_model_;
  QComboBox* goal_;
  int goal_index_ = -1;                 // the goal the value field holds a number of
  std::array<QString, 4> goal_values_;  // per goal, the value field's text when another goal was chosen
  QLineEdit* value_;
  QLineEdit* k_;
  QLineEdit* k_range_;
  QLineEdit* subject_;
  QCheckBox* include_harvest_;
  QComboBox* accelerator_;
  QSpinBox* count_;
  QComboBox* kernels_;
  QLabel* error_;
  QLabel* status_;
  QLabel* latents_;
  QLabel* k_value_;
  QLabel* tokens_;
  QLabel* loss_;
  QLabel* flops_;
  QLabel* memory_;
  QLabel* devices_;
  QLabel* days_;
  QLabel* cost_;
  QLabel* comparison_;
  QLabel* device_;
  QLabel* law_;
  QLabel* notes_;
  QLabel* warnings_;
};

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_DICTIONARY_PANEL_H_
