#include "gui/hardware_panel.h"

#include <exception>

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPromise>
#include <QPushButton>
#include <QSaveFile>
#include <QTableWidget>
#include <QTime>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include "core/error.h"
#include "core/file.h"
#include "core/units.h"
#include "gpu_probe/probe.h"
#include "gui/widgets.h"

namespace scaleplan::gui {
namespace {

constexpr int kProgressSteps = 1000;

// Thrown from the progress callback when the user cancels: RunProbe unwinds at its next step.
struct ProbeCancelled {};

// The probe itself, on a pool thread. Nothing escapes: errors come back in the outcome.
void RunProbeTask(QPromise<ProbeOutcome>& promise, const probe::ProbeOptions& options) {
  ProbeOutcome outcome;
  promise.setProgressRange(0, kProgressSteps);
  try {
    probe::ProbeReport report = probe::RunProbe(options, [&promise](double fraction, const std::string& what) {
      if (promise.isCanceled()) throw ProbeCancelled{};
      promise.setProgressValueAndText(static_cast<int>(fraction * kProgressSteps), ToQString(what));
    });
    outcome.profile = std::move(report.profile);
    outcome.notes = std::move(report.notes);
  } catch (const ProbeCancelled&) {
    outcome.cancelled = true;
  } catch (const std::exception& error) {
    outcome.error = error.what();
  }
  promise.addResult(std::move(outcome));
}

std::optional<probe::ProbeMode> ParseMode(const std::string& name) {
  if (name == "quick") return probe::ProbeMode::QUICK;
  if (name == "standard") return probe::ProbeMode::STANDARD;
  if (name == "full") return probe::ProbeMode::FULL;
  return std::nullopt;
}

QString Rate(double value, const char* unit) { return ToQString(FormatRate(value, unit)); }

}  // namespace

HardwarePanel::HardwarePanel(QWidget* parent) : QWidget(parent) {
  mode_ = new QComboBox;
  mode_->setObjectName("hw_probe_mode");
  mode_->addItem(tr("quick (small shapes, under a minute)"), QStringLiteral("quick"));
  mode_->addItem(tr("standard"), QStringLiteral("standard"));
  mode_->addItem(tr("full (the whole sweep)"), QStringLiteral("full"));
  mode_->setToolTip(tr("The probe's sweep, as `scaleplan probe --quick`, (standard) or `--full`"));
  mode_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  mode_->setMinimumContentsLength(12);

  probe_button_ = new QPushButton(tr("Run probe"));
  probe_button_->setObjectName("hw_probe");
  probe_button_->setToolTip(tr("Measure this machine's FLOP/s and bandwidth with the sparse-dictionary kernels, "
                               "as `scaleplan probe` does"));
  cancel_button_ = new QPushButton(tr("Cancel"));
  cancel_button_->setObjectName("hw_cancel");
  cancel_button_->setEnabled(false);
  load_button_ = new QPushButton(tr("Load profile…"));
  load_button_->setObjectName("hw_load");
  save_button_ = new QPushButton(tr("Save profile…"));
  save_button_->setObjectName("hw_save");
  save_button_->setEnabled(false);
  roofline_button_ = new QPushButton(tr("Show roofline"));
  roofline_button_->setObjectName("hw_show_roofline");
  roofline_button_->setEnabled(false);
  collectives_button_ = new QPushButton(tr("Show interconnect"));
  collectives_button_->setObjectName("hw_show_collectives");
  collectives_button_->setToolTip(tr("Bus bandwidth against message size per collective, from a profile measured "
                                     "with 'scaleplan probe --collectives'"));
  collectives_button_->setEnabled(false);
  use_for_plans_ = new QCheckBox(tr("Plan with these peaks"));
  use_for_plans_->setObjectName("hw_use_profile");
  use_for_plans_->setChecked(true);
  use_for_plans_->setToolTip(tr("The Plan and Dictionary panels use the measured figures, as `scaleplan plan "
                                "--profile` and `scaleplan dictionary --profile` do: the measured dense GEMM rate "
                                "and bandwidth replace the catalogue's peaks (memory and price stay the "
                                "catalogue's)"));

  progress_ = new QProgressBar;
  progress_->setObjectName("hw_progress");
  progress_->setRange(0, kProgressSteps);
  progress_->setValue(0);
  progress_->setTextVisible(true);
  progress_->setFormat(tr("idle"));

  status_ = new QLabel(tr("No profile yet: run the probe, or load one written by `scaleplan probe --out`."));
  status_->setObjectName("hw_status");
  status_->setWordWrap(true);
  status_->setTextFormat(Qt::PlainText);

  device_ = ValueLabel("hw_device");
  peak_ = ValueLabel("hw_peak");
  bandwidth_ = ValueLabel("hw_bandwidth");
  ridge_ = ValueLabel("hw_ridge");
  host_ = ValueLabel("hw_host");
  notes_ = ValueLabel("hw_notes", Tone::SECONDARY);
  notes_->setText(QString());
  notes_->hide();

  kernels_ = new QTableWidget(0, 10);
  kernels_->setObjectName("hw_kernels");
  kernels_->setHorizontalHeaderLabels({tr("kernel"), tr("type"), tr("batch"), tr("d"), tr("n"), tr("k"),
                                       tr("GFLOP/s"), tr("GB/s"), tr("FLOP/B"), tr("roof")});
  kernels_->verticalHeader()->setVisible(false);
  kernels_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  kernels_->setSelectionBehavior(QAbstractItemView::SelectRows);
  kernels_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  kernels_->horizontalHeader()->setStretchLastSection(true);
  kernels_->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  kernels_->setWordWrap(false);
  kernels_->setToolTip(tr("Every kernel measurement of the profile: achieved rates, arithmetic intensity and the "
                          "fraction of the roofline (min(peak, bandwidth x intensity)) reached"));

  auto* run = new QGroupBox(tr("Measure or load"));
  auto* run_layout = new QVBoxLayout(run);
  auto* mode_row = new QFormLayout;
  mode_row->addRow(tr("Probe"), mode_);
  run_layout->addLayout(mode_row);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(probe_button_);
  buttons->addWidget(cancel_button_);
  buttons->addWidget(progress_, 1);
  run_layout->addLayout(buttons);
  auto* files = new QHBoxLayout;
  files->addWidget(load_button_);
  files->addWidget(save_button_);
  files->addWidget(roofline_button_);
  files->addWidget(collectives_button_);
  files->addStretch(1);
  run_layout->addLayout(files);
  run_layout->addWidget(status_);

  auto* shown = new QGroupBox(tr("Profile"));
  auto* form = new QFormLayout(shown);
  form->addRow(tr("Device"), device_);
  form->addRow(tr("Peak"), peak_);
  form->addRow(tr("Bandwidth"), bandwidth_);
  form->addRow(tr("Ridge point"), ridge_);
  form->addRow(tr("Host"), host_);
  form->addRow(QString(), use_for_plans_);
  form->addRow(notes_);  // spanning: QFormLayout sizes it by its wrapped height

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(run);
  layout->addWidget(shown);
  layout->addWidget(kernels_, 1);

  connect(probe_button_, &QPushButton::clicked, this, &HardwarePanel::StartProbe);
  connect(cancel_button_, &QPushButton::clicked, this, &HardwarePanel::CancelProbe);
  connect(load_button_, &QPushButton::clicked, this, &HardwarePanel::ChooseAndLoad);
  connect(save_button_, &QPushButton::clicked, this, &HardwarePanel::ChooseAndSave);
  connect(roofline_button_, &QPushButton::clicked, this, &HardwarePanel::ShowRooflineRequested);
  connect(collectives_button_, &QPushButton::clicked, this, &HardwarePanel::ShowCollectivesRequested);
  connect(use_for_plans_, &QCheckBox::toggled, this, &HardwarePanel::ProfileChanged);
  connect(&watcher_, &QFutureWatcher<ProbeOutcome>::progressValueChanged, progress_, &QProgressBar::setValue);
  connect(&watcher_, &QFutureWatcher<ProbeOutcome>::progressTextChanged, this, [this](const QString& text) {
    // The step's name, shortened to what the bar holds beside its percentage (the whole name in the tooltip).
    const QFontMetrics metrics = progress_->fontMetrics();
    const int room = progress_->contentsRect().width() - metrics.horizontalAdvance(QStringLiteral(" (100%)")) - 12;
    progress_->setToolTip(text);
    progress_->setFormat(text.isEmpty()
                             ? QString()
                             : metrics.elidedText(text, Qt::ElideMiddle, std::max(room, 0)) + QStringLiteral(" (%p%)"));
  });
  connect(&watcher_, &QFutureWatcher<ProbeOutcome>::finished, this, &HardwarePanel::OnProbeDone);
}

HardwarePanel::~HardwarePanel() {
  // The probe holds the machine's cores: stop it at its next step and wait, without reporting to a deleted panel.
  watcher_.disconnect(this);
  watcher_.cancel();
  watcher_.waitForFinished();
}

std::optional<MeasuredProfile> HardwarePanel::ProfileForPlans() const {
  if (!use_for_plans_->isChecked()) return std::nullopt;
  return profile_;
}

bool HardwarePanel::UseForPlans() const { return use_for_plans_->isChecked(); }

void HardwarePanel::SetUseForPlans(bool use) { use_for_plans_->setChecked(use); }

std::string HardwarePanel::ProbeMode() const { return mode_->currentData().toString().toStdString(); }

void HardwarePanel::SetProbeMode(const std::string& mode) {
  const int index = mode_->findData(ToQString(mode));
  if (index >= 0) mode_->setCurrentIndex(index);
}

QString HardwarePanel::ErrorText() const { return status_is_error_ ? status_->text() : QString(); }

bool HardwarePanel::IsProbing() const { return watcher_.isRunning(); }

void HardwarePanel::StartProbe() {
  if (IsProbing()) return;
  probe::ProbeOptions options;
  options.mode = *ParseMode(ProbeMode());
  options.backend = probe::BackendChoice::AUTO;
  SetBusy(true);
  progress_->setValue(0);
  progress_->setFormat(tr("starting"));
  SetStatus(tr("Probing this machine (%1)… the plans keep the previous figures until it finishes.")
                .arg(ToQString(ProbeMode())),
            false);
  watcher_.setFuture(QtConcurrent::run(&RunProbeTask, options));
}

void HardwarePanel::CancelProbe() {
  if (!IsProbing()) return;
  watcher_.cancel();
  cancel_button_->setEnabled(false);
  SetStatus(tr("Cancelling: the kernel being timed finishes first…"), false);
}

void HardwarePanel::OnProbeDone() {
  SetBusy(false);
  const bool cancelled = watcher_.isCanceled() || watcher_.future().resultCount() == 0;
  const ProbeOutcome outcome = cancelled ? ProbeOutcome{} : watcher_.result();
  if (cancelled || outcome.cancelled) {
    progress_->setValue(0);
    progress_->setFormat(tr("cancelled"));
    SetStatus(profile_ ? tr("Probe cancelled; the previous profile is kept.") : tr("Probe cancelled."), false);
    emit ProbeFinished(false);
    return;
  }
  if (!outcome.profile) {
    progress_->setValue(0);
    progress_->setFormat(tr("failed"));
    SetStatus(tr("The probe failed: %1").arg(ToQString(outcome.error)), true);
    emit ProbeFinished(false);
    return;
  }
  progress_->setValue(kProgressSteps);
  progress_->setFormat(tr("done"));
  const QString label = tr("probe of this machine at %1").arg(QTime::currentTime().toString(QStringLiteral("HH:mm")));
  SetProfile(*outcome.profile, label.toStdString(), QString());
  QString notes;
  for (const std::string& note : outcome.notes) notes += (notes.isEmpty() ? "" : "\n") + ToQString(note);
  notes_->setText(notes);
  notes_->setVisible(!notes.isEmpty());
  SetStatus(tr("Measured %1 kernels. Save the profile to use it with `scaleplan plan --profile`.")
                .arg(outcome.profile->kernels.size()),
            false);
  emit ProbeFinished(true);
}

bool HardwarePanel::LoadProfile(const QString& path, QString* error) {
  try {
    const std::string file = path.toStdString();
    const HardwareProfile profile = HardwareProfileFromJson(ReadWholeFile(file), file);
    SetProfile(profile, file, path);
    notes_->setText(QString());
    notes_->hide();
    SetStatus(tr("Loaded %1 (%2 kernels).").arg(path).arg(profile.kernels.size()), false);
    return true;
  } catch (const std::exception& failure) {
    *error = QString::fromUtf8(failure.what());
    SetStatus(*error, true);
    return false;
  }
}

bool HardwarePanel::SaveProfile(const QString& path, QString* error) {
  if (!profile_) {
    *error = tr("There is no profile to save yet");
    SetStatus(*error, true);
    return false;
  }
  const QByteArray contents = QByteArray::fromStdString(HardwareProfileToJson(profile_->profile));
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly) || file.write(contents) != contents.size() || !file.commit()) {
    *error = QStringLiteral("%1: cannot write: %2").arg(path, file.errorString());
    SetStatus(*error, true);
    return false;
  }
  profile_->label = path.toStdString();
  profile_path_ = path;
  SetStatus(tr("Profile saved to %1").arg(path), false);
  emit ProfileChanged();  // the plans now name the file
  return true;
}

