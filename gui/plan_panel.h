// The Plan dock: a log-scale budget slider and a budget field ("1e24", "5.76e23", "300 GPU-days"), the accelerator
// (with a measured profile's peaks when the Hardware panel has one), device count, MFU, price and recomputation;
// the recommendation (N, D, tokens/param, loss, shape, time, cost, memory verdict) follows the slider live.
// Everything shown comes from Recommend() (gui/recommendation.h), whose hardware side is `scaleplan plan`'s.
#ifndef SCALEPLAN_GUI_PLAN_PANEL_H_
#define SCALEPLAN_GUI_PLAN_PANEL_H_

#include <optional>

#include <QWidget>

#include "gui/recommendation.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSlider;
class QSpinBox;

namespace scaleplan::gui {

class PlanPanel : public QWidget {
  Q_OBJECT

 public:
  // The slider spans 1e17 .. 1e27 FLOPs in steps of 10^0.01 (its value is 100 log10 C).
  static constexpr int kSliderMin = 1700;
  static constexpr int kSliderMax = 2700;
  static double SliderBudget(int value);

  explicit PlanPanel(QWidget* parent = nullptr);

  // A measured profile whose peaks replace the accelerator's (as `plan --profile`); nullopt = the catalogue's.
  void SetProfile(const std::optional<MeasuredProfile>& profile);

  // nullopt: no law yet (the recommendation says so: waiting for the fit, or `no_law_reason` when the fit failed).
  void SetLaw(const std::optional<LawSource>& source, const QString& no_law_reason = QString());
  const std::optional<LawSource>& law() const { return law_; }

  double budget_flops() const { return budget_flops_; }
  void SetBudget(double budget_flops);
  // Applies a budget as typed ("300 GPU-days"); false with the reason shown inline when it does not parse.
  bool SetBudgetText(const QString& text);
  QString BudgetText() const;

  // As bound from the widgets; false with the reason when a field does not parse (Settings() then reads it as 0).
  bool ReadSettings(PlanSettings* settings, std::string* why) const;
  PlanSettings Settings() const;
  void SetSettings(const PlanSettings& settings);

  // The current recommendation; nullopt without a law or when the settings do not check (the error is inline).
  const std::optional<Recommendation>& recommendation() const { return recommendation_; }
  nlohmann::ordered_json PlanJson() const;
  std::string PlanCsv() const;

 signals:
  void BudgetChanged(double budget_flops);
  void RecommendationChanged();

 private:
  void OnSliderMoved(int value);
  void OnBudgetEdited();
  void OnSettingsChanged();
  void Recompute();
  void ShowRecommendation();
  void ShowError(const QString& text);
  void SyncSlider();

  std::optional<LawSource> law_;
  QString no_law_reason_;
  std::optional<MeasuredProfile> profile_;
  double budget_flops_;
  bool budget_is_time_ = false;  // the budget was typed as time: re-convert when the hardware changes
  std::optional<Recommendation> recommendation_;

  QSlider* slider_;
  QLineEdit* budget_text_;
  QComboBox* accelerator_;
  QSpinBox* count_;
  QDoubleSpinBox* days_;  // target days (plan --max-days)
  QDoubleSpinBox* mfu_;
  QDoubleSpinBox* price_;
  QComboBox* recomputation_;
  QLineEdit* inference_tokens_;
  QLineEdit* unique_tokens_;
  QLabel* error_;
  QLabel* params_;
  QLabel* tokens_;
  QLabel* tokens_per_param_;
  QLabel* training_flops_;
  QLabel* loss_;
  QLabel* shape_;
  QLabel* time_;
  QLabel* cost_;
  QLabel* memory_;
  QLabel* warnings_;
  QLabel* notes_;
  QLabel* intervals_;
  QLabel* device_;
  QLabel* law_label_;
};

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_PLAN_PANEL_H_
