// The Help menu's pages: the sections of the project's README (embedded at build time), each shown as formatted
// Markdown, and the About box.
#ifndef SCALEPLAN_GUI_HELP_H_
#define SCALEPLAN_GUI_HELP_H_

#include <string>
#include <string_view>
#include <vector>

namespace scaleplan::gui {

struct HelpSection {
  std::string title;     // the "## " heading's text, e.g. "Planning: `scaleplan plan`"
  std::string markdown;  // the heading and everything up to the next "## " heading
};

// The "## " sections of `markdown`, in order. Headings inside ``` code blocks do not count; the text before the first
// section (the title and introduction) is the first section, titled "Overview".
std::vector<HelpSection> SplitMarkdownSections(std::string_view markdown);

// The README's sections (SplitMarkdownSections of the copy embedded when scaleplan-gui was built).
const std::vector<HelpSection>& ReadmeSections();

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_HELP_H_
