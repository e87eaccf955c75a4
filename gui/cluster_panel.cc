#include "gui/cluster_panel.h"

#include <exception>
#include <utility>

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include "core/architectures.h"
#include "core/bundled_data.h"
#include "core/units.h"
#include "gui/charts.h"
#include "gui/widgets.h"

namespace scaleplan::gui {
namespace {

// Runs on a pool thread: everything it uses is passed by value or is an immutable bundled catalogue.
ClusterOutcome RunClusterPlan(const ClusterSettings& settings) {
  ClusterOutcome outcome;
  try {
    outcome.plan = PlanCluster(settings, BundledHardwareCatalogue());
  } catch (const std::exception& error) {
    outcome.error = error.what();
  }
  return outcome;
}

// A quantity field ("15.6T", "16M"): its value, 0 when `optional` and empty, nullopt with *why otherwise.
std::optional<double> ReadQuantity(const QLineEdit* field, const char* what, bool optional, std::string* why) {
  const std::string text = field->text().trimmed().toStdString();
  if (text.empty() && optional) return 0.0;
  std::string reason;
  const std::optional<double> value = TryParseQuantity(text, &reason);
  if (!value) {
    *why = std::string(what) + ": " + (text.empty() ? std::string("required") : reason);
    return std::nullopt;
  }
  if (!(*value > 0.0)) {
    *why = std::string(what) + ": must be positive: '" + text + "'";
    return std::nullopt;
  }
  return value;
}

QChartView* BreakdownView(const char* name) {
  auto* view = new QChartView;
  view->setObjectName(name);
  view->setRenderHint(QPainter::Antialiasing);
  view->setMinimumHeight(260);  // its own empty chart until the first plan
  return view;
}

void ReplaceChart(QChartView* view, QChart* chart) {
  QChart* old_chart = view->chart();
  view->setChart(chart);  // the view owns the new chart and releases the old one
  delete old_chart;
}

}  // namespace

ClusterPanel::ClusterPanel(QWidget* parent) : QWidget(parent) {
  const ClusterSettings defaults;
  architecture_ = new QComboBox;
  architecture_->setObjectName("cluster_architecture");
  for (const ArchitectureEntry& entry : BundledArchitectures()) {
    architecture_->addItem(ToQString(entry.name), ToQString(entry.name));
    architecture_->setItemData(architecture_->count() - 1, ToQString(entry.source), Qt::ToolTipRole);
  }
  architecture_->addItem(tr("proposed for the plan's N"), QString::fromLatin1(kProposedArchitecture));
  architecture_->setItemData(architecture_->count() - 1,
                             tr("The practical shape `scaleplan plan` proposes for the Plan panel's N (heads a "
                                "multiple of 8 with 8 KV heads, d_model / layers nearest 128), trained on its D"),
                             Qt::ToolTipRole);
  architecture_->setCurrentIndex(architecture_->findData(ToQString(defaults.architecture)));

  model_ = ValueLabel("cluster_model", Tone::SECONDARY);

  tokens_ = new QLineEdit(QuantityText(defaults.num_tokens));
  tokens_->setObjectName("cluster_tokens");
  tokens_->setToolTip(tr("Training tokens (15.6T, 2e12); with the proposed architecture, the Plan panel's D"));

  accelerator_ = AcceleratorComboBox("cluster_accelerator");
  accelerator_->setCurrentText(ToQString(defaults.accelerator));

  devices_ = DeviceCountSpinBox("cluster_devices",
                                tr("Devices; auto (0) = the fewest whole nodes that finish within the target days, or a larger "
                                   "count within a doubling that costs at least 5% fewer device-hours"));
  devices_->setValue(static_cast<int>(defaults.num_devices));

  days_ = new QDoubleSpinBox;
  days_->setObjectName("cluster_days");
  days_->setRange(0.1, 3650.0);
  days_->setDecimals(1);
  days_->setSuffix(tr(" days"));
  days_->setValue(defaults.max_days);
  days_->setToolTip(tr("The wall-clock days a plan must meet; with auto devices, the count search aims at them"));

  precision_ = new QComboBox;
  precision_->setObjectName("cluster_precision");
  for (NumericType type : {NumericType::BF16, NumericType::FP8}) {
    precision_->addItem(QString::fromLatin1(ClusterPrecisionName(type)), static_cast<int>(type));
  }
  precision_->setToolTip(tr("Precision of the matrix products (fp8 keeps bf16 weights and gradients)"));

  batch_ = new QLineEdit;
  batch_->setObjectName("cluster_batch");
  batch_->setPlaceholderText(tr("default law (e.g. 16M)"));
  batch_->setToolTip(tr("Global batch in tokens, rounded to whole sequences and replicas; empty = DeepSeek LLM's "
                        "batch law for the run's compute"));

  error_ = ErrorLabel("cluster_error");
  summary_ = ValueLabel("cluster_summary");
  reasons_ = ValueLabel("cluster_reasons", Tone::BAD);
  reasons_->hide();
  status_ = ValueLabel("cluster_status", Tone::SECONDARY);
  status_->hide();
  QFont bold = summary_->font();
  bold.setBold(true);
  summary_->setFont(bold);

  layouts_ = new QTableWidget(0, NUM_COLUMNS);
  layouts_->setObjectName("cluster_layouts");
  layouts_->setHorizontalHeaderLabels({tr("TP"), tr("PP"), tr("v"), tr("DP"), tr("CP"), tr("EP"), tr("mb × acc"),
                                       tr("ZeRO"), tr("recompute"), tr("MFU"), tr("step s"), tr("days"),
                                       tr("GPU-h"), tr("cost")});
  layouts_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  layouts_->setSelectionBehavior(QAbstractItemView::SelectRows);
  layouts_->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  layouts_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  layouts_->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  layouts_->setMinimumWidth(120);
  layouts_->setToolTip(tr("The fastest layouts that fit, fastest first (PlanFrontier's top 5)"));

  step_chart_ = BreakdownView("cluster_step_chart");
  memory_chart_ = BreakdownView("cluster_memory_chart");

  auto* inputs = new QGroupBox(tr("Model and cluster"));
  auto* form = new QFormLayout(inputs);
  form->addRow(tr("Architecture"), architecture_);
  form->addRow(model_);
  form->addRow(tr("Tokens"), tokens_);
  form->addRow(tr("Accelerator"), accelerator_);
  form->addRow(tr("Devices"), devices_);
  form->addRow(tr("Target"), days_);
  form->addRow(tr("Precision"), precision_);
  form->addRow(tr("Global batch"), batch_);

  auto* outputs = new QGroupBox(tr("Best layouts"));
  auto* output_layout = new QVBoxLayout(outputs);
  output_layout->addWidget(summary_);
  output_layout->addWidget(reasons_);
  output_layout->addWidget(status_);
  output_layout->addWidget(layouts_);
  output_layout->addWidget(step_chart_);
  output_layout->addWidget(memory_chart_);

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(inputs);
  layout->addWidget(error_);
  layout->addWidget(outputs, 1);

  connect(architecture_, &QComboBox::currentIndexChanged, this, &ClusterPanel::OnArchitectureChanged);
  connect(tokens_, &QLineEdit::editingFinished, this, &ClusterPanel::OnInputsChanged);
  connect(accelerator_, &QComboBox::currentIndexChanged, this, &ClusterPanel::OnInputsChanged);
  connect(devices_, &QSpinBox::valueChanged, this, &ClusterPanel::OnInputsChanged);
  connect(days_, &QDoubleSpinBox::valueChanged, this, &ClusterPanel::OnInputsChanged);
  connect(precision_, &QComboBox::currentIndexChanged, this, &ClusterPanel::OnInputsChanged);
  connect(batch_, &QLineEdit::editingFinished, this, &ClusterPanel::OnInputsChanged);
  connect(&watcher_, &QFutureWatcher<ClusterOutcome>::finished, this, &ClusterPanel::OnPlanDone);

  OnArchitectureChanged();
}

ClusterPanel::~ClusterPanel() { watcher_.waitForFinished(); }

bool ClusterPanel::ReadSettings(ClusterSettings* settings, std::string* why) const {
  settings->architecture = architecture_->currentData().toString().toStdString();
  settings->accelerator = accelerator_->currentText().toStdString();
  settings->num_devices = devices_->value();
  settings->max_days = days_->value();
  settings->precision = static_cast<NumericType>(precision_->currentData().toInt());
  settings->num_params = 0.0;
  bool ok = true;
  if (settings->architecture == kProposedArchitecture) {
    settings->num_params = plan_num_params_;
    settings->num_tokens = plan_num_tokens_;
    if (!(plan_num_params_ > 0.0 && plan_num_tokens_ > 0.0)) {
      *why = "architecture: the Plan panel has no recommendation yet to propose a shape for";
      ok = false;
    }
  } else if (const std::optional<double> tokens = ReadQuantity(tokens_, "tokens", false, why)) {
    settings->num_tokens = *tokens;
  } else {
    ok = false;
  }
  std::string batch_why;
  if (const std::optional<double> batch = ReadQuantity(batch_, "global batch", true, &batch_why)) {
    settings->global_batch_tokens = *batch;
  } else if (ok) {
    *why = batch_why;
    ok = false;
  }
  return ok;
}

ClusterSettings ClusterPanel::Settings() const {
  ClusterSettings settings;
  std::string why;
  ReadSettings(&settings, &why);
  return settings;
}

void ClusterPanel::SetSettings(const ClusterSettings& settings) {
  {
    const QSignalBlocker blocks[] = {QSignalBlocker(architecture_), QSignalBlocker(tokens_),
                                     QSignalBlocker(accelerator_),  QSignalBlocker(devices_),
                                     QSignalBlocker(days_),         QSignalBlocker(precision_),
                                     QSignalBlocker(batch_)};
    const int architecture = architecture_->findData(ToQString(settings.architecture));
    if (architecture >= 0) architecture_->setCurrentIndex(architecture);
    if (settings.architecture != kProposedArchitecture) {
      tokens_->setText(QuantityText(settings.num_tokens));
    }
    const int accelerator = accelerator_->findText(ToQString(settings.accelerator), Qt::MatchFixedString);
    if (accelerator >= 0) accelerator_->setCurrentIndex(accelerator);
    devices_->setValue(static_cast<int>(settings.num_devices));
    days_->setValue(settings.max_days);
    const int precision = precision_->findData(static_cast<int>(settings.precision));
    if (precision >= 0) precision_->setCurrentIndex(precision);
    batch_->setText(settings.global_batch_tokens > 0.0 ? QuantityText(settings.global_batch_tokens) : QString());
  }
  OnArchitectureChanged();
}

void ClusterPanel::SetPlanModel(double num_params, double num_tokens) {
  if (num_params == plan_num_params_ && num_tokens == plan_num_tokens_) return;
  plan_num_params_ = num_params;
  plan_num_tokens_ = num_tokens;
  if (architecture_->currentData().toString().toStdString() == kProposedArchitecture) OnArchitectureChanged();
}

bool ClusterPanel::IsPlanning() const { return watcher_.isRunning() || running_; }

QString ClusterPanel::ErrorText() const { return error_->isHidden() ? QString() : error_->text(); }

void ClusterPanel::OnArchitectureChanged() {
  const bool proposed = architecture_->currentData().toString().toStdString() == kProposedArchitecture;
  tokens_->setEnabled(!proposed);
  if (proposed) {
    tokens_->setText(plan_num_tokens_ > 0.0 ? ToQString(FormatQuantity(plan_num_tokens_, 4)) : QString());
  }
  OnInputsChanged();
}

void ClusterPanel::OnInputsChanged() {
  if (running_) {  // planned when the running plan ends; its result is stale
    stale_ = true;
    return;
  }
  ClusterSettings settings;
  std::string why;
  if (!ReadSettings(&settings, &why)) {
    plan_.reset();
    ShowError(ToQString(why));
    emit PlanShown();
    return;
  }
  StartPlan(settings);
}

void ClusterPanel::StartPlan(const ClusterSettings& settings) {
  running_ = true;
  stale_ = false;
  status_->setText(tr("planning…"));
  status_->show();
  watcher_.setFuture(QtConcurrent::run(&RunClusterPlan, settings));
}

void ClusterPanel::OnPlanDone() {
  running_ = false;
  ClusterOutcome outcome = watcher_.result();
  if (stale_) {  // the inputs changed meanwhile: plan them instead
    stale_ = false;
    OnInputsChanged();
    return;
  }
  status_->hide();
  if (!outcome.plan) {
    plan_.reset();
    ShowError(ToQString(outcome.error));
  } else {
    plan_ = std::move(outcome.plan);
    ShowPlan();
  }
  emit PlanShown();
}

void ClusterPanel::ShowError(const QString& text) {
  status_->hide();
  error_->setText(text);
  error_->show();
  model_->setText(QStringLiteral("–"));
  summary_->setText(QStringLiteral("–"));
  reasons_->hide();
  layouts_->setRowCount(0);
  ReplaceChart(step_chart_, new QChart);
  ReplaceChart(memory_chart_, new QChart);
}

void ClusterPanel::ShowPlan() {
  const ClusterPlan& cluster = *plan_;
  const FrontierPlan& plan = cluster.plan;
  error_->hide();
  model_->setText(ToQString(cluster.model + ", " + FormatQuantity(static_cast<double>(plan.counts.total)) +
                            " parameters (" + FormatQuantity(static_cast<double>(plan.counts.active)) +
                            " active), " + FormatQuantity(cluster.request.num_tokens) + " tokens"));
  summary_->setText(ToQString(ClusterSummary(cluster)));
  SetTone(summary_, plan.feasible ? Tone::PLAIN : Tone::BAD);

  QStringList reasons;
  for (const std::string& reason : plan.reasons) reasons << ToQString(reason);
  if (!plan.feasible && plan.search.least_memory) {
    const LayoutEstimate& closest = *plan.search.least_memory;
    reasons << tr("closest: %1 needs %2 of %3 usable per device")
                   .arg(ToQString(DescribeLayout(closest.layout)), ToQString(FormatBytes(closest.memory.Total())),
                        ToQString(FormatBytes(closest.usable_memory_bytes)));
  }
  reasons_->setText(reasons.join(QLatin1Char('\n')));
  SetTone(reasons_, plan.feasible ? Tone::WARNING : Tone::BAD);
  reasons_->setVisible(!reasons.isEmpty());

  const std::vector<LayoutEstimate>& best = plan.search.best;
  layouts_->setRowCount(static_cast<int>(best.size()));
  for (int row = 0; row < static_cast<int>(best.size()); ++row) {
    const LayoutEstimate& estimate = best[row];
    const ParallelLayout& l = estimate.layout;
    const double cost = estimate.device_hours * plan.price_usd_per_hour;
    const std::pair<QString, double> cells[NUM_COLUMNS] = {
        {QString::number(l.tp), static_cast<double>(l.tp)},
        {QString::number(l.pp), static_cast<double>(l.pp)},
        {QString::number(l.virtual_stages), static_cast<double>(l.virtual_stages)},
        {QString::number(l.dp), static_cast<double>(l.dp)},
        {QString::number(l.cp), static_cast<double>(l.cp)},
        {QString::number(l.ep), static_cast<double>(l.ep)},
        {QStringLiteral("%1 × %2").arg(l.micro_batch).arg(l.grad_accumulation),
         static_cast<double>(l.micro_batch * l.grad_accumulation)},
        {QString::number(l.zero_stage), static_cast<double>(l.zero_stage)},
        {QString::fromLatin1(RecomputationName(l.recomputation)), static_cast<double>(l.recomputation)},
        {QString::number(100.0 * estimate.mfu, 'f', 1) + QStringLiteral(" %"), estimate.mfu},
        {ToQString(FormatSignificant(estimate.step_seconds, 3)), estimate.step_seconds},
        {ToQString(FormatSignificant(estimate.days, 3)), estimate.days},
        {ToQString(FormatQuantity(estimate.device_hours)), estimate.device_hours},
        {ToQString(FormatUsd(cost)), cost},
    };
    for (int column = 0; column < NUM_COLUMNS; ++column) {
      auto* item = new QTableWidgetItem(cells[column].first);
      item->setData(Qt::UserRole, cells[column].second);
      item->setTextAlignment(column == RECOMPUTATION ? Qt::AlignLeft | Qt::AlignVCenter
                                                     : Qt::AlignRight | Qt::AlignVCenter);
      layouts_->setItem(row, column, item);
    }
    layouts_->item(row, 0)->setToolTip(ToQString(DescribeLayout(l)));
  }
  // As tall as its rows: the dock scrolls, not the table.
  int height = layouts_->horizontalHeader()->sizeHint().height() + 2 * layouts_->frameWidth();
  for (int row = 0; row < layouts_->rowCount(); ++row) height += layouts_->verticalHeader()->sectionSize(row);
  height += layouts_->horizontalScrollBar()->sizeHint().height();  // room for it when the dock is narrow
  layouts_->setFixedHeight(height);

  ReplaceChart(step_chart_, BuildStepTimeChart(plan));
  ReplaceChart(memory_chart_, BuildMemoryChart(plan));
}

}  // namespace scaleplan::gui
