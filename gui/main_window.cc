#include "gui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QDialog>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSaveFile>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QStatusBar>
#include <QStyle>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <exception>

#include "core/bundled_data.h"
#include "core/data_constrained.h"
#include "core/error.h"
#include "core/file.h"
#include "core/units.h"
#include "gui/charts_view.h"
#include "gui/cluster_panel.h"
#include "gui/column_mapping_dialog.h"
#include "gui/export_dialog.h"
#include "gui/dictionary_panel.h"
#include "gui/fit_panel.h"
#include "gui/hardware_panel.h"
#include "gui/help.h"
#include "gui/law_fit.h"
#include "gui/plan_panel.h"
#include "gui/runs_model.h"
#include "gui/runs_panel.h"
#include "gui/session.h"
#include "gui/widgets.h"

namespace scaleplan::gui {
namespace {

// The window's size on a screen with room for it.
constexpr QSize kPreferredSize(1480, 940);


// Writes `contents` atomically: a temporary file in the same folder, renamed over `path` on success.
bool WriteAtomically(const QString& path, const QByteArray& contents, QString* error) {
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly) || file.write(contents) != contents.size() || !file.commit()) {
    *error = QStringLiteral("%1: cannot write: %2").arg(path, file.errorString());
    return false;
  }
  return true;
}

QDockWidget* Dock(const QString& title, const char* name, QWidget* content, QMainWindow* window) {
  auto* dock = new QDockWidget(title, window);
  dock->setObjectName(name);
  dock->setWidget(content);
  dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable |
                    QDockWidget::DockWidgetClosable);
  return dock;
}

