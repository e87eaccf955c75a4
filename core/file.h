// Reading a whole file, with the one error message every reader gives when it cannot.
#ifndef SCALEPLAN_CORE_FILE_H_
#define SCALEPLAN_CORE_FILE_H_

#include <string>

namespace scaleplan {

// The bytes of the file at `path`. Throws InputError naming the path when it cannot be opened ("cannot read the
// file (No such file or directory)"), is a directory ("is a directory, not a file") or fails while being read ("read
// error after 0 bytes (Input/output error)"): none of these reads as an empty file.
std::string ReadWholeFile(const std::string& path);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_FILE_H_
