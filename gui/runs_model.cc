#include "gui/runs_model.h"

#include <cmath>

#include <QBrush>
#include <QColor>

#include "core/units.h"

namespace scaleplan::gui {
namespace {

bool Positive(double value) { return std::isfinite(value) && value > 0.0; }

QString Exact(double value) { return QString::number(value, 'g', 10); }

}  // namespace

RunsModel::RunsModel(QObject* parent) : QAbstractTableModel(parent) {}

void RunsModel::SetTable(RunsTable table) {
  beginResetModel();
  table_ = std::move(table);
  excluded_.assign(table_.runs.size(), false);
  endResetModel();
  emit IncludedRunsChanged();
}

bool RunsModel::IsExcluded(int row) const {
  return row >= 0 && static_cast<size_t>(row) < excluded_.size() && excluded_[static_cast<size_t>(row)];
}

void RunsModel::SetExcluded(const std::vector<int>& rows, bool excluded) {
  bool changed = false;
  for (int row : rows) {
    if (row < 0 || static_cast<size_t>(row) >= excluded_.size()) continue;
    if (excluded_[static_cast<size_t>(row)] == excluded) continue;
    excluded_[static_cast<size_t>(row)] = excluded;
    changed = true;
    emit dataChanged(index(row, 0), index(row, kNumColumns - 1));
  }
  if (changed) emit IncludedRunsChanged();
}

std::vector<int> RunsModel::ExcludedRows() const {
  std::vector<int> rows;
  for (size_t i = 0; i < excluded_.size(); ++i) {
    if (excluded_[i]) rows.push_back(static_cast<int>(i));
  }
  return rows;
}

int RunsModel::NumIncluded() const {
  int count = 0;
  for (bool excluded : excluded_) count += excluded ? 0 : 1;
  return count;
}

RunsTable RunsModel::IncludedRuns() const {
  RunsTable out = table_;
  out.runs.clear();
  for (size_t i = 0; i < table_.runs.size(); ++i) {
    if (!excluded_[i]) out.runs.push_back(table_.runs[i]);
  }
  return out;
}

std::vector<TrainingRun> RunsModel::PlottableRuns() const {
  std::vector<TrainingRun> out;
  out.reserve(table_.runs.size());
  for (size_t i = 0; i < table_.runs.size(); ++i) {
    const TrainingRun& run = table_.runs[i];
    if (excluded_[i]) continue;
    if (Positive(run.num_params) && Positive(run.num_tokens) && Positive(run.compute_flops) &&
        Positive(run.loss_nats)) {
      out.push_back(run);
    }
  }
  return out;
}

int RunsModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(table_.runs.size());
}

int RunsModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : kNumColumns; }

QVariant RunsModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const size_t row = static_cast<size_t>(index.row());
  const TrainingRun& run = table_.runs[row];
  const bool excluded = excluded_[row];
  if (index.column() == kColumnIncluded) {
    if (role == Qt::CheckStateRole) return excluded ? Qt::Unchecked : Qt::Checked;
    if (role == kValueRole) return !excluded;
    if (role == Qt::ToolTipRole) return excluded ? tr("excluded from the fit and the charts") : tr("included");
    return {};
  }
  double value = 0.0;
  switch (index.column()) {
    case kColumnParams: value = run.num_params; break;
    case kColumnTokens: value = run.num_tokens; break;
    case kColumnCompute: value = run.compute_flops; break;
    case kColumnLoss: value = run.loss_nats; break;
    case kColumnLine: value = run.line; break;
    default: return {};
  }
  switch (role) {
    case Qt::DisplayRole:
      if (index.column() == kColumnLoss) return QString::number(value, 'f', 4);
      if (index.column() == kColumnLine) return run.line;
      if (index.column() == kColumnCompute) return QString::fromStdString(FormatScientific(value));
      return QString::fromStdString(FormatQuantity(value));
    case kValueRole:
      return value;
    case Qt::ToolTipRole:
      return Exact(value);
    case Qt::TextAlignmentRole:
      return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ForegroundRole:
      if (excluded) return QBrush(QColor(150, 150, 150));
      return {};
    default:
      return {};
  }
}

QVariant RunsModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return QAbstractTableModel::headerData(section, orientation, role);
  if (role == Qt::DisplayRole) {
    switch (section) {
      case kColumnIncluded: return tr("Use");
      case kColumnParams: return tr("N (params)");
      case kColumnTokens: return tr("D (tokens)");
      case kColumnCompute: return tr("C (FLOPs)");
      case kColumnLoss: return tr("Loss (nats)");
      case kColumnLine: return tr("Line");
      default: return {};
    }
  }
  if (role == Qt::ToolTipRole) {
    const auto column_name = [](const std::string& name) {
      return name.empty() ? QString() : QStringLiteral(" (column '%1')").arg(QString::fromStdString(name));
    };
    switch (section) {
      case kColumnIncluded: return tr("Untick to exclude the run from the fit and the charts");
      case kColumnParams: return tr("Parameters, embeddings included") + column_name(table_.params_column);
      case kColumnTokens:
        return tr("Training tokens") + (table_.tokens_from_compute ? tr(", derived as C / (6 N)") : QString()) +
               column_name(table_.tokens_column);
      case kColumnCompute:
        return tr("Training FLOPs") + (table_.compute_from_tokens ? tr(", derived as 6 N D") : QString()) +
               column_name(table_.compute_column);
      case kColumnLoss: return tr("Final loss, nats per token") + column_name(table_.loss_column);
      case kColumnLine: return tr("Line in the source file");
      default: return {};
    }
  }
  return {};
}

Qt::ItemFlags RunsModel::flags(const QModelIndex& index) const {
  if (!index.isValid()) return Qt::NoItemFlags;
  Qt::ItemFlags flags = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
  if (index.column() == kColumnIncluded) flags |= Qt::ItemIsUserCheckable;
  return flags;
}

bool RunsModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (!index.isValid() || index.column() != kColumnIncluded || role != Qt::CheckStateRole) return false;
  const bool included = value.toInt() == Qt::Checked;
  SetExcluded({index.row()}, !included);
  return true;
}

}  // namespace scaleplan::gui
