#include "gui/fit_panel.h"

#include <algorithm>
#include <exception>

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPromise>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include "core/error.h"
#include "core/units.h"
#include "gui/runs_model.h"
#include "gui/widgets.h"

namespace scaleplan::gui {
namespace {

// The fit itself, on a pool thread. Nothing escapes: errors come back in the outcome.
void RunFit(QPromise<FitOutcome>& promise, const RunsTable& runs, const MultiStartOptions& options,
            const InitGrid& grid, const std::optional<BootstrapOptions>& bootstrap) {
  FitOutcome outcome;
  outcome.runs = runs;
  // Progress over the fit's starts, then over the bootstrap's resamples (each phase sets its own range once).
  int phase_total = -1;
  auto report = [&promise, &phase_total](int done, int total) {
    if (promise.isCanceled()) return;  // cancelled: stop reporting
    if (total != phase_total) {
      promise.setProgressRange(0, total);
      phase_total = total;
    }
    promise.setProgressValue(done);
  };
  try {
    outcome.fit = FitChinchilla(runs, options, grid, report);
    if (bootstrap && outcome.fit->search.usable && !promise.isCanceled()) {
      phase_total = -1;
      outcome.bootstrap = BootstrapChinchilla(runs, *outcome.fit, *bootstrap, report);
    }
  } catch (const InputError& error) {
    outcome.error = error.what();
  } catch (const std::exception& error) {
    outcome.error = std::string("internal error: ") + error.what();
  }
  promise.addResult(std::move(outcome));
}

}  // namespace

FitPanel::FitPanel(RunsModel* model, QWidget* parent) : QWidget(parent), model_(model) {
  const MultiStartOptions defaults;
  law_ = new QComboBox;
  law_->setObjectName("fit_law");
  law_->addItem(QStringLiteral("Chinchilla (Approach 3)"), QStringLiteral("chinchilla"));
  law_->setToolTip(tr("L(N, D) = E + A / N^α + B / D^β: Hoffmann et al. 2022, Approach 3, fitted as "
                      "Besiroglu et al. 2024 reproduce it"));

  delta_ = new QLineEdit(QString::number(defaults.huber_delta, 'g', 6));
  delta_->setObjectName("fit_delta");
  delta_->setToolTip(tr("Huber threshold on the log-residual (Hoffmann et al. use 1e-3)"));

  grid_ = new QLineEdit;
  grid_->setObjectName("fit_grid");
  grid_->setPlaceholderText(QString::fromStdString(FormatGrid(ChinchillaModel::HoffmannGrid())));
  grid_->setToolTip(tr("Override start-grid axes, e.g. alpha=0:2:0.25,e=-1:1:0.5 (LO:HI:STEP or one value); "
                       "empty = Hoffmann et al.'s 4,500-point grid"));

  starts_ = new QSpinBox;
  starts_->setObjectName("fit_starts");
  starts_->setRange(1, 1000000);
  starts_->setValue(defaults.num_starts);
  starts_->setToolTip(tr("L-BFGS runs from this many best-screened grid points"));

  exhaustive_ = new QCheckBox(tr("exhaustive search"));
  exhaustive_->setObjectName("fit_exhaustive");
  exhaustive_->setToolTip(tr("L-BFGS from every grid point, as `scaleplan fit --exhaustive`; off: every point is "
                             "screened and L-BFGS starts from the best ones (Starts)"));
  exhaustive_->setChecked(defaults.exhaustive);
  connect(exhaustive_, &QCheckBox::toggled, starts_, &QSpinBox::setDisabled);

  bootstrap_ = new QSpinBox;
  bootstrap_->setObjectName("fit_bootstrap");
  bootstrap_->setRange(0, 1000000);
  bootstrap_->setSingleStep(100);
  bootstrap_->setValue(0);
  bootstrap_->setSpecialValueText(tr("off"));
  bootstrap_->setToolTip(tr("Resample the runs this many times and refit each resample, for %1% intervals of the "
                            "coefficients, the frontier band and the plan (Besiroglu et al. 2024 use 4,000)")
                             .arg(100.0 * BootstrapOptions{}.confidence, 0, 'g', 3));

  fit_button_ = new QPushButton(tr("Fit"));
  fit_button_->setObjectName("fit_button");
  fit_button_->setDefault(true);
  cancel_button_ = new QPushButton(tr("Cancel"));
  cancel_button_->setObjectName("fit_cancel");
  cancel_button_->setEnabled(false);
  progress_ = new QProgressBar;
  progress_->setObjectName("fit_progress");
  progress_->setRange(0, 1);
  progress_->setValue(0);
  progress_->setFormat(tr("%v / %m"));
  connect(fit_button_, &QPushButton::clicked, this, &FitPanel::StartFit);
  connect(cancel_button_, &QPushButton::clicked, this, &FitPanel::CancelFit);

  status_ = new QLabel;
  status_->setObjectName("fit_status");
  status_->setWordWrap(true);
  status_->setTextFormat(Qt::PlainText);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);