// A dock whose panel scrolls when the window is too small for it, instead of squeezing its rows (or growing the
// window): the panel takes the dock's width and the height its wrapped labels need at that width.
QDockWidget* ScrollingDock(const QString& title, const char* name, QWidget* content, QMainWindow* window) {
  auto* scroll = new QScrollArea;
  scroll->setObjectName(QString(name) + QStringLiteral("_scroll"));
  scroll->setWidget(content);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  // As wide as the panel needs (its rows never clip), as high as the window allows (it scrolls).
  scroll->setMinimumWidth(content->minimumSizeHint().width() + scroll->verticalScrollBar()->sizeHint().width());
  auto* dock = new QDockWidget(title, window);
  dock->setObjectName(name);
  dock->setWidget(scroll);
  dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable |
                    QDockWidget::DockWidgetClosable);
  return dock;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(tr("scaleplan: scaling laws and compute-optimal planning"));
  setObjectName("main_window");
  model_ = new RunsModel(this);
  runs_panel_ = new RunsPanel(model_);
  fit_panel_ = new FitPanel(model_);
  plan_panel_ = new PlanPanel;
  dictionary_panel_ = new DictionaryPanel;
  hardware_panel_ = new HardwarePanel;
  cluster_panel_ = new ClusterPanel;
  charts_ = new ChartsView;
  setCentralWidget(charts_);

  runs_dock_ = Dock(tr("Runs"), "runs_dock", runs_panel_, this);
  fit_dock_ = Dock(tr("Fit"), "fit_dock", fit_panel_, this);
  plan_dock_ = ScrollingDock(tr("Plan"), "plan_dock", plan_panel_, this);
  dictionary_dock_ = ScrollingDock(tr("Dictionary"), "dictionary_dock", dictionary_panel_, this);
  hardware_dock_ = Dock(tr("Hardware"), "hardware_dock", hardware_panel_, this);  // its kernels table scrolls
  cluster_dock_ = ScrollingDock(tr("Cluster / Layout"), "cluster_dock", cluster_panel_, this);
  addDockWidget(Qt::RightDockWidgetArea, plan_dock_);
  tabifyDockWidget(plan_dock_, dictionary_dock_);
  tabifyDockWidget(dictionary_dock_, hardware_dock_);
  tabifyDockWidget(hardware_dock_, cluster_dock_);
  plan_dock_->raise();
  addDockWidget(Qt::BottomDockWidgetArea, runs_dock_);
  splitDockWidget(runs_dock_, fit_dock_, Qt::Horizontal);
  setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
  resizeDocks({plan_dock_}, {440}, Qt::Horizontal);
  resizeDocks({runs_dock_, fit_dock_}, {480, 560}, Qt::Horizontal);
  resizeDocks({runs_dock_}, {290}, Qt::Vertical);

  message_ = new QLabel;
  message_->setObjectName("window_message");
  message_->setTextFormat(Qt::PlainText);
  statusBar()->addWidget(message_, 1);

  BuildMenus();
  connect(model_, &RunsModel::IncludedRunsChanged, this, &MainWindow::RefreshCharts);
  connect(runs_panel_, &RunsPanel::TableReplaced, this, &MainWindow::OnTableReplaced);
  connect(fit_panel_, &FitPanel::FitFinished, this, &MainWindow::OnFitFinished);
  connect(plan_panel_, &PlanPanel::BudgetChanged, charts_, &ChartsView::SetBudget);
  // A click on a run's point selects that run in the runs table.
  connect(charts_, &ChartsView::RunClicked, this, [this](int line) {
    if (runs_panel_->SelectRun(line)) runs_dock_->raise();
  });
  connect(hardware_panel_, &HardwarePanel::ProfileChanged, this, &MainWindow::OnProfileChanged);
  connect(plan_panel_, &PlanPanel::RecommendationChanged, this, [this] {
    const std::optional<Recommendation>& plan = plan_panel_->recommendation();
    cluster_panel_->SetPlanModel(plan ? plan->allocation.num_params : 0.0, plan ? plan->allocation.num_tokens : 0.0);
    // An inference-aware or data-constrained plan is marked where it is, not on the frontier at the budget.
    charts_->SetPlanPoint(plan && plan->mode != "compute-optimal" ? std::optional<Allocation>(plan->allocation)
                                                                  : std::nullopt);
    // A data-constrained law's curves follow the unique-token limit (a slider move leaves it alone).
    if (plan_law_ && plan_law_->saved.law_name == "data-constrained" &&
        plan_panel_->Settings().unique_tokens != charts_unique_tokens_) {
      RefreshCharts();
    }
  });
  connect(hardware_panel_, &HardwarePanel::ShowRooflineRequested, this,
          [this] { charts_->SetCurrentKind(ChartKind::ROOFLINE); });
  connect(hardware_panel_, &HardwarePanel::ShowCollectivesRequested, this,
          [this] { charts_->SetCurrentKind(ChartKind::COLLECTIVES); });

  // 1480 x 940, or the screen's free area when it is smaller (the docks need about 1,190 pixels of width).
  QSize size = kPreferredSize;
  if (const QScreen* screen = QGuiApplication::primaryScreen()) size = size.boundedTo(screen->availableSize());
  resize(size);
  runs_panel_->LoadBundled();  // loads the runs and starts the first fit in the background
}

void MainWindow::ShowOnScreen() {
  const QScreen* screen = QGuiApplication::primaryScreen();
  // The frame is known once the window is mapped; before that, allow a title bar and borders as the style draws them.
  const int title_bar =
      style()->pixelMetric(QStyle::PM_TitleBarHeight) + 2 * style()->pixelMetric(QStyle::PM_DefaultFrameWidth);
  if (screen != nullptr && (kPreferredSize.width() > screen->availableSize().width() ||
                            kPreferredSize.height() + title_bar > screen->availableSize().height())) {
    showMaximized();
  } else {
    show();
  }
}

