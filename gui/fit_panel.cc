#include "gui/fit_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPromise>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <exception>
#include <utility>

#include "core/error.h"
#include "core/expression.h"
#include "core/file.h"
#include "core/units.h"
#include "gui/runs_model.h"
#include "gui/widgets.h"

namespace scaleplan::gui {
namespace {

// The fit itself, on a pool thread: the Approach-3 fit, another law's (law_request), or an opened moe fit's frontier
// (opened). Nothing escapes: errors come back in the outcome.
void RunFit(QPromise<FitOutcome>& promise, const RunsTable& runs, const MultiStartOptions& options,
            const InitGrid& grid, const std::optional<BootstrapOptions>& bootstrap,
            const std::optional<LawFitRequest>& law_request, const std::optional<LawFitResult>& opened) {
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
    if (opened) {  // an opened moe fit: its frontier of plans, as FitLaw computes krajewski2024's
      outcome.law_fit = opened;
      outcome.law_fit->moe_frontier = MoeFrontier(*opened->moe, report);
      promise.addResult(std::move(outcome));
      return;
    }
    if (law_request) {  // any other law, by the functions the command line calls (gui/law_fit.h)
      outcome.law_fit = FitLaw(*law_request, report);
      promise.addResult(std::move(outcome));
      return;
    }
    outcome.fit = FitChinchilla(runs, options, grid, report);
    if (bootstrap && outcome.fit->search.usable && !promise.isCanceled()) {
      phase_total = -1;
      outcome.bootstrap = BootstrapChinchilla(runs, *outcome.fit, *bootstrap, report);
    }
  } catch (const InputError& error) {
    outcome.error = error.what();
  } catch (const UsageError& error) {
    outcome.error = error.what();
  } catch (const ExpressionError& error) {
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
  for (const LawChoice& choice : LawChoices()) law_->addItem(tr(choice.title), QString::fromLatin1(choice.key));
  // As wide as the dock allows, not as the longest entry: the bottom docks must fit a 1366-pixel screen.
  law_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  law_->setMinimumContentsLength(22);
  law_->setToolTip(
      tr("The law fitted, planned with and charted, as `scaleplan fit --law` and `plan --law` give it. "
         "Chinchilla: L(N, D) = E + A / N^α + B / D^β (Hoffmann et al. 2022, Approach 3, fitted as "
         "Besiroglu et al. 2024 reproduce it). Kaplan, IsoFLOP and a custom expression plan along their "
         "compute-optimal frontier; the published laws plan without runs."));

  expression_ = new QLineEdit(QStringLiteral("E + A / N^alpha + B / D^beta"));
  expression_->setObjectName("fit_expression");
  expression_->setToolTip(
      tr("L over N, D, C (and the runs file's columns) and named parameters, with + - * / ^, exp, "
         "log, sqrt, abs, min, max, as `scaleplan fit --law-expr`"));
  expression_params_ =
      new QLineEdit(QStringLiteral("E=0.5:2.5:0.5 A=100:1000:300 alpha=0.1:0.6:0.1 "
                                   "B=100:1000:300 beta=0.1:0.6:0.1"));
  expression_params_->setObjectName("fit_expression_params");
  expression_params_->setToolTip(
      tr("One NAME=LO:HI:STEP (start values) or NAME=VALUE per parameter, separated by "
         "spaces, as `--param`"));
  expression_error_ = new QLabel;
  expression_error_->setObjectName("fit_expression_error");
  expression_error_->setTextFormat(Qt::PlainText);
  expression_error_->setWordWrap(false);  // the caret stays under its column
  // Clipped, not widening the dock, when the expression is longer than the dock is wide (the whole in the tooltip).
  expression_error_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  expression_error_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  SetTone(expression_error_, Tone::BAD);
  connect(expression_, &QLineEdit::textChanged, this, [this] {
    expression_error_->setText(ExpressionErrorText());
    expression_error_->setToolTip(expression_error_->text());
    UpdateLawRows();
  });

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
  form_ = form;
  form->addRow(tr("Law"), law_);
  form->addRow(tr("Expression"), expression_);
  form->addRow(tr("Parameters"), expression_params_);
  form->addRow(QString(), expression_error_);
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
  UpdateLawRows();
  connect(law_, &QComboBox::currentIndexChanged, this, &FitPanel::OnLawChosen);
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
  // Another law's grid has its own axes: FitLaw resolves the spec against that law's grid.
  if (!grid_->text().trimmed().isEmpty() && LawKey() == "chinchilla") {
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

bool FitPanel::IsFitting() const { return fit_pending_; }

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
  const std::string law = LawKey();
  if (law == kOpenedFitLaw) {  // an opened fit does not depend on the runs: plan with it again
    if (law_fit_) emit FitFinished(true);
    return;
  }
  std::optional<LawFitRequest> law_request;
  if (law != "chinchilla") {
    if (law == "expression" && !ExpressionErrorText().isEmpty()) {
      SetStatus(ExpressionErrorText(), true);  // the parser's located error; the previous law stays
      return;
    }
    law_request.emplace();
    law_request->law = law;
    law_request->runs = model_->IncludedRuns();
    law_request->runs_path = runs_path_;
    law_request->columns = runs_columns_;
    law_request->search = options;
    law_request->grid_spec = GridSpec();
    law_request->expression = ExpressionText();
    law_request->expression_params = ExpressionParams();
    bootstrap.reset();  // bootstrap refits are the Approach-3 fit's
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
  fit_pending_ = true;
  watcher_.setFuture(QtConcurrent::run(&RunFit, std::move(runs), options, std::move(grid), bootstrap,
                                       std::move(law_request), std::optional<LawFitResult>()));
}

void FitPanel::CancelFit() {
  if (!IsFitting()) return;
  fit_pending_ = false;  // its result, when it comes, is dropped (OnFitDone)
  pending_open_path_.clear();  // an opened moe fit's frontier: the previous law stays
  watcher_.cancel();
  SetBusy(false);
  progress_->setRange(0, 1);
  progress_->setValue(0);
  SetStatus(tr("Fit cancelled; the previous result is kept."), false);
}

void FitPanel::OnFitDone() {
  if (!fit_pending_ || watcher_.isCanceled() || watcher_.future().resultCount() == 0) return;
  fit_pending_ = false;
  const FitOutcome outcome = watcher_.result();
  const QString opened_path = std::exchange(pending_open_path_, QString());
  SetBusy(false);
  const double seconds = static_cast<double>(clock_.elapsed()) / 1000.0;
  if (outcome.law_fit) {
    progress_->setRange(0, 1);
    progress_->setValue(1);
    fit_.reset();
    bootstrap_result_.reset();
    law_fit_ = outcome.law_fit;
    fitted_runs_ = outcome.runs;
    if (!opened_path.isEmpty()) ShowOpenedFit(opened_path);
    ShowLawResults();
    SetStatus(tr("%1 (%2 s)").arg(QString::fromStdString(law_fit_->summary)).arg(seconds, 0, 'f', 2), false);
    emit FitFinished(true);
    return;
  }
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
  law_fit_.reset();
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
  law_fit_.reset();
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

std::string FitPanel::LawKey() const { return law_->currentData().toString().toStdString(); }

bool FitPanel::SetLawKey(const std::string& key) {
  const int index = law_->findData(QString::fromStdString(key));
  if (index < 0) return false;
  law_->setCurrentIndex(index);
  return true;
}

std::string FitPanel::ExpressionText() const { return expression_->text().trimmed().toStdString(); }

std::vector<std::string> FitPanel::ExpressionParams() const {
  std::vector<std::string> out;
  for (const QString& part :
       expression_params_->text().split(QRegularExpression(QStringLiteral("[\\s;]+")), Qt::SkipEmptyParts)) {
    out.push_back(part.toStdString());
  }
  return out;
}

void FitPanel::SetExpression(const std::string& text, const std::vector<std::string>& params) {
  expression_->setText(QString::fromStdString(text));
  QStringList parts;
  for (const std::string& param : params) parts << QString::fromStdString(param);
  expression_params_->setText(parts.join(' '));
}

QString FitPanel::ExpressionErrorText() const { return QString::fromStdString(CheckExpressionText(ExpressionText())); }

void FitPanel::SetRunsFile(const std::string& path, const RunsColumns& columns) {
  runs_path_ = path;
  runs_columns_ = columns;
}

void FitPanel::UpdateLawRows() {
  const bool expression = LawKey() == "expression";
  form_->setRowVisible(expression_, expression);
  form_->setRowVisible(expression_params_, expression);
  form_->setRowVisible(expression_error_, expression && !expression_error_->text().isEmpty());
  bootstrap_->setEnabled(LawKey() == "chinchilla");
}

void FitPanel::OnLawChosen() {
  if (LawKey() != kOpenedFitLaw) {  // the opened fit's entry goes when another law is chosen
    const int opened = law_->findData(QString::fromLatin1(kOpenedFitLaw));
    if (opened >= 0) {
      const QSignalBlocker block(law_);
      law_->removeItem(opened);
      opened_fit_path_.clear();
    }
  }
  UpdateLawRows();
  CancelFit();
  StartFit();
}

bool FitPanel::OpenFit(const QString& path, QString* error) {
  LawFitResult result;
  try {
    result = LawFromSavedFit(ReadWholeFile(path.toStdString()), path.toStdString());
  } catch (const std::exception& failure) {  // InputError, with the file and the key
    *error = QString::fromUtf8(failure.what());
    return false;
  }
  CancelFit();
  if (result.moe) {
    // Its frontier is 57 plans, each a search (about 1 s in all): on a pool thread, as krajewski2024's, through
    // OnFitDone. The selector, the table and the plan keep the previous law until it is done.
    pending_open_path_ = path;
    SetBusy(true);
    SetStatus(tr("%1 Planning its frontier…").arg(QString::fromStdString(result.summary)), false);
    progress_->setRange(0, 0);
    clock_.start();
    fit_pending_ = true;
    watcher_.setFuture(QtConcurrent::run(&RunFit, fitted_runs_, MultiStartOptions(), InitGrid(),
                                         std::optional<BootstrapOptions>(), std::optional<LawFitRequest>(),
                                         std::optional<LawFitResult>(std::move(result))));
    return true;
  }
  fit_.reset();
  bootstrap_result_.reset();
  law_fit_ = std::move(result);
  ShowOpenedFit(path);
  ShowLawResults();
  SetStatus(QString::fromStdString(law_fit_->summary), false);
  emit FitFinished(true);
  return true;
}

void FitPanel::ShowOpenedFit(const QString& path) {
  opened_fit_path_ = path;
  {
    const QSignalBlocker block(law_);
    const QString title = tr("Opened: %1").arg(QFileInfo(path).fileName());
    int index = law_->findData(QString::fromLatin1(kOpenedFitLaw));
    if (index < 0) {
      law_->addItem(title, QString::fromLatin1(kOpenedFitLaw));
      index = law_->count() - 1;
    }
    law_->setItemText(index, title);
    law_->setItemData(index, path, Qt::ToolTipRole);
    law_->setCurrentIndex(index);
  }
  UpdateLawRows();
}

void FitPanel::ShowLawResults() {
  results_->setEnabled(true);
  const std::vector<LawFitResult::Row>& rows = law_fit_->rows;
  results_->setRowCount(static_cast<int>(rows.size()));
  for (int i = 0; i < static_cast<int>(rows.size()); ++i) {
    const LawFitResult::Row& row = rows[static_cast<size_t>(i)];
    auto* name = new QTableWidgetItem(QString::fromStdString(row.name));
    name->setToolTip(QString::fromStdString(row.tooltip));
    auto* value = new QTableWidgetItem(QString::number(row.value, 'g', 6));
    value->setData(Qt::UserRole, row.value);
    value->setToolTip(QString::number(row.value, 'g', 17));
    value->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    auto* interval = new QTableWidgetItem(QStringLiteral("–"));
    interval->setToolTip(tr("Bootstrap intervals are given for the Approach-3 fit"));
    results_->setItem(i, 0, name);
    results_->setItem(i, 1, value);
    results_->setItem(i, 2, interval);
  }
}

}  // namespace scaleplan::gui