  results_ = new QTableWidget(0, 3);
  results_->setObjectName("fit_results");
  results_->setHorizontalHeaderLabels({tr("quantity"), tr("value"), tr("interval")});
  results_->horizontalHeaderItem(2)->setToolTip(tr("Bootstrap intervals, when bootstrap refits were asked for"));
  results_->verticalHeader()->setVisible(false);
  results_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
  results_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
  results_->horizontalHeader()->setStretchLastSection(true);
  results_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  results_->setMinimumWidth(250);
  results_->verticalHeader()->setDefaultSectionSize(results_->fontMetrics().height() + 6);

  auto* form = new QFormLayout;
  form->addRow(tr("Law"), law_);
  form->addRow(tr("Huber δ"), delta_);
  form->addRow(tr("Start grid"), grid_);
  form->addRow(tr("Starts"), starts_);
  form->addRow(QString(), exhaustive_);
  form->addRow(tr("Bootstrap refits"), bootstrap_);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(fit_button_);
  buttons->addWidget(cancel_button_);
  buttons->addWidget(progress_, 1);
  auto* controls = new QVBoxLayout;
  controls->addLayout(form);
  controls->addLayout(buttons);
  controls->addWidget(status_);
  controls->addStretch(1);
  auto* layout = new QHBoxLayout(this);
  layout->addLayout(controls, 1);
  layout->addWidget(results_, 1);

  connect(&watcher_, &QFutureWatcher<FitOutcome>::progressRangeChanged, progress_, &QProgressBar::setRange);
  connect(&watcher_, &QFutureWatcher<FitOutcome>::progressValueChanged, progress_, &QProgressBar::setValue);
  connect(&watcher_, &QFutureWatcher<FitOutcome>::finished, this, &FitPanel::OnFitDone);
  connect(model_, &RunsModel::IncludedRunsChanged, this, [this] {
    if (fit_ && !IsFitting()) {
      SetStatus(tr("The runs changed since this fit (%1 of %2 included now): press Fit to refit.")
                    .arg(model_->NumIncluded())
                    .arg(model_->rowCount()),
                false);
    }
  });
}

FitPanel::~FitPanel() {
  // A pool thread may still be fitting: let it finish without reporting to a deleted panel.
  watcher_.disconnect(this);
  watcher_.cancel();
}

bool FitPanel::ReadOptions(MultiStartOptions* options, InitGrid* grid, std::string* why) const {
  MultiStartOptions bound;
  std::string reason;
  const auto delta = TryParseQuantity(delta_->text().toStdString(), &reason);
  if (!delta) {
    *why = "Huber δ: " + reason + ": '" + delta_->text().toStdString() + "'";
    return false;
  }
  bound.huber_delta = *delta;
  bound.num_starts = starts_->value();
  bound.exhaustive = exhaustive_->isChecked();
  if (!bound.Check(&reason)) {
    *why = reason;
    return false;
  }
  InitGrid resolved = ChinchillaModel::HoffmannGrid();
  if (!grid_->text().trimmed().isEmpty()) {
    try {
      resolved = ParseGridSpec(grid_->text().trimmed().toStdString(), resolved, "start grid");
    } catch (const InputError& error) {
      *why = error.what();
      return false;
    }
  }
  *options = bound;
  *grid = std::move(resolved);
  return true;
}