void MainWindow::ShowHelp(const QString& title, const QString& markdown) {
  // One help window, reused: a new page replaces the one shown.
  auto* dialog = findChild<QDialog*>("help_dialog");
  if (dialog == nullptr) {
    dialog = new QDialog(this);
    dialog->setObjectName("help_dialog");
    auto* browser = new QTextBrowser;
    browser->setObjectName("help_text");
    browser->setOpenExternalLinks(true);
    auto* layout = new QVBoxLayout(dialog);
    layout->addWidget(browser);
    dialog->resize(QSize(760, 560).boundedTo(size()));
  }
  dialog->setWindowTitle(tr("scaleplan help: %1").arg(title));
  dialog->findChild<QTextBrowser*>("help_text")->setMarkdown(markdown);
  dialog->show();
  dialog->raise();
}

void MainWindow::BuildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* import = file->addAction(tr("&Import runs CSV…"), runs_panel_, &RunsPanel::ChooseAndImport);
  import->setShortcut(QKeySequence::Open);
  file->addAction(tr("Load the &bundled runs"), runs_panel_, &RunsPanel::LoadBundled);
  file->addSeparator();
  file->addAction(tr("Open &session…"), this, &MainWindow::ChooseSessionToOpen);
  QAction* save = file->addAction(tr("&Save session…"), this, &MainWindow::ChooseSessionToSave);
  save->setShortcut(QKeySequence::Save);
  file->addSeparator();
  QAction* chart = file->addAction(tr("Export &chart (size, DPI)…"), this, &MainWindow::ChooseChartExport);
  chart->setShortcut(QKeySequence(tr("Ctrl+E")));
  file->addAction(tr("Export &plan as CSV or JSON…"), this, &MainWindow::ChoosePlanExport);
  file->addSeparator();
  QAction* open_fit = file->addAction(tr("Open &fit…"), this, &MainWindow::ChooseFitToOpen);
  open_fit->setObjectName("open_fit_action");
  file->addSeparator();
  QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);

  QMenu* fit = menuBar()->addMenu(tr("F&it"));
  QAction* run = fit->addAction(tr("&Fit"), fit_panel_, &FitPanel::StartFit);
  run->setShortcut(QKeySequence(tr("Ctrl+F")));
  fit->addAction(tr("&Cancel"), fit_panel_, &FitPanel::CancelFit);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  view->setObjectName("view_menu");
  for (QDockWidget* dock : {runs_dock_, fit_dock_, plan_dock_, dictionary_dock_, hardware_dock_, cluster_dock_}) {
    view->addAction(dock->toggleViewAction());
  }
  view->addSeparator();
  int number = 1;
  for (ChartKind kind : kAllChartKinds) {
    QAction* action = view->addAction(ChartKindTitle(kind), this, [this, kind] {
      if (kind == ChartKind::ROOFLINE && !hardware_panel_->profile()) {
        ShowMessage(tr("No roofline yet: run the probe or load a profile in the Hardware panel"), false);
        hardware_dock_->show();
        hardware_dock_->raise();
        return;
      }
      const auto& profile = hardware_panel_->profile();
      if (kind == ChartKind::COLLECTIVES && !(profile && HasCollectiveMeasurements(profile->profile))) {
        ShowMessage(profile ? tr("No interconnect chart: %1")
                                  .arg(QString::fromStdString(NoCollectiveMeasurementsReason(profile->profile)))
                            : tr("No interconnect yet: load a profile measured with 'scaleplan probe --collectives' "
                                 "in the Hardware panel"),
                    false);
        hardware_dock_->show();
        hardware_dock_->raise();
        return;
      }
      charts_->SetCurrentKind(kind);
    });
    action->setShortcut(QKeySequence(QStringLiteral("Ctrl+%1").arg(number++)));
  }
  view->addSeparator();
  view->addAction(charts_->log_loss_action());

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->setObjectName("help_menu");
  for (const HelpSection& section : ReadmeSections()) {
    const QString title = ToQString(section.title).remove('`');
    help->addAction(title, this, [this, title, &section] { ShowHelp(title, ToQString(section.markdown)); });
  }
  help->addSeparator();
  help->addAction(tr("&About scaleplan"), this, [this] {
    QMessageBox::about(this, tr("About scaleplan"),
                       tr("<p><b>scaleplan</b>: scaling-law fitting and compute-optimal planning.</p>"
                          "<p>Fits Chinchilla-style laws to training runs, plans model size, tokens, hardware, "
                          "days and cost for a compute budget, and measures the hardware it runs on. The same "
                          "library is behind the command line (<tt>scaleplan</tt>), this window and the Python "
                          "module.</p><p>Built with Qt %1, Ceres and Eigen.</p>")
                           .arg(QString::fromLatin1(qVersion())));
  });
}

