// Small widget builders shared by the panels, so that a value, an error, an accelerator choice or a device count
// looks and behaves the same in every dock.
#ifndef SCALEPLAN_GUI_WIDGETS_H_
#define SCALEPLAN_GUI_WIDGETS_H_

#include <initializer_list>
#include <string>

#include <QString>

class QComboBox;
class QLabel;
class QSpinBox;

namespace scaleplan::gui {

inline QString ToQString(const std::string& text) { return QString::fromStdString(text); }

// All 17 significant digits: the text reads back as the same double (what a session or a field must keep).
inline QString ExactNumber(double value) { return QString::number(value, 'g', 17); }

// A count as people write it ("8B", "15.6T", "4M", "1e+20") when that reads back as the same number, else all its
// digits (ExactNumber): what a field restored from a session shows.
QString QuantityText(double value);

// What a label's colour says: nothing (plain), provenance or notes (secondary, grey), a warning (amber), good news
// (green), an error or a verdict against (red).
enum class Tone { PLAIN, SECONDARY, WARNING, GOOD, BAD };
void SetTone(QLabel* label, Tone tone);

// A read-only result: plain text the user can select and copy, wrapped, "–" until set.
QLabel* ValueLabel(const char* object_name, Tone tone = Tone::PLAIN);

// Results that matter most in a panel: larger and bold.
void EmphasiseLabels(std::initializer_list<QLabel*> labels);

// An error line under a panel's inputs: plain, wrapped, selectable, red, hidden until an error is shown.
QLabel* ErrorLabel(const char* object_name);

// The bundled catalogue's accelerators, each with a tooltip of its memory, dense bf16 peak, price and source.
QComboBox* AcceleratorComboBox(const char* object_name);

// A device count up to ten million; 0 shows "auto", which `tooltip` explains (the fewest devices that hold ...).
QSpinBox* DeviceCountSpinBox(const char* object_name, const QString& tooltip);

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_WIDGETS_H_
