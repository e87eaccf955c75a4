#include "gui/sparsity_chart.h"

#include <algorithm>
#include <cmath>

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineSeries>
#include <QPainter>
#include <QScatterSeries>
#include <QVBoxLayout>
#include <QValueAxis>

#include "core/units.h"
#include "gui/session.h"
#include "gui/widgets.h"

namespace scaleplan::gui {
namespace {

constexpr double kMaxSparsity = 0.99;  // the input's and the optimum search's upper bound (as plan's --max-sparsity)

void Attach(QChart* chart, QAbstractSeries* series, QValueAxis* x, QValueAxis* y) {
  chart->addSeries(series);
  series->attachAxis(x);
  series->attachAxis(y);
}

QScatterSeries* Point(const char* object_name, const QString& name, double sparsity, double loss, QColor color) {
  auto* point = new QScatterSeries;
  point->setObjectName(object_name);
  point->setName(name);
  point->setMarkerSize(10.0);
  point->setColor(color);
  point->append(sparsity, loss);
  return point;
}

}  // namespace

QChart* BuildSparsityChart(const SparsityCurve& curve, const SparsePlan& chosen) {
  auto* chart = new QChart;
  chart->setTitle(
      QObject::tr("Loss against sparsity at %1 FLOPs (%2)")
          .arg(ToQString(FormatScientific(chosen.training_flops, 3)), ToQString(SparseMethodName(chosen.method))));
  auto* x = new QValueAxis;
  x->setObjectName("sparsity_axis");
  x->setTitleText(QObject::tr("sparsity S (fraction of zero weights)"));
  x->setRange(0.0, 1.0);
  x->setTickCount(6);
  x->setLabelFormat("%.1f");
  chart->addAxis(x, Qt::AlignBottom);

  double lo = std::min({curve.dense.loss_nats, curve.optimum.loss_nats, chosen.loss_nats});
  double hi = std::max(curve.dense.loss_nats, chosen.loss_nats);
  auto* line = new QLineSeries;
  line->setObjectName(kSparsityCurveSeries);
  line->setName(QObject::tr("%1, compute-optimal N and D at each S").arg(ToQString(SparseMethodName(chosen.method))));
  for (const SparsePlan& plan : curve.plans) {
    line->append(plan.sparsity, plan.loss_nats);
    lo = std::min(lo, plan.loss_nats);
    hi = std::max(hi, plan.loss_nats);
  }
  const double margin = std::max(0.05 * (hi - lo), 1e-3);
  auto* y = new QValueAxis;
  y->setObjectName("loss_axis");
  y->setTitleText(QObject::tr("loss (nats)"));
  y->setRange(lo - margin, hi + margin);
  y->setLabelFormat("%.3f");
  chart->addAxis(y, Qt::AlignLeft);
  Attach(chart, line, x, y);

  auto* dense = new QLineSeries;
  dense->setObjectName(kSparsityDenseSeries);
  dense->setName(QObject::tr("dense plan, %1").arg(ToQString(FormatNumber(curve.dense.loss_nats, 4))));
  dense->append(0.0, curve.dense.loss_nats);
  dense->append(1.0, curve.dense.loss_nats);
  QPen pen = dense->pen();
  pen.setStyle(Qt::DashLine);
  pen.setColor(Qt::gray);
  dense->setPen(pen);
  Attach(chart, dense, x, y);

  Attach(
      chart,
      Point(kSparsityOptimumSeries, QObject::tr("optimum S %1").arg(ToQString(FormatNumber(curve.optimum.sparsity, 3))),
            curve.optimum.sparsity, curve.optimum.loss_nats, QColor(0x2e, 0x7d, 0x32)),
      x, y);
  Attach(chart,
         Point(kSparsityChosenSeries, QObject::tr("S %1").arg(ToQString(FormatNumber(chosen.sparsity, 3))),
               chosen.sparsity, chosen.loss_nats, QColor(0xc6, 0x28, 0x28)),
         x, y);
  chart->legend()->setAlignment(Qt::AlignBottom);
  return chart;
}

SparsityBox::SparsityBox(QWidget* parent)
    : QGroupBox(tr("Sparse model (Frantar et al. 2023, T5 law)"), parent),
      budget_flops_(kDefaultBudgetFlops),
      law_(FrantarT5Law()) {
  setObjectName("sparsity_box");
  sparsity_ = new QDoubleSpinBox;
  sparsity_->setObjectName("sparsity");
  sparsity_->setRange(0.0, kMaxSparsity);
  sparsity_->setDecimals(3);
  sparsity_->setSingleStep(0.05);
  sparsity_->setValue(0.5);
  sparsity_->setToolTip(tr("Weight sparsity S, the fraction of weights that are zero, in [0, 0.99]"));

  method_ = new QComboBox;
  method_->setObjectName("sparse_method");
  for (SparseMethod method :
       {SparseMethod::RIGL, SparseMethod::STATIC, SparseMethod::SET, SparseMethod::SNFS, SparseMethod::GMP}) {
    method_->addItem(ToQString(SparseMethodName(method)), static_cast<int>(method));
  }
  method_->setToolTip(
      tr("How the sparse model is trained, which sets its FLOPs per step (Evci et al. 2020): rigl "
         "and snfs compute dense gradients, gmp trains dense before pruning (Zhu and Gupta 2017), "
         "static and set pay only for the non-zero weights"));

  nonzero_params_ = ValueLabel("sparse_nonzero_params");
  params_ = ValueLabel("sparse_params");
  tokens_ = ValueLabel("sparse_tokens");
  loss_ = ValueLabel("sparse_loss");
  optimum_ = ValueLabel("sparse_optimum");
  note_ = ValueLabel("sparse_note", Tone::SECONDARY);
  note_->setText(
      tr("The budget counts the FLOPs the method executes with ideal sparse kernels; unstructured "
         "sparsity runs at dense speed on tensor cores. D assumes the T5 runs' 65,536 tokens per step."));

  view_ = new QChartView;
  view_->setObjectName("sparsity_chart");
  view_->setRenderHint(QPainter::Antialiasing);
  view_->setMinimumHeight(240);

  auto* form = new QFormLayout;
  form->addRow(tr("Sparsity S"), sparsity_);
  form->addRow(tr("Method"), method_);
  form->addRow(tr("Non-zero N"), nonzero_params_);
  form->addRow(tr("N with zeros"), params_);
  form->addRow(tr("Tokens D"), tokens_);
  form->addRow(tr("Loss"), loss_);
  form->addRow(tr("Best S"), optimum_);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(view_);
  layout->addWidget(note_);

  connect(sparsity_, &QDoubleSpinBox::valueChanged, this, &SparsityBox::Recompute);
  connect(method_, &QComboBox::currentIndexChanged, this, &SparsityBox::Recompute);
  Recompute();
}

void SparsityBox::SetBudget(double budget_flops) {
  if (!(budget_flops > 0) || !std::isfinite(budget_flops) || budget_flops == budget_flops_) return;
  budget_flops_ = budget_flops;
  Recompute();
}

double SparsityBox::sparsity() const { return sparsity_->value(); }

void SparsityBox::SetSparsity(double sparsity) { sparsity_->setValue(std::clamp(sparsity, 0.0, kMaxSparsity)); }

SparseMethod SparsityBox::method() const { return static_cast<SparseMethod>(method_->currentData().toInt()); }

QChart* SparsityBox::chart() const { return view_->chart(); }

void SparsityBox::Recompute() {
  const SparseMethod method = this->method();
  curve_ = MakeSparsityCurve(law_, budget_flops_, method, {}, 100, kMaxSparsity);
  plan_ = PlanSparseAtSparsity(law_, budget_flops_, sparsity(), method);
  nonzero_params_->setText(ToQString(FormatQuantity(plan_.num_nonzero_params)));
  params_->setText(ToQString(FormatQuantity(plan_.num_params)));
  tokens_->setText(ToQString(FormatQuantity(plan_.num_tokens)));
  loss_->setText(
      tr("%1 (dense plan at the same budget %2)")
          .arg(ToQString(FormatNumber(plan_.loss_nats, 4)), ToQString(FormatNumber(curve_.dense.loss_nats, 4))));
  optimum_->setText(tr("S %1, loss %2, non-zero N %3%4")
                        .arg(ToQString(FormatNumber(curve_.optimum.sparsity, 3)),
                             ToQString(FormatNumber(curve_.optimum.loss_nats, 4)),
                             ToQString(FormatQuantity(curve_.optimum.num_nonzero_params)),
                             curve_.optimum.sparsity >= kMaxSparsity - 1e-6
                                 ? tr(" (the search's upper bound: this method's cost per non-zero weight does "
                                      "not grow with S)")
                                 : QString()));
  QChart* old = view_->chart();
  view_->setChart(BuildSparsityChart(curve_, plan_));
  delete old;
  emit PlanChanged();
}

}  // namespace scaleplan::gui