bool FitPanel::ReadBootstrap(std::optional<BootstrapOptions>* options, std::string* why) const {
  options->reset();
  if (bootstrap_->value() == 0) return true;
  BootstrapOptions bound;
  bound.num_resamples = bootstrap_->value();
  if (!bound.Check(why)) return false;
  *options = bound;
  return true;
}

int FitPanel::BootstrapCount() const { return bootstrap_->value(); }

void FitPanel::SetBootstrapCount(int count) { bootstrap_->setValue(count); }

std::string FitPanel::GridSpec() const { return grid_->text().trimmed().toStdString(); }

void FitPanel::SetOptions(const MultiStartOptions& options, const std::string& grid_spec) {
  delta_->setText(QString::number(options.huber_delta, 'g', 6));
  starts_->setValue(options.num_starts);
  exhaustive_->setChecked(options.exhaustive);
  grid_->setText(QString::fromStdString(grid_spec));
}

bool FitPanel::IsFitting() const { return watcher_.isRunning() && !watcher_.isCanceled(); }

void FitPanel::StartFit() {
  if (IsFitting()) return;
  MultiStartOptions options;
  InitGrid grid;
  std::string why;
  std::optional<BootstrapOptions> bootstrap;
  if (!ReadOptions(&options, &grid, &why) || !ReadBootstrap(&bootstrap, &why)) {
    SetStatus(QString::fromStdString(why), true);
    return;
  }
  RunsTable runs = model_->IncludedRuns();
  SetBusy(true);
  SetStatus(bootstrap ? tr("Fitting %1 runs, then %2 bootstrap refits…")
                            .arg(runs.runs.size())
                            .arg(bootstrap->num_resamples)
                      : tr("Fitting %1 runs…").arg(runs.runs.size()),
            false);
  progress_->setRange(0, 0);  // busy until the first report gives the range
  clock_.start();
  watcher_.setFuture(QtConcurrent::run(&RunFit, std::move(runs), options, std::move(grid), bootstrap));
}

void FitPanel::CancelFit() {
  if (!IsFitting()) return;
  watcher_.cancel();
  SetBusy(false);
  progress_->setRange(0, 1);
  progress_->setValue(0);
  SetStatus(tr("Fit cancelled; the previous result is kept."), false);
}

void FitPanel::OnFitDone() {
  if (watcher_.isCanceled() || watcher_.future().resultCount() == 0) return;
  const FitOutcome outcome = watcher_.result();
  SetBusy(false);
  const double seconds = static_cast<double>(clock_.elapsed()) / 1000.0;
  if (!outcome.fit) {
    progress_->setRange(0, 1);
    progress_->setValue(0);
    ShowNoFit(QString::fromStdString(outcome.error));
    return;
  }
  const int steps = outcome.bootstrap ? outcome.bootstrap->samples.num_resamples : outcome.fit->search.num_starts;
  progress_->setRange(0, std::max(1, steps));
  progress_->setValue(std::max(1, steps));
  if (!outcome.fit->search.usable) {
    ShowNoFit(tr("the fit is not usable: %1").arg(QString::fromStdString(outcome.fit->search.status)));
    return;
  }
  fit_ = outcome.fit;
  bootstrap_result_ = outcome.bootstrap;
  fitted_runs_ = outcome.runs;
  ShowResults();
  QString text = tr("Fitted %1 runs in %2 s: %3 of %4 starts converged, %5 reached the best optimum.")
                     .arg(fitted_runs_.runs.size())
                     .arg(seconds, 0, 'f', 2)
                     .arg(fit_->search.num_converged)
                     .arg(fit_->search.num_starts)
                     .arg(fit_->search.num_at_best);
  if (bootstrap_result_) {
    text += tr(" Bootstrap: %1 of %2 resamples converged.")
                .arg(bootstrap_result_->laws.size())
                .arg(bootstrap_result_->samples.num_resamples);
  }
  if (!fit_->search.outside_grid.empty()) {
    QString names;
    for (const std::string& name : fit_->search.outside_grid) names += QString::fromStdString(name) + ' ';
    text += tr(" The optimum lies outside the start grid in %1: widen the grid.").arg(names.trimmed());
  }
  SetStatus(text, false);
  emit FitFinished(true);
}