bool MainWindow::ImportRunsCsv(const QString& path, const RunsColumns& columns) {
  const bool loaded = runs_panel_->ImportCsv(path, columns);
  if (!loaded) ShowMessage(tr("Import failed: %1").arg(runs_panel_->ErrorText()), true);
  return loaded;
}

void MainWindow::OnTableReplaced() {
  law_.reset();
  plan_law_.reset();
  predicted_loss_.clear();
  plan_panel_->SetLaw(std::nullopt);
  RefreshCharts();
  fit_panel_->SetRunsFile(runs_panel_->runs_path(), runs_panel_->columns());
  fit_panel_->CancelFit();
  fit_panel_->StartFit();
  ShowMessage(tr("Loaded %1 runs from %2; fitting…")
                  .arg(model_->rowCount())
                  .arg(ToQString(model_->table().source)),
              false);
}

void MainWindow::OnFitFinished(bool usable) {
  moe_frontier_.clear();
  if (usable && fit_panel_->law_fit() && fit_panel_->law_fit()->moe) {
    // A fine-grained MoE law (Krajewski et al.'s or an opened moe fit), planned as `plan --law krajewski2024`.
    LawSource source;
    source.moe_law = fit_panel_->law_fit()->moe;
    source.description = fit_panel_->law_fit()->moe_description;
    moe_frontier_ = fit_panel_->law_fit()->moe_frontier;
    law_.reset();
    plan_law_.reset();
    predicted_loss_.clear();
    plan_panel_->SetLaw(source);
    RefreshCharts();
    ShowMessage(tr("Law: %1, planned with the granularity chosen per budget").arg(ToQString(source.description)),
                false);
  } else if (usable && fit_panel_->law_fit() && !fit_panel_->law_fit()->routing.empty()) {
    // An opened routing fit: no token term, no plan at a budget (`plan --fit ROUTING.json --params N --experts E`).
    law_.reset();
    plan_law_.reset();
    predicted_loss_.clear();
    plan_panel_->SetLaw(std::nullopt, tr("A routing law (Clark et al. 2022) has no token term, so it plans a dense "
                                         "size and expert count, not a budget: its effective sizes are in the Fit "
                                         "dock"));
    RefreshCharts();
    ShowMessage(ToQString(fit_panel_->law_fit()->summary), false);
  } else if (usable && fit_panel_->law_fit()) {
    // Any other law: planned and charted as `plan --fit/--law` gives it (its Chinchilla form when it has one).
    const LawFitResult& result = *fit_panel_->law_fit();
    const SavedLaw& saved = result.law.saved;
    LawSource source;
    source.plan_law = result.law;
    source.law = saved.law;
    source.description = saved.description;
    source.fitted_compute_max = saved.compute_max;
    source.bootstrap_laws = saved.bootstrap_laws;
    source.confidence = saved.confidence;
    plan_law_ = result.law;
    law_.reset();
    if (saved.HasChinchillaForm()) law_ = saved.law;
    predicted_loss_ = result.predicted_loss;
    plan_panel_->SetLaw(source);
    RefreshCharts();
    ShowMessage(tr("Law: %1").arg(ToQString(SavedLawFormula(saved))), false);
  } else if (usable) {
    plan_law_.reset();
    predicted_loss_.clear();
    const ChinchillaFit& fit = *fit_panel_->fit();
    const RunsTable& runs = fit_panel_->fitted_runs();
    LawSource source;
    source.law = fit.law;
    source.description = "Approach-3 fit of " + runs.source + " (" + std::to_string(runs.runs.size()) + " runs)";
    for (const TrainingRun& run : runs.runs) {
      source.fitted_compute_max = std::max(source.fitted_compute_max, run.compute_flops);
    }
    if (const auto& bootstrap = fit_panel_->bootstrap(); bootstrap && !bootstrap->laws.empty()) {
      source.bootstrap_laws = bootstrap->laws;
      source.confidence = bootstrap->options.confidence;
    }
    law_ = fit.law;
    huber_delta_ = fit.options.huber_delta;
    plan_panel_->SetLaw(source);
    RefreshCharts();
    ShowMessage(tr("Fitted: E %1, A %2, B %3, α %4, β %5")
                    .arg(fit.law.E, 0, 'g', 5)
                    .arg(fit.law.A, 0, 'g', 5)
                    .arg(fit.law.B, 0, 'g', 5)
                    .arg(fit.law.alpha, 0, 'g', 5)
                    .arg(fit.law.beta, 0, 'g', 5),
                false);
  } else {
    // No law of these runs: the plan and the charts drop the previous one.
    law_.reset();
    plan_law_.reset();
    predicted_loss_.clear();
    plan_panel_->SetLaw(std::nullopt, tr("No fit: these runs cannot identify the law (see the Fit panel)"));
    RefreshCharts();
    ShowMessage(tr("No fit: these runs cannot identify the law; see the Fit panel"), true);
  }
  emit Fitted(usable);
}

