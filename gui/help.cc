#include "gui/help.h"

namespace scaleplan::embedded {
extern const std::string_view kReadmeMarkdown;
}  // namespace scaleplan::embedded

namespace scaleplan::gui {

std::vector<HelpSection> SplitMarkdownSections(std::string_view markdown) {
  std::vector<HelpSection> sections{{"Overview", ""}};
  bool in_code = false;
  size_t begin = 0;
  while (begin < markdown.size()) {
    const size_t end = markdown.find('\n', begin);
    const std::string_view line = markdown.substr(begin, end == std::string_view::npos ? end : end - begin + 1);
    if (line.substr(0, 3) == "```") in_code = !in_code;
    if (!in_code && line.substr(0, 3) == "## ") {
      std::string title(line.substr(3));
      while (!title.empty() && (title.back() == '\n' || title.back() == '\r' || title.back() == ' ')) title.pop_back();
      sections.push_back({title, ""});
    }
    sections.back().markdown += line;
    if (end == std::string_view::npos) break;
    begin = end + 1;
  }
  if (sections.front().markdown.find_first_not_of(" \n\r") == std::string::npos) sections.erase(sections.begin());
  return sections;
}

const std::vector<HelpSection>& ReadmeSections() {
  static const std::vector<HelpSection> sections = SplitMarkdownSections(embedded::kReadmeMarkdown);
  return sections;
}

}  // namespace scaleplan::gui