void FitPanel::ShowResults() {
  results_->setEnabled(true);
  struct Row {
    QString name;
    double value;
    QString tooltip;
    int digits;
  };
  const ChinchillaFit& fit = *fit_;
  const std::vector<Row> rows = {
      {QStringLiteral("E"), fit.law.E, tr("irreducible loss, nats/token"), 6},
      {QStringLiteral("A"), fit.law.A, tr("parameter term coefficient"), 6},
      {QStringLiteral("B"), fit.law.B, tr("data term coefficient"), 6},
      {QStringLiteral("alpha"), fit.law.alpha, tr("parameter exponent α"), 6},
      {QStringLiteral("beta"), fit.law.beta, tr("data exponent β"), 6},
      {QStringLiteral("a"), fit.law.ExponentParams(), tr("N_opt ∝ C^a, a = β / (α + β)"), 6},
      {QStringLiteral("b"), fit.law.ExponentTokens(), tr("D_opt ∝ C^b, b = α / (α + β)"), 6},
      {QStringLiteral("objective"), fit.search.objective, tr("Huber sum at the optimum"), 10},
      {QStringLiteral("runs"), static_cast<double>(fit.residuals.num_runs), tr("runs fitted"), 6},
      {QStringLiteral("starts"), static_cast<double>(fit.search.num_starts), tr("L-BFGS runs"), 6},
      {QStringLiteral("converged"), static_cast<double>(fit.search.num_converged), tr("starts that converged"), 6},
      {QStringLiteral("at best"), static_cast<double>(fit.search.num_at_best),
       tr("converged starts within 1e-9 of the best objective"), 6},
      {QStringLiteral("log RMSE"), fit.residuals.rmse, tr("root mean square of ln(L_fit / L)"), 4},
  };
  // The first rows are the quantities the bootstrap gives intervals of, in its order.
  const std::vector<std::string>& interval_names = ChinchillaIntervalNames();
  results_->setRowCount(static_cast<int>(rows.size()));
  for (int i = 0; i < static_cast<int>(rows.size()); ++i) {
    const Row& row = rows[static_cast<size_t>(i)];
    auto* name = new QTableWidgetItem(row.name);
    name->setToolTip(row.tooltip);
    auto* value = new QTableWidgetItem(QString::number(row.value, 'g', row.digits));
    value->setData(Qt::UserRole, row.value);
    value->setToolTip(QString::number(row.value, 'g', 17));
    value->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    auto* interval = new QTableWidgetItem(QStringLiteral("–"));
    interval->setToolTip(tr("Ask for bootstrap refits to get intervals"));
    if (bootstrap_result_ && i < static_cast<int>(interval_names.size())) {
      for (const auto& [quantity, range] : bootstrap_result_->intervals) {
        if (quantity != interval_names[static_cast<size_t>(i)]) continue;
        interval->setText(QStringLiteral("%1 – %2").arg(range.lower, 0, 'g', 5).arg(range.upper, 0, 'g', 5));
        interval->setData(Qt::UserRole, QVariant::fromValue(QPointF(range.lower, range.upper)));
        interval->setToolTip(tr("%1% bootstrap interval over %2 converged resamples")
                                 .arg(100.0 * bootstrap_result_->options.confidence, 0, 'g', 3)
                                 .arg(bootstrap_result_->laws.size()));
      }
    }
    results_->setItem(i, 0, name);
    results_->setItem(i, 1, value);
    results_->setItem(i, 2, interval);
  }
}

void FitPanel::ShowNoFit(const QString& verdict) {
  // The previous fit is gone with its table: nothing on screen may read as a fit of these runs.
  fit_.reset();
  bootstrap_result_.reset();
  results_->setRowCount(0);
  results_->setEnabled(false);
  SetStatus(tr("No fit: these runs cannot identify the law (%1).").arg(verdict), true);
  emit FitFinished(false);
}

void FitPanel::SetStatus(const QString& text, bool is_error) {
  status_->setText(text);
  SetTone(status_, is_error ? Tone::BAD : Tone::PLAIN);
  status_->setProperty("is_error", is_error);
}

void FitPanel::SetBusy(bool busy) {
  fit_button_->setEnabled(!busy);
  cancel_button_->setEnabled(busy);
}

}  // namespace scaleplan::gui
