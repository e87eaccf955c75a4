#include "gui/dictionary_panel.h"

#include <algorithm>
#include <cmath>
#include <exception>

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>

#include "core/bundled_data.h"
#include "core/units.h"
#include "gui/widgets.h"

namespace scaleplan::gui {
namespace {

struct GoalChoice {
  DictionaryGoal goal;
  const char* title;
  const char* example;  // placeholder text
};
constexpr GoalChoice kGoalChoices[] = {
    {DictionaryGoal::COMPUTE, "FLOP budget", "e.g. 1e20"},
    {DictionaryGoal::DEVICE_HOURS, "GPU-hour budget", "e.g. 1000"},
    {DictionaryGoal::TARGET_LOSS, "Target loss (normalised MSE)", "e.g. 0.15"},
    {DictionaryGoal::LATENTS, "Fixed number of latents", "e.g. 1M"},
};

// A quantity from a field ("1M", "1e20"); nullopt with the reason (naming the field) when it does not parse or is
// not positive. Empty fields give `empty`.
std::optional<double> ReadQuantity(const QLineEdit* field, const char* name, double empty, std::string* why) {
  const std::string text = field->text().trimmed().toStdString();
  if (text.empty()) return empty;
  std::string reason;
  const std::optional<double> value = TryParseQuantity(text, &reason);
  if (!value || !(*value > 0)) {
    *why = std::string(name) + ": " + (value ? "must be positive" : reason) + ": '" + text + "'";
    return std::nullopt;
  }
  return value;
}

// A number as a field shows it: exact (it reads back as the same double), empty for 0.
QString ShownNumber(double value) { return value > 0 ? QString::number(value, 'g', 17) : QString(); }
// A count or budget as people write it ("70B", "1e+20"), reading back as the same number; empty for 0.
QString ShownQuantity(double value) { return value > 0 ? QuantityText(value) : QString(); }

}  // namespace

DictionaryPanel::DictionaryPanel(QWidget* parent) : QWidget(parent), settings_(DefaultDictionarySettings()) {
  d_model_ = new QLineEdit;
  d_model_->setObjectName("dict_d_model");
  d_model_->setToolTip(tr("Width of the activations the dictionary learns: the subject model's d_model"));

  goal_ = new QComboBox;
  goal_->setObjectName("dict_goal");
  for (const GoalChoice& choice : kGoalChoices) {
    goal_->addItem(tr(choice.title), QString(DictionaryGoalName(choice.goal)));
  }
  value_ = new QLineEdit;
  value_->setObjectName("dict_value");
  value_->setToolTip(tr("The goal's number: FLOPs, device-hours, a normalised MSE or a number of latents"));

  k_ = new QLineEdit;
  k_->setObjectName("dict_k");
  k_->setPlaceholderText(tr("choose in the range"));
  k_->setToolTip(tr("Active latents per token; empty = the k in the range with the lowest loss"));
  k_range_ = new QLineEdit;
  k_range_->setObjectName("dict_k_range");
  k_range_->setToolTip(tr("The range k is chosen in, LO:HI (the usual 32-128)"));

  subject_ = new QLineEdit;
  subject_->setObjectName("dict_subject");
  subject_->setPlaceholderText(tr("unknown (e.g. 70B)"));
  subject_->setToolTip(tr("The subject model's parameters: costs the forward passes that produce the activations"));
  include_harvest_ = new QCheckBox(tr("Budget pays for harvesting"));
  include_harvest_->setObjectName("dict_include_harvest");
  include_harvest_->setToolTip(tr("The budget pays for producing the activations (the subject model's forward "
                                  "passes) as well as for training the dictionary, as `--budget total`; off: "
                                  "training only. Needs the subject size."));

  accelerator_ = AcceleratorComboBox("dict_accelerator");
  count_ = DeviceCountSpinBox("dict_count", tr("Devices; auto (0) = the fewest whose memory holds the dictionary "
                                                "and its optimiser state"));
  kernels_ = new QComboBox;
  kernels_->setObjectName("dict_kernels");
  for (DictionaryKernels kind : {DictionaryKernels::SPARSE, DictionaryKernels::DENSE}) {
    kernels_->addItem(kind == DictionaryKernels::SPARSE ? tr("sparse kernels") : tr("dense kernels"),
                      QString(DictionaryKernelsName(kind)));
  }
  kernels_->setToolTip(tr("Whose costs are shown first, the other kind's are compared below. Sparse: the decoder "
                          "gathers the k active rows and the backward pass scatter-adds into them; dense: the "
                          "decoder and its gradients are full GEMMs"));
  for (QComboBox* box : {goal_, kernels_}) {
    box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    box->setMinimumContentsLength(12);
  }

  error_ = ErrorLabel("dict_error");

  status_ = ValueLabel("dict_status");
  latents_ = ValueLabel("dict_latents");
  k_value_ = ValueLabel("dict_k_value");
  tokens_ = ValueLabel("dict_tokens");
  loss_ = ValueLabel("dict_loss");
  flops_ = ValueLabel("dict_flops");
  memory_ = ValueLabel("dict_memory");
  devices_ = ValueLabel("dict_devices");
  days_ = ValueLabel("dict_days");
  cost_ = ValueLabel("dict_cost");
  comparison_ = ValueLabel("dict_comparison");
  device_ = ValueLabel("dict_device");
  law_ = ValueLabel("dict_law");
  notes_ = ValueLabel("dict_notes");
  warnings_ = ValueLabel("dict_warnings", Tone::WARNING);
  for (QLabel* label : {device_, law_, notes_}) SetTone(label, Tone::SECONDARY);
  EmphasiseLabels({latents_, k_value_, tokens_});

  auto* inputs = new QGroupBox(tr("Dictionary, budget and hardware"));
  auto* input_form = new QFormLayout(inputs);
  input_form->addRow(tr("Activation width d"), d_model_);
  input_form->addRow(tr("Goal"), goal_);
  input_form->addRow(tr("Value"), value_);
  input_form->addRow(tr("k"), k_);
  input_form->addRow(tr("k range"), k_range_);
  input_form->addRow(tr("Subject model"), subject_);
  input_form->addRow(QString(), include_harvest_);
  input_form->addRow(tr("Accelerator"), accelerator_);
  input_form->addRow(tr("Devices"), count_);
  input_form->addRow(tr("Kernels"), kernels_);

  auto* outputs = new QGroupBox(tr("Sparse-dictionary plan"));
  auto* output_form = new QFormLayout(outputs);
  output_form->addRow(tr("Status"), status_);
  output_form->addRow(tr("Latents n"), latents_);
  output_form->addRow(tr("Active k"), k_value_);
  output_form->addRow(tr("Tokens T"), tokens_);
  output_form->addRow(tr("Loss"), loss_);
  output_form->addRow(tr("FLOPs"), flops_);
  output_form->addRow(tr("Memory"), memory_);
  output_form->addRow(tr("Devices"), devices_);
  output_form->addRow(tr("Time"), days_);
  output_form->addRow(tr("Cost"), cost_);
  output_form->addRow(tr("Other kernels"), comparison_);
  output_form->addRow(tr("Device"), device_);
  output_form->addRow(tr("Law"), law_);
  output_form->addRow(notes_);  // spanning rows: QFormLayout sizes them by their wrapped height
  output_form->addRow(warnings_);

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(inputs);
  layout->addWidget(error_);
  layout->addWidget(outputs);
  layout->addStretch(1);

  SetSettings(settings_);

  for (QLineEdit* field : {d_model_, value_, k_, k_range_, subject_}) {
    connect(field, &QLineEdit::editingFinished, this, &DictionaryPanel::Recompute);
  }
  connect(goal_, &QComboBox::currentIndexChanged, this, &DictionaryPanel::OnGoalChanged);
  connect(include_harvest_, &QCheckBox::toggled, this, &DictionaryPanel::Recompute);
  connect(accelerator_, &QComboBox::currentIndexChanged, this, &DictionaryPanel::Recompute);
  connect(count_, &QSpinBox::valueChanged, this, &DictionaryPanel::Recompute);
  connect(kernels_, &QComboBox::currentIndexChanged, this, &DictionaryPanel::Recompute);
}

bool DictionaryPanel::ReadSettings(DictionarySettings* settings, std::string* why) const {
  DictionarySettings bound = DefaultDictionarySettings();
  DictionaryRequest& request = bound.request;
  const std::optional<double> d_model = ReadQuantity(d_model_, "activation width", 0.0, why);
  if (!d_model) return false;
  if (!(*d_model > 0)) {
    *why = "activation width: give the subject model's d_model (e.g. 4096)";
    return false;
  }
  request.d_model = *d_model;
  const std::optional<DictionaryGoal> goal = TryParseDictionaryGoal(goal_->currentData().toString().toStdString());
  const std::optional<double> value = ReadQuantity(value_, "value", 0.0, why);
  if (!value) return false;
  if (!(*value > 0)) {
    *why = "value: give the goal's number (" + std::string(kGoalChoices[goal_->currentIndex()].example) + ")";
    return false;
  }
  SetDictionaryGoal(*goal, *value, &request);
  const std::optional<double> k = ReadQuantity(k_, "k", 0.0, why);
  if (!k) return false;
  request.k = *k;
  const QString range = k_range_->text().trimmed();
  if (!range.isEmpty()) {
    const qsizetype colon = range.indexOf(':');
    std::string reason;
    const std::optional<double> lo =
        colon < 0 ? std::nullopt : TryParseQuantity(range.left(colon).toStdString(), &reason);
    const std::optional<double> hi =
        colon < 0 ? std::nullopt : TryParseQuantity(range.mid(colon + 1).toStdString(), &reason);
    if (!lo || !hi) {
      *why = "k range: must be LO:HI, e.g. 32:128, not '" + range.toStdString() + "'";
      return false;
    }
    request.k_min = *lo;
    request.k_max = *hi;
  }
  const std::optional<double> subject = ReadQuantity(subject_, "subject model", 0.0, why);
  if (!subject) return false;
  request.subject.num_params = *subject;
  request.budget_includes_harvest = include_harvest_->isChecked();
  request.options.num_devices = count_->value();
  bound.accelerator = accelerator_->currentText().toStdString();
  bound.shown = *TryParseDictionaryKernels(kernels_->currentData().toString().toStdString());
  bound.profile = profile_;
  *settings = std::move(bound);
  return true;
}

void DictionaryPanel::SetSettings(const DictionarySettings& settings) {
  {
    const DictionaryRequest& request = settings.request;
    const QSignalBlocker block_goal(goal_), block_harvest(include_harvest_), block_accelerator(accelerator_),
        block_count(count_), block_kernels(kernels_);
    d_model_->setText(ShownNumber(request.d_model));
    goal_->setCurrentIndex(goal_->findData(QString(DictionaryGoalName(request.goal))));
    value_->setText(ShownQuantity(DictionaryGoalValue(request)));
    k_->setText(ShownNumber(request.k));
    k_range_->setText(QStringLiteral("%1:%2").arg(request.k_min, 0, 'g', 17).arg(request.k_max, 0, 'g', 17));
    subject_->setText(ShownQuantity(request.subject.num_params));
    include_harvest_->setChecked(request.budget_includes_harvest);
    const int index = accelerator_->findText(ToQString(settings.accelerator), Qt::MatchFixedString);
    if (index >= 0) accelerator_->setCurrentIndex(index);
    count_->setValue(static_cast<int>(request.options.num_devices));
    kernels_->setCurrentIndex(kernels_->findData(QString(DictionaryKernelsName(settings.shown))));
  }
  goal_index_ = goal_->currentIndex();
  goal_values_ = {};
  SyncGoalPlaceholder();
  Recompute();
}

void DictionaryPanel::SetProfile(const std::optional<MeasuredProfile>& profile) {
  profile_ = profile;
  Recompute();
}

void DictionaryPanel::OnGoalChanged(int index) {
  // A FLOP budget read as a target MSE means nothing: the value field takes the new goal's number, the one last
  // used with that goal in this window, or its default.
  if (goal_index_ >= 0 && goal_index_ < static_cast<int>(std::size(goal_values_))) {
    goal_values_[static_cast<size_t>(goal_index_)] = value_->text();
  }
  goal_index_ = index;
  if (index >= 0 && index < static_cast<int>(std::size(goal_values_))) {
    const QString& last = goal_values_[static_cast<size_t>(index)];
    value_->setText(!last.isEmpty() ? last : ShownQuantity(DefaultDictionaryGoalValue(kGoalChoices[index].goal)));
  }
  SyncGoalPlaceholder();
  Recompute();
}

void DictionaryPanel::SyncGoalPlaceholder() {
  const int index = std::max(0, goal_->currentIndex());
  value_->setPlaceholderText(tr(kGoalChoices[index].example));
}

void DictionaryPanel::Recompute() {
  DictionarySettings settings;
  std::string why;
  if (!ReadSettings(&settings, &why)) {
    recommendation_.reset();
    ShowError(ToQString(why));
    emit RecommendationChanged();
    return;
  }
  settings_ = settings;
  try {
    recommendation_ = RecommendDictionary(settings_, BundledHardwareCatalogue());
    ShowError(QString());
    ShowRecommendation();
  } catch (const std::exception& error) {
    recommendation_.reset();
    ShowError(QString::fromUtf8(error.what()));
  }
  emit RecommendationChanged();
}

void DictionaryPanel::ShowRecommendation() {
  const DictionaryRecommendation& shown = *recommendation_;
  const DictionaryPlan& plan = shown.plan;
  device_->setText(ToQString(shown.device));
  law_->setText(ToQString(plan.law_label));
  QString notes;
  for (const std::string& note : plan.notes) notes += (notes.isEmpty() ? "" : "\n") + ToQString(note);
  notes_->setText(notes);
  notes_->setVisible(!notes.isEmpty());
  if (!plan.reachable) {
    status_->setText(ToQString(plan.status));
    SetTone(status_, Tone::BAD);
    for (QLabel* label : {latents_, k_value_, tokens_, loss_, flops_, memory_, devices_, days_, cost_, comparison_}) {
      label->setText(QStringLiteral("–"));
    }
    QString warnings;
    for (const std::string& warning : plan.warnings) warnings += (warnings.isEmpty() ? "" : "\n") + ToQString(warning);
    warnings_->setText(warnings);
    return;
  }
  const DictionaryKernels kind = settings_.shown;
  const DictionaryKernels other_kind =
      kind == DictionaryKernels::SPARSE ? DictionaryKernels::DENSE : DictionaryKernels::SPARSE;
  const DictionaryCosts& c = shown.Shown(kind);
  const DictionaryCosts& other = shown.Shown(other_kind);
  const bool subject_known = shown.request.subject.Known();

  const QString kind_name = QString::fromUtf8(DictionaryKernelsName(kind));
  status_->setText(c.feasible ? tr("%1 kernels; k: %2").arg(kind_name, ToQString(plan.k_choice))
                              : tr("infeasible with %1 kernels").arg(kind_name));
  SetTone(status_, c.feasible ? Tone::PLAIN : Tone::BAD);
  latents_->setText(ToQString(FormatQuantity(c.num_latents, 3)));
  latents_->setToolTip(ExactNumber(c.num_latents));
  k_value_->setText(tr("%1 (k_aux %2)").arg(c.k, 0, 'g', 6).arg(c.aux_latents, 0, 'g', 6));
  k_value_->setToolTip(ToQString(plan.k_choice));
  const QString convergence =
      plan.prior ? (plan.converged ? tr(" (to convergence)") : tr(" (short of convergence)")) : QString();
  tokens_->setText(ToQString(FormatQuantity(c.num_tokens, 3)) + convergence);
  tokens_->setToolTip(ExactNumber(c.num_tokens));
  QString loss = QString::number(c.loss, 'f', 4);
  if (plan.loss_interval) {
    loss += tr(" [%1, %2]").arg(plan.loss_interval->first, 0, 'f', 4).arg(plan.loss_interval->second, 0, 'f', 4);
  }
  loss_->setText(tr("%1 normalised MSE").arg(loss));
  loss_->setToolTip(ExactNumber(c.loss));
  QString flops = tr("%1 training").arg(ToQString(FormatScientific(c.compute_flops, 3)));
  if (subject_known) flops += tr(" + %1 harvesting").arg(ToQString(FormatScientific(c.harvest_flops, 3)));
  flops_->setText(flops);
  flops_->setToolTip(ExactNumber(c.compute_flops));
  memory_->setText(tr("%1 in all, %2 per device (%3 parameters)")
                       .arg(ToQString(FormatBytes(c.memory_bytes)), ToQString(FormatBytes(c.memory_bytes_per_device)),
                            ToQString(FormatQuantity(c.memory.num_params, 3))));
  memory_->setToolTip(ExactNumber(c.memory_bytes));
  QString devices = tr("%1 × %2").arg(c.devices).arg(ToQString(shown.request.accelerator.name));
  if (subject_known) devices += tr("; harvest on %1").arg(c.harvest_devices);
  devices_->setText(devices);
  QString days = ToQString(FormatDuration(c.days));
  if (subject_known) {
    days += tr(" (%1 training + %2 harvesting)")
                .arg(ToQString(FormatDuration(c.training_days)), ToQString(FormatDuration(c.harvest_days)));
  }
  days_->setText(days);
  days_->setToolTip(ExactNumber(c.days));
  cost_->setText(tr("%1 (%2 device-hours at $%3)")
                     .arg(ToQString(FormatUsd(c.cost_usd)), ToQString(FormatQuantity(c.device_hours, 3)))
                     .arg(c.price_usd_per_hour, 0, 'f', 2));
  cost_->setToolTip(ExactNumber(c.cost_usd));
  comparison_->setText(tr("%1: %2x the training FLOPs, %3 on %4 devices, %5")
                           .arg(QString::fromUtf8(DictionaryKernelsName(other_kind)))
                           .arg(other.compute_flops / c.compute_flops, 0, 'g', 3)
                           .arg(ToQString(FormatDuration(other.days)))
                           .arg(other.devices)
                           .arg(ToQString(FormatUsd(other.cost_usd))));
  QString warnings;
  for (const std::string& reason : c.reasons) {
    warnings += (warnings.isEmpty() ? "" : "\n") + tr("infeasible: ") + ToQString(reason);
  }
  for (const std::string& warning : plan.warnings) warnings += (warnings.isEmpty() ? "" : "\n") + ToQString(warning);
  warnings_->setText(warnings);
}

void DictionaryPanel::ShowError(const QString& text) {
  error_->setText(text);
  error_->setVisible(!text.isEmpty());
}

}  // namespace scaleplan::gui