void MainWindow::RefreshCharts() {
  ChartInputs inputs = MakeChartInputs(*model_, law_, huber_delta_);
  inputs.budget_flops = plan_panel_->budget_flops();
  if (!moe_frontier_.empty()) {
    inputs.law_label = fit_panel_->law_fit() ? fit_panel_->law_fit()->moe_description : "fine-grained MoE";
    inputs.allocate = [frontier = moe_frontier_](double compute_flops) {
      return InterpolateFrontier(frontier, compute_flops);
    };
  }
  if (plan_law_) {
    // "NAME: where it comes from", the chart titles naming the law by NAME (a published law's description is so).
    const SavedLaw& saved = plan_law_->saved;
    inputs.law_label = saved.description.find(':') != std::string::npos && saved.law_name == "chinchilla"
                           ? saved.description
                           : saved.law_name + ": " + saved.description;
    if (!law_) {
      inputs.predicted_loss = predicted_loss_;
      inputs.allocate = [saved = plan_law_->saved](double compute_flops) {
        try {
          return saved.ComputeOptimal(compute_flops);
        } catch (const std::exception&) {  // an expression's search finds no optimum there: no point
          Allocation none;
          none.num_params = none.num_tokens = std::nan("");
          return none;
        }
      };
      // The law's L(N, D) for the loss and IsoFLOP charts: Kaplan's, an expression's of N, D and C; IsoFLOP (Approach
      // 2) has none, only its loss frontier L_opt(C) = E + K C^-gamma when it was fitted.
      if (saved.law_name == "kaplan") {
        inputs.loss = [law = saved.kaplan](double n, double d) { return law.Loss(n, d); };
      } else if (saved.law_name == "expression" && saved.expression.Plans()) {
        inputs.loss = [law = saved.expression](double n, double d) {
          try {
            return law.Loss(n, d);
          } catch (const std::exception&) {
            return std::nan("");
          }
        };
      } else if (saved.law_name == "isoflop") {
        inputs.allocate_gives_loss = saved.isoflop.has_frontier;
      }
    }
  }
  // A data-constrained law under the plan's unique-token limit U is charted as L(N, D, U) with its optimum under U
  // (unlimited, it is its base law, Chinchilla's form, charted as such); the residuals stay the base law's (the runs
  // table has no U).
  charts_unique_tokens_ = 0;
  if (const double unique_tokens = plan_panel_->Settings().unique_tokens;
      plan_law_ && plan_law_->saved.law_name == "data-constrained" && unique_tokens > 0) {
    charts_unique_tokens_ = unique_tokens;
    const DataConstrainedLaw law = plan_law_->saved.data_constrained;
    inputs.law.reset();
    inputs.predicted_loss.clear();
    for (const TrainingRun& run : inputs.runs) {
      inputs.predicted_loss[run.line] = law.base.Loss(run.num_params, run.num_tokens);
    }
    inputs.loss = [law, unique_tokens](double n, double d) { return law.Loss(n, d, unique_tokens); };
    inputs.allocate = [law, unique_tokens](double compute_flops) {
      return PlanDataConstrained(law, compute_flops, unique_tokens).allocation;
    };
    inputs.law_label =
        "data-constrained at U = " + FormatQuantity(unique_tokens, 3) + ": " + plan_law_->saved.description;
  }
  const auto& bootstrap = fit_panel_->bootstrap();
  if (inputs.law && bootstrap && !bootstrap->laws.empty()) {
    // The refits themselves: the charts shade their interval around L_opt(C), each IsoFLOP profile and N_opt, D_opt,
    // at each line's own points (so over the lines' range).
    inputs.bootstrap_laws = bootstrap->laws;
    inputs.band_confidence = bootstrap->options.confidence;
    inputs.band_label = tr("%1% interval (%2 bootstrap fits)")
                            .arg(100.0 * bootstrap->options.confidence, 0, 'g', 3)
                            .arg(bootstrap->laws.size())
                            .toStdString();
  }
  charts_->SetInputs(inputs);
}