void HardwarePanel::ChooseAndLoad() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Load hardware profile"), QString(),
                                                    tr("Hardware profiles (*.json);;All files (*)"));
  QString error;
  if (!path.isEmpty()) LoadProfile(path, &error);
}

void HardwarePanel::ChooseAndSave() {
  QString path = QFileDialog::getSaveFileName(this, tr("Save hardware profile"), QStringLiteral("profile.json"),
                                              tr("Hardware profiles (*.json)"));
  if (path.isEmpty()) return;
  if (QFileInfo(path).suffix().isEmpty()) path += QStringLiteral(".json");
  QString error;
  SaveProfile(path, &error);
}

void HardwarePanel::SetProfile(const HardwareProfile& profile, const std::string& label, const QString& path) {
  profile_ = MeasuredProfile{profile, label};
  profile_path_ = path;
  ShowProfile();
  save_button_->setEnabled(true);
  roofline_button_->setEnabled(HasKernelMeasurements(profile));
  collectives_button_->setEnabled(HasCollectiveMeasurements(profile));
  emit ProfileChanged();
}

void HardwarePanel::ShowProfile() {
  const HardwareProfile& p = profile_->profile;
  device_->setText(tr("%1 (%2 backend)").arg(ToQString(p.device.empty() ? std::string("unnamed device") : p.device),
                                             ToQString(p.backend)));
  peak_->setText(tr("%1 dense GEMM (best measured)%2")
                     .arg(Rate(p.peak_flops, "FLOP"))
                     .arg(p.calibration.fma_peak_flops > 0
                              ? tr("; FMA loop %1").arg(Rate(p.calibration.fma_peak_flops, "FLOP"))
                              : QString()));
  peak_->setToolTip(QString::number(p.peak_flops, 'g', 17));
  bandwidth_->setText(tr("%1 triad beyond the caches").arg(Rate(p.bandwidth_bytes_per_s, "B")));
  bandwidth_->setToolTip(QString::number(p.bandwidth_bytes_per_s, 'g', 17));
  const double ridge = HasKernelMeasurements(p) ? p.peak_flops / p.bandwidth_bytes_per_s : 0.0;
  ridge_->setText(HasKernelMeasurements(p) ? tr("%1 FLOP/byte: kernels below it are memory-bound").arg(ridge, 0, 'g', 3)
                                           : tr("– (no kernel measurements: an interconnect-only profile)"));
  ridge_->setToolTip(QString::number(ridge, 'g', 17));
  QString host = tr("%1 threads").arg(p.host.threads);
  if (!p.host.blas_corename.empty()) host += tr(", OpenBLAS %1").arg(ToQString(p.host.blas_corename));
  if (!p.host.isa.empty()) {
    QString isa;
    for (const std::string& flag : p.host.isa) isa += (isa.isEmpty() ? "" : " ") + ToQString(flag);
    host += QStringLiteral(" (%1)").arg(isa);
  }
  if (p.cuda_device) {
    host = tr("%1 SMs, %2 memory").arg(p.cuda_device->sm_count).arg(ToQString(FormatBytes(p.cuda_device->memory_bytes)));
  }
  host_->setText(host);

  kernels_->setRowCount(static_cast<int>(p.kernels.size()));
  for (int row = 0; row < static_cast<int>(p.kernels.size()); ++row) {
    const KernelMeasurement& k = p.kernels[static_cast<size_t>(row)];
    const auto integer = [](std::int64_t value) {
      return value > 0 ? QString::number(static_cast<qlonglong>(value)) : QStringLiteral("–");
    };
    const QString texts[] = {ToQString(k.name),
                             ToQString(k.dtype),
                             integer(k.batch),
                             integer(k.d),
                             k.n > 0 ? ToQString(FormatQuantity(static_cast<double>(k.n), 3)) : QStringLiteral("–"),
                             integer(k.k),
                             QString::number(k.flops_per_second / 1e9, 'f', 1),
                             QString::number(k.bytes_per_second / 1e9, 'f', 1),
                             QString::number(k.arithmetic_intensity, 'g', 3),
                             QStringLiteral("%1%").arg(100.0 * k.roofline_fraction, 0, 'f', 0)};
    const double values[] = {0, 0, static_cast<double>(k.batch), static_cast<double>(k.d), static_cast<double>(k.n),
                             static_cast<double>(k.k), k.flops_per_second, k.bytes_per_second,
                             k.arithmetic_intensity, k.roofline_fraction};
    for (int column = 0; column < 10; ++column) {
      auto* item = new QTableWidgetItem(texts[column]);
      if (column >= 2) {
        item->setData(Qt::UserRole, values[column]);
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      }
      kernels_->setItem(row, column, item);
    }
  }
}

void HardwarePanel::SetStatus(const QString& text, bool is_error) {
  status_->setText(text);
  SetTone(status_, is_error ? Tone::BAD : Tone::PLAIN);
  status_->setProperty("is_error", is_error);
  status_is_error_ = is_error;
}

void HardwarePanel::SetBusy(bool busy) {
  probe_button_->setEnabled(!busy);
  mode_->setEnabled(!busy);
  cancel_button_->setEnabled(busy);
}

}  // namespace scaleplan::gui
