#include "gui/plan_panel.h"

#include <cmath>
#include <exception>

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>

#include "core/bundled_data.h"
#include "core/units.h"
#include "gui/session.h"
#include "gui/sparsity_chart.h"
#include "gui/widgets.h"

namespace scaleplan::gui {
double PlanPanel::SliderBudget(int value) { return std::pow(10.0, value / 100.0); }

PlanPanel::PlanPanel(QWidget* parent) : QWidget(parent), budget_flops_(kDefaultBudgetFlops) {
  const TrainingPlanOptions defaults;
  slider_ = new QSlider(Qt::Horizontal);
  slider_->setObjectName("budget_slider");
  slider_->setRange(kSliderMin, kSliderMax);
  slider_->setSingleStep(1);
  slider_->setPageStep(10);
  slider_->setTickPosition(QSlider::TicksBelow);
  slider_->setTickInterval(100);
  slider_->setToolTip(tr("Training compute budget, 1e17 to 1e27 FLOPs (log scale)"));

  budget_text_ = new QLineEdit;
  budget_text_->setObjectName("budget_text");
  budget_text_->setToolTip(tr("FLOPs (1e24, 5.76e23, 300P) or time: 300 GPU-days, 7200 GPU-hours "
                              "(device-time on the accelerator at the MFU), 30 days (wall-clock on the device count)"));

  accelerator_ = AcceleratorComboBox("accelerator");

  count_ = DeviceCountSpinBox("num_accelerators", tr("Devices; auto (0) = the fewest whose memory holds the "
                                                     "training state and that finish within the target days"));
  count_->setValue(static_cast<int>(defaults.num_accelerators));

  days_ = new QDoubleSpinBox;
  days_->setObjectName("target_days");
  days_->setRange(0.0, 3650.0);
  days_->setDecimals(1);
  days_->setSuffix(tr(" days"));
  days_->setSpecialValueText(tr("no limit"));
  days_->setValue(PlanSettings().target_days);
  days_->setToolTip(
      tr("The days the training must finish in (plan --max-days): an automatic device count is the "
         "fewest that also finish within them"));

  mfu_ = new QDoubleSpinBox;
  mfu_->setObjectName("mfu");
  mfu_->setRange(1.0, 100.0);
  mfu_->setDecimals(1);
  mfu_->setSuffix(QStringLiteral(" %"));
  mfu_->setValue(100.0 * defaults.mfu);
  mfu_->setToolTip(tr("Model FLOPs utilisation against the dense bf16 peak"));

  price_ = new QDoubleSpinBox;
  price_->setObjectName("price");
  price_->setRange(0.0, 1000.0);
  price_->setDecimals(2);
  price_->setPrefix(QStringLiteral("$"));
  price_->setSuffix(tr(" per device-hour"));
  price_->setSpecialValueText(tr("catalogue default"));
  price_->setValue(defaults.price_usd_per_hour);

  recomputation_ = new QComboBox;
  recomputation_->setObjectName("recomputation");
  for (RecomputeChoice mode :
       {RecomputeChoice::AUTO, RecomputeChoice::NONE, RecomputeChoice::SELECTIVE, RecomputeChoice::FULL}) {
    recomputation_->addItem(QString::fromUtf8(RecomputeChoiceName(mode)), static_cast<int>(mode));
  }
  recomputation_->setCurrentIndex(recomputation_->findData(static_cast<int>(PlanSettings{}.recompute)));
  recomputation_->setToolTip(tr("Activation recomputation: auto takes the one that holds the state on the fewest "
                                "devices, selective on a tie (as `scaleplan plan`); none stores everything, selective "
                                "recomputes the attention scores, full stores one input per layer (no tensor "
                                "parallelism is modelled, so large models need full)"));

  inference_tokens_ = new QLineEdit;
  inference_tokens_->setObjectName("inference_tokens");
  unique_tokens_ = new QLineEdit;
  unique_tokens_->setObjectName("unique_tokens");
  inference_tokens_->setPlaceholderText(tr("none (e.g. 2T)"));
  inference_tokens_->setToolTip(tr("Lifetime tokens the model will serve (prompt and generated). A model that serves "
                                   "many tokens should be smaller and trained longer for the same loss (Sardana et "
                                   "al. 2023); the plan then minimises training plus inference cost."));
  unique_tokens_->setPlaceholderText(tr("unlimited (e.g. 500B)"));
  unique_tokens_->setToolTip(tr("Unique training tokens available. When the compute-optimal plan needs more, data "
                                "is repeated for several epochs, worth less than fresh data (Muennighoff et al. "
                                "2023, their decay constants on the fitted law)."));
  for (QLineEdit* field : {inference_tokens_, unique_tokens_}) {
    connect(field, &QLineEdit::editingFinished, this, &PlanPanel::OnSettingsChanged);
  }

  error_ = ErrorLabel("plan_error");

  params_ = ValueLabel("plan_params");
  tokens_ = ValueLabel("plan_tokens");
  tokens_per_param_ = ValueLabel("plan_tokens_per_param");
  training_flops_ = ValueLabel("plan_training_flops");
  loss_ = ValueLabel("plan_loss");
  shape_ = ValueLabel("plan_shape");
  time_ = ValueLabel("plan_time");
  cost_ = ValueLabel("plan_cost");
  memory_ = ValueLabel("plan_memory");
  intervals_ = ValueLabel("plan_intervals");
  notes_ = ValueLabel("plan_notes");
  warnings_ = ValueLabel("plan_warnings", Tone::WARNING);
  device_ = ValueLabel("plan_device", Tone::SECONDARY);
  law_label_ = ValueLabel("plan_law", Tone::SECONDARY);
  EmphasiseLabels({params_, tokens_, loss_});

  auto* inputs = new QGroupBox(tr("Budget and hardware"));
  auto* input_form = new QFormLayout(inputs);
  input_form->addRow(tr("Compute"), slider_);
  input_form->addRow(tr("Budget"), budget_text_);
  input_form->addRow(tr("Accelerator"), accelerator_);
  input_form->addRow(tr("Finish in"), days_);
  input_form->addRow(tr("Peaks"), device_);
  input_form->addRow(tr("Devices"), count_);
  input_form->addRow(tr("MFU"), mfu_);
  input_form->addRow(tr("Price"), price_);
  input_form->addRow(tr("Recomputation"), recomputation_);
  input_form->addRow(tr("Inference tokens"), inference_tokens_);
  input_form->addRow(tr("Unique-token limit"), unique_tokens_);

  auto* outputs = new QGroupBox(tr("Compute-optimal recommendation"));
  auto* output_form = new QFormLayout(outputs);
  output_form->addRow(tr("Parameters N"), params_);
  output_form->addRow(tr("Tokens D"), tokens_);
  output_form->addRow(tr("Tokens / param"), tokens_per_param_);
  output_form->addRow(tr("Training"), training_flops_);
  output_form->addRow(tr("Loss"), loss_);
  output_form->addRow(tr("Interval"), intervals_);
  output_form->addRow(tr("Shape"), shape_);
  output_form->addRow(tr("Time"), time_);
  output_form->addRow(tr("Cost"), cost_);
  output_form->addRow(tr("Memory"), memory_);
  output_form->addRow(notes_);  // spanning rows: QFormLayout sizes them by their wrapped height
  output_form->addRow(warnings_);
  output_form->addRow(tr("Law"), law_label_);

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(inputs);
  layout->addWidget(error_);
  layout->addWidget(outputs);
  auto* sparsity = new SparsityBox;  // the sparse plan at this budget (gui/sparsity_chart.h)
  layout->addWidget(sparsity);
  layout->addStretch(1);
  connect(this, &PlanPanel::BudgetChanged, sparsity, &SparsityBox::SetBudget);

  connect(slider_, &QSlider::valueChanged, this, &PlanPanel::OnSliderMoved);
  connect(budget_text_, &QLineEdit::editingFinished, this, &PlanPanel::OnBudgetEdited);
  connect(accelerator_, &QComboBox::currentIndexChanged, this, &PlanPanel::OnSettingsChanged);
  connect(days_, &QDoubleSpinBox::valueChanged, this, &PlanPanel::OnSettingsChanged);
  connect(count_, &QSpinBox::valueChanged, this, &PlanPanel::OnSettingsChanged);
  connect(mfu_, &QDoubleSpinBox::valueChanged, this, &PlanPanel::OnSettingsChanged);
  connect(price_, &QDoubleSpinBox::valueChanged, this, &PlanPanel::OnSettingsChanged);
  connect(recomputation_, &QComboBox::currentIndexChanged, this, &PlanPanel::OnSettingsChanged);

  SetBudget(budget_flops_);
}

void PlanPanel::SetLaw(const std::optional<LawSource>& source, const QString& no_law_reason) {
  law_ = source;
  no_law_reason_ = no_law_reason;
  Recompute();
}

void PlanPanel::SetProfile(const std::optional<MeasuredProfile>& profile) {
  profile_ = profile;
  {
    // The measured device is an accelerator entry of its own, named from the profile, while there is one.
    const QSignalBlocker block(accelerator_);
    const int index = accelerator_->findData(QString::fromLatin1(kMeasuredAccelerator));
    const bool was_current = index >= 0 && index == accelerator_->currentIndex();
    if (index >= 0) accelerator_->removeItem(index);
    if (profile_) {
      accelerator_->addItem(ToQString(MeasuredAcceleratorTitle(profile_->profile)),
                            QString::fromLatin1(kMeasuredAccelerator));
      accelerator_->setItemData(accelerator_->count() - 1,
                                tr("The device the profile measured (%1), with its measured peak and bandwidth")
                                    .arg(ToQString(profile_->label)),
                                Qt::ToolTipRole);
      if (was_current) accelerator_->setCurrentIndex(accelerator_->count() - 1);
    }
  }
  OnSettingsChanged();
}

void PlanPanel::SetBudget(double budget_flops) {
  if (!(budget_flops > 0) || !std::isfinite(budget_flops)) return;
  budget_flops_ = budget_flops;
  budget_is_time_ = false;
  budget_text_->setText(ToQString(FormatScientific(budget_flops_, 3)));
  SyncSlider();
  Recompute();
}

bool PlanPanel::SetBudgetText(const QString& text) {
  budget_text_->setText(text);
  const PlanSettings settings = Settings();
  std::string why;
  std::optional<double> budget;
  try {
    const Accelerator device = ResolvePlanAccelerator(settings, BundledHardwareCatalogue());
    budget = ParseBudget(text.toStdString(), device, settings.training, &why);
  } catch (const std::exception& error) {
    why = error.what();
  }
  if (!budget) {
    ShowError(ToQString(why));
    return false;
  }
  budget_flops_ = *budget;
  const QString lower = text.toLower();
  budget_is_time_ = lower.contains(QLatin1String("day")) || lower.contains(QLatin1String("hour")) ||
                    lower.contains(QLatin1String("week"));
  SyncSlider();
  Recompute();
  return true;
}

QString PlanPanel::BudgetText() const { return budget_text_->text(); }

bool PlanPanel::ReadSettings(PlanSettings* settings, std::string* why) const {
  *settings = PlanSettings();
  settings->accelerator = accelerator_->currentData().toString() == QLatin1String(kMeasuredAccelerator)
                              ? std::string(kMeasuredAccelerator)
                              : accelerator_->currentText().toStdString();
  settings->training.num_accelerators = count_->value();
  settings->target_days = days_->value();
  settings->training.mfu = mfu_->value() / 100.0;
  settings->training.price_usd_per_hour = price_->value();
  settings->recompute = static_cast<RecomputeChoice>(recomputation_->currentData().toInt());
  settings->profile = profile_;
  struct Field {
    const QLineEdit* edit;
    const char* name;
    double* value;
  };
  for (const Field& field : {Field{inference_tokens_, "inference tokens", &settings->inference_tokens},
                             Field{unique_tokens_, "unique-token limit", &settings->unique_tokens}}) {
    const std::string text = field.edit->text().trimmed().toStdString();
    if (text.empty()) continue;
    std::string reason;
    const std::optional<double> value = TryParseQuantity(text, &reason);
    if (!value || *value < 0) {
      *why = std::string(field.name) + ": " + (value ? "must not be negative" : reason) + ": '" + text + "'";
      return false;
    }
    *field.value = *value;
  }
  return true;
}

PlanSettings PlanPanel::Settings() const {
  PlanSettings settings;
  std::string why;
  if (ReadSettings(&settings, &why)) return settings;
  settings.inference_tokens = 0;
  settings.unique_tokens = 0;
  return settings;
}

void PlanPanel::SetSettings(const PlanSettings& settings) {
  {
    const QSignalBlocker block_accelerator(accelerator_), block_count(count_), block_days(days_), block_mfu(mfu_),
        block_price(price_), block_recomputation(recomputation_);
    const int index = settings.accelerator == kMeasuredAccelerator
                          ? accelerator_->findData(QString::fromLatin1(kMeasuredAccelerator))
                          : accelerator_->findText(ToQString(settings.accelerator), Qt::MatchFixedString);
    if (index >= 0) accelerator_->setCurrentIndex(index);
    count_->setValue(static_cast<int>(settings.training.num_accelerators));
    days_->setValue(settings.target_days);
    mfu_->setValue(100.0 * settings.training.mfu);
    price_->setValue(settings.training.price_usd_per_hour);
    recomputation_->setCurrentIndex(recomputation_->findData(static_cast<int>(settings.recompute)));
    inference_tokens_->setText(settings.inference_tokens > 0 ? QuantityText(settings.inference_tokens) : QString());
    unique_tokens_->setText(settings.unique_tokens > 0 ? QuantityText(settings.unique_tokens) : QString());
  }
  OnSettingsChanged();
}

nlohmann::ordered_json PlanPanel::PlanJson() const {
  if (!recommendation_ || !law_) return nullptr;
  return RecommendationToJson(*recommendation_, *law_, Settings());
}

std::string PlanPanel::PlanCsv() const {
  if (!recommendation_) return std::string();
  return RecommendationToCsv(*recommendation_);
}

void PlanPanel::OnSliderMoved(int value) {
  budget_flops_ = SliderBudget(value);
  budget_is_time_ = false;
  budget_text_->setText(ToQString(FormatScientific(budget_flops_, 3)));
  Recompute();
}

void PlanPanel::OnBudgetEdited() {
  if (!budget_text_->isModified()) return;
  budget_text_->setModified(false);
  SetBudgetText(budget_text_->text());
}

void PlanPanel::OnSettingsChanged() {
  if (budget_is_time_) {
    SetBudgetText(budget_text_->text());  // the same GPU-days are a different budget on other hardware
    return;
  }
  Recompute();
}

void PlanPanel::SyncSlider() {
  const QSignalBlocker block(slider_);
  slider_->setValue(static_cast<int>(std::lround(100.0 * std::log10(budget_flops_))));
}

void PlanPanel::Recompute() {
  if (!law_) {
    recommendation_.reset();
    ShowError(QString());
    for (QLabel* label : {params_, tokens_, tokens_per_param_, training_flops_, loss_, intervals_, shape_, time_, cost_,
                          memory_, warnings_, notes_, device_}) {
      label->setText(QStringLiteral("–"));
    }
    law_label_->setText(no_law_reason_.isEmpty() ? tr("Waiting for the fit…") : no_law_reason_);
    emit BudgetChanged(budget_flops_);
    emit RecommendationChanged();
    return;
  }
  PlanSettings settings;
  std::string why;
  if (!ReadSettings(&settings, &why)) {
    recommendation_.reset();
    ShowError(ToQString(why));
    emit RecommendationChanged();
    return;
  }
  try {
    recommendation_ = Recommend(*law_, budget_flops_, settings, BundledHardwareCatalogue());
    ShowError(QString());
    ShowRecommendation();
  } catch (const std::exception& error) {
    recommendation_.reset();
    ShowError(QString::fromUtf8(error.what()));
  }
  emit BudgetChanged(budget_flops_);
  emit RecommendationChanged();
}

void PlanPanel::ShowRecommendation() {
  const Recommendation& plan = *recommendation_;
  const Allocation& a = plan.allocation;
  params_->setText(ToQString(FormatQuantity(a.num_params, 3)));
  params_->setToolTip(ExactNumber(a.num_params));
  tokens_->setText(ToQString(FormatQuantity(a.num_tokens, 3)));
  tokens_->setToolTip(ExactNumber(a.num_tokens));
  tokens_per_param_->setText(QString::number(a.tokens_per_param, 'f', 1));
  tokens_per_param_->setToolTip(ExactNumber(a.tokens_per_param));
  // The plan's own training compute, 6 N D: the budget for a compute-optimal plan, more for an inference-aware one
  // (trained longer to be cheaper to serve). A fine-grained MoE's is its cost model's: the active parameters' FLOPs
  // and the router's, not 6 N D of its total N.
  const QString counted = plan.moe ? tr("Krajewski et al.'s cost model: active parameters and router") : tr("6 N D");
  training_flops_->setText(plan.mode == "compute-optimal" || plan.moe || a.compute_flops == plan.budget_flops
                               ? tr("%1 FLOPs (%2)").arg(ToQString(FormatScientific(a.compute_flops, 3)), counted)
                               : tr("%1 FLOPs (6 N D; the budget is %2)")
                                     .arg(ToQString(FormatScientific(a.compute_flops, 3)),
                                          ToQString(FormatScientific(plan.budget_flops, 3))));
  training_flops_->setToolTip(ExactNumber(a.compute_flops));
  loss_->setText(tr("%1 nats/token").arg(a.loss_nats, 0, 'f', 4));
  loss_->setToolTip(ExactNumber(a.loss_nats));
  if (plan.intervals) {
    const AllocationIntervals& i = *plan.intervals;
    intervals_->setText(tr("%1% over %2 bootstrap fits: N %3 – %4, D %5 – %6, loss %7 – %8")
                            .arg(100.0 * law_->confidence, 0, 'g', 3)
                            .arg(i.num_laws)
                            .arg(ToQString(FormatQuantity(i.num_params.lower, 3)), ToQString(FormatQuantity(i.num_params.upper, 3)),
                                 ToQString(FormatQuantity(i.num_tokens.lower, 3)), ToQString(FormatQuantity(i.num_tokens.upper, 3)))
                            .arg(i.loss.lower, 0, 'f', 4)
                            .arg(i.loss.upper, 0, 'f', 4));
  } else {
    intervals_->setText(law_->bootstrap_laws.empty() ? tr("– (ask the Fit panel for bootstrap refits)")
                                                     : tr("– (for compute-optimal plans only)"));
  }
  const TrainingHardware& h = plan.hardware;
  shape_->setText(ToQString(FormatShape(h.memory, a.num_params)));
  shape_->setToolTip(tr("Batch %1 tokens (%2 sequences), learning rate %3, %4 steps, %5 warm-up: %6")
                         .arg(ToQString(FormatQuantity(plan.hyperparams.batch_tokens, 3)))
                         .arg(plan.hyperparams.batch_sequences)
                         .arg(ToQString(FormatSignificant(plan.hyperparams.learning_rate, 3)))
                         .arg(plan.hyperparams.num_steps)
                         .arg(plan.hyperparams.warmup_steps)
                         .arg(ToQString(plan.hyperparams.source)));
  const Accelerator& device = plan.accelerator;
  device_->setText(tr("%1: %2 dense peak, %3, %4 memory (%5)")
                       .arg(ToQString(device.name), ToQString(FormatRate(h.peak_flops_per_second, "FLOP")),
                            ToQString(FormatRate(device.memory_bytes_per_second, "B")), ToQString(FormatBytes(device.memory_bytes)),
                            device.source.rfind("measured profile", 0) == 0 ? ToQString(device.source) : tr("catalogue")));
  if (h.time.num_accelerators > 0 && h.time.days > 0) {
    // "N devices to finish in D days", as `plan --max-days` chooses them, when the count is automatic.
    const PlanSettings settings = Settings();
    const QString target = settings.training.num_accelerators == 0 && settings.target_days > 0
                               ? tr(", the fewest to finish in %1 days").arg(settings.target_days, 0, 'g', 4)
                               : QString();
    time_->setText(
        tr("%1 on %2 × %3%4 (%5 device-hours)")
            .arg(ToQString(FormatDuration(h.time.days)))
            .arg(h.time.num_accelerators)
            .arg(ToQString(h.verdict.accelerator), target, ToQString(FormatQuantity(h.time.device_hours, 3))));
    cost_->setText(
        tr("%1 at $%2 per device-hour").arg(ToQString(FormatUsd(h.time.cost_usd))).arg(h.time.price_usd_per_hour, 0, 'f', 2));
  } else {
    time_->setText(tr("– (no peak for the device)"));
    cost_->setText(QStringLiteral("–"));
  }
  memory_->setText(ToQString(MemoryVerdict(h)));
  SetTone(memory_, h.time.feasible ? Tone::GOOD : Tone::BAD);
  QString notes;
  if (plan.mode == "data-constrained") {
    notes = tr("Data-constrained: %1 epochs over the unique tokens%2")
                .arg(plan.epochs, 0, 'f', 2)
                .arg(plan.data_limited ? tr(" (the limit binds: Chinchilla's plan would need more)") : QString());
  } else if (plan.inference) {
    const InferenceAwarePlan& inference = *plan.inference;
    notes = tr("Inference-aware: instead of Chinchilla's %1 params on %2 tokens for the same loss; saves %3% of "
               "lifetime FLOPs (%4 in all)")
                .arg(ToQString(FormatQuantity(inference.chinchilla.num_params, 3)),
                     ToQString(FormatQuantity(inference.chinchilla.num_tokens, 3)))
                .arg(100.0 * inference.flops_saving_fraction, 0, 'f', 1)
                .arg(ToQString(FormatScientific(inference.cost.total_flops, 3)));
    if (plan.epochs > 0) notes += tr("; %1 epochs over the unique tokens").arg(plan.epochs, 0, 'f', 2);
  } else if (plan.moe) {
    notes = tr("Fine-grained MoE: %1 active of %2 parameters, granularity %3, %4 experts")
                .arg(ToQString(FormatQuantity(plan.moe->num_active_params, 3)),
                     ToQString(FormatQuantity(plan.moe->num_params, 3)))
                .arg(plan.moe->granularity, 0, 'f', 1)
                .arg(plan.moe->shape.expansion_rate * plan.moe->granularity, 0, 'f', 0);
  }
  notes_->setText(notes);
  notes_->setVisible(!notes.isEmpty());
  QString warnings;
  for (const std::string& warning : plan.warnings) warnings += (warnings.isEmpty() ? "" : "\n") + ToQString(warning);
  warnings_->setText(warnings);
  law_label_->setText(ToQString(law_->description));
}

void PlanPanel::ShowError(const QString& text) {
  error_->setText(text);
  error_->setVisible(!text.isEmpty());
}

}  // namespace scaleplan::gui