void MainWindow::OnProfileChanged() {
  const std::optional<MeasuredProfile>& shown = hardware_panel_->profile();
  charts_->SetProfile(shown ? std::optional<HardwareProfile>(shown->profile) : std::nullopt);
  const std::optional<MeasuredProfile> for_plans = hardware_panel_->ProfileForPlans();
  plan_panel_->SetProfile(for_plans);
  dictionary_panel_->SetProfile(for_plans);
}

void MainWindow::ShowMessage(const QString& text, bool is_error) {
  message_->setText(text);
  SetTone(message_, is_error ? Tone::BAD : Tone::PLAIN);
}

bool MainWindow::SaveSession(const QString& path, QString* error) {
  Session session;
  session.runs_path = runs_panel_->runs_path();
  session.columns = runs_panel_->columns();
  session.excluded_rows = model_->ExcludedRows();
  InitGrid grid;
  std::string why;
  if (!fit_panel_->ReadOptions(&session.fit_options, &grid, &why)) {
    *error = tr("The fit options do not check: %1").arg(ToQString(why));
    ShowMessage(*error, true);
    return false;
  }
  session.grid_spec = fit_panel_->GridSpec();
  session.bootstrap_resamples = fit_panel_->BootstrapCount();
  session.law = fit_panel_->LawKey();
  session.law_expression = fit_panel_->ExpressionText();
  for (const std::string& param : fit_panel_->ExpressionParams()) {
    session.law_params += (session.law_params.empty() ? "" : " ") + param;
  }
  session.fit_path = fit_panel_->opened_fit_path().toStdString();
  session.budget_flops = plan_panel_->budget_flops();
  session.budget_text = plan_panel_->BudgetText().toStdString();
  session.plan = plan_panel_->Settings();
  session.plan.profile.reset();  // saved as the hardware profile's path
  session.dictionary = dictionary_panel_->Settings();
  session.dictionary.profile.reset();
  session.hardware.profile_path = hardware_panel_->ProfilePath().toStdString();
  session.hardware.use_profile = hardware_panel_->UseForPlans();
  session.hardware.probe_mode = hardware_panel_->ProbeMode();
  session.cluster = cluster_panel_->Settings();
  session.chart = static_cast<int>(charts_->CurrentKind());
  session.log_loss = charts_->log_loss();
  const std::string text = SessionToJson(session).dump(2) + "\n";
  if (!WriteAtomically(path, QByteArray::fromStdString(text), error)) {
    ShowMessage(*error, true);
    return false;
  }
  ShowMessage(tr("Session saved to %1").arg(path), false);
  return true;
}

bool MainWindow::LoadSession(const QString& path, QString* error) {
  try {
    const Session session = ParseSession(ReadWholeFile(path.toStdString()), path.toStdString());
    // Everything is checked before anything changes: a session that does not load leaves the window as it was.
    RunsColumns columns = session.columns;
    columns.choices = ImportDialogChoices();
    RunsTable table = session.runs_path.empty() ? BundledChinchillaRuns() : LoadRunsCsv(session.runs_path, columns);
    for (int row : session.excluded_rows) {
      if (static_cast<size_t>(row) >= table.runs.size()) {
        throw InputError(path.toStdString() + ": /runs/excluded_rows: row " + std::to_string(row) +
                         " is beyond the " + std::to_string(table.runs.size()) + " runs");
      }
    }
    if (!session.hardware.profile_path.empty()) {
      // The profile is read before anything changes too; a session whose profile does not load is refused.
      std::string profile_text;
      try {
        profile_text = ReadWholeFile(session.hardware.profile_path);
      } catch (const InputError&) {
        throw InputError(path.toStdString() + ": /hardware/profile_path: cannot read '" +
                         session.hardware.profile_path + "'");
      }
      HardwareProfileFromJson(profile_text, session.hardware.profile_path);
    }
    if (session.law == kOpenedFitLawKey) {  // the opened fit is read before anything changes too
      LawFromSavedFit(ReadWholeFile(session.fit_path), session.fit_path);
    }
    fit_panel_->SetOptions(session.fit_options, session.grid_spec);
    if (!session.law_expression.empty() || !session.law_params.empty()) {
      const QStringList params = ToQString(session.law_params).split(' ', Qt::SkipEmptyParts);
      std::vector<std::string> param_specs;
      for (const QString& param : params) param_specs.push_back(param.toStdString());
      fit_panel_->SetExpression(session.law_expression, param_specs);
    }
    if (session.law != kOpenedFitLawKey) fit_panel_->SetLawKey(session.law);
    fit_panel_->SetBootstrapCount(session.bootstrap_resamples);
    hardware_panel_->SetProbeMode(session.hardware.probe_mode);
    hardware_panel_->SetUseForPlans(session.hardware.use_profile);
    if (!session.hardware.profile_path.empty()) {
      QString profile_error;
      if (!hardware_panel_->LoadProfile(ToQString(session.hardware.profile_path), &profile_error)) {
        throw InputError(profile_error.toStdString());
      }
    }
    dictionary_panel_->SetSettings(session.dictionary);
    cluster_panel_->SetSettings(session.cluster);
    plan_panel_->SetSettings(session.plan);
    if (session.budget_text.empty() || !plan_panel_->SetBudgetText(ToQString(session.budget_text))) {
      plan_panel_->SetBudget(session.budget_flops);
    }
    if (session.chart >= 0 && session.chart < static_cast<int>(std::size(kAllChartKinds)) &&
        (kAllChartKinds[session.chart] != ChartKind::ROOFLINE || hardware_panel_->profile()) &&
        (kAllChartKinds[session.chart] != ChartKind::COLLECTIVES ||
         (hardware_panel_->profile() && HasCollectiveMeasurements(hardware_panel_->profile()->profile)))) {
      charts_->SetCurrentKind(kAllChartKinds[session.chart]);
    }
    charts_->SetLogLoss(session.log_loss);  // a session saved before the choice was kept: off
    if (session.runs_path.empty()) {
      runs_panel_->LoadBundled();
    } else if (!runs_panel_->ImportCsv(ToQString(session.runs_path), session.columns)) {
      throw InputError(runs_panel_->ErrorText().toStdString());
    }
    model_->SetExcluded(session.excluded_rows, true);
    if (!session.excluded_rows.empty()) {  // refit without the excluded rows
      fit_panel_->CancelFit();
      fit_panel_->StartFit();
    }
    if (session.law == kOpenedFitLawKey) {
      QString fit_error;
      if (!fit_panel_->OpenFit(ToQString(session.fit_path), &fit_error)) throw InputError(fit_error.toStdString());
    }
    ShowMessage(tr("Session loaded from %1").arg(path), false);
    return true;
  } catch (const std::exception& failure) {
    *error = QString::fromUtf8(failure.what());
    ShowMessage(*error, true);
    return false;
  }
}

bool MainWindow::ExportChart(const QString& path, QSize size, QString* error) {
  return ExportChart(path, ExportSize{size.width(), size.height(), 1.0, kLayoutDpi}, error);
}

bool MainWindow::ExportChart(const QString& path, const ExportSize& size, QString* error) {
  if (!WriteChartFile(charts_->CurrentKind(), charts_->inputs(), path, size, error)) {
    ShowMessage(*error, true);
    return false;
  }
  ShowMessage(tr("Chart saved to %1").arg(path), false);
  return true;
}

bool MainWindow::ExportPlan(const QString& path, QString* error) {
  if (!plan_panel_->recommendation()) {
    *error = tr("There is no plan to export yet");
    ShowMessage(*error, true);
    return false;
  }
  const bool json = QFileInfo(path).suffix().compare(QLatin1String("json"), Qt::CaseInsensitive) == 0;
  const std::string text = json ? plan_panel_->PlanJson().dump(2) + "\n" : plan_panel_->PlanCsv();
  if (!WriteAtomically(path, QByteArray::fromStdString(text), error)) {
    ShowMessage(*error, true);
    return false;
  }
  ShowMessage(tr("Plan saved to %1").arg(path), false);
  return true;
}

void MainWindow::ChooseSessionToOpen() {
  const QString path =
      QFileDialog::getOpenFileName(this, tr("Open session"), QString(), tr("scaleplan sessions (*.json)"));
  QString error;
  if (!path.isEmpty()) LoadSession(path, &error);
}

void MainWindow::ChooseSessionToSave() {
  QString path = QFileDialog::getSaveFileName(this, tr("Save session"), QStringLiteral("session.json"),
                                              tr("scaleplan sessions (*.json)"));
  if (path.isEmpty()) return;
  if (QFileInfo(path).suffix().isEmpty()) path += QStringLiteral(".json");
  QString error;
  SaveSession(path, &error);
}

// The export dialog: file, format, size in inches and resolution (gui/export_dialog.h).
void MainWindow::ChooseChartExport() {
  ExportDialog dialog(charts_->CurrentKind(), charts_->currentWidget()->size(), this);
  if (dialog.exec() != QDialog::Accepted) return;
  QString error;
  ExportChart(dialog.path(), dialog.export_size(), &error);
}

bool MainWindow::OpenFit(const QString& path, QString* error) {
  if (!fit_panel_->OpenFit(path, error)) {  // the reader's message; nothing changed
    *error = tr("Cannot open the fit %1: %2").arg(path, *error);
    ShowMessage(*error, true);
    return false;
  }
  return true;
}

void MainWindow::ChooseFitToOpen() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Open fit"), QString(),
                                                    tr("Saved fits (scaleplan fit --out) (*.json);;All files (*)"));
  if (path.isEmpty()) return;
  QString error;
  if (!OpenFit(path, &error)) QMessageBox::warning(this, tr("Open fit"), error);
}

void MainWindow::ChoosePlanExport() {
  QString filter;
  QString path = QFileDialog::getSaveFileName(this, tr("Export plan"), QStringLiteral("plan.csv"),
                                              tr("CSV (*.csv);;JSON (*.json)"), &filter);
  if (path.isEmpty()) return;
  if (QFileInfo(path).suffix().isEmpty()) path += filter.contains(QLatin1String("json")) ? ".json" : ".csv";
  QString error;
  ExportPlan(path, &error);
}

}  // namespace scaleplan::gui
