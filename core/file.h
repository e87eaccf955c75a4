// Reading a whole file, with the one error message every reader gives when it cannot.
#ifndef SCALEPLAN_CORE_FILE_H_
#define SCALEPLAN_CORE_FILE_H_

#include <string>

namespace scaleplan {

// The bytes of the file at `path`. Throws InputError naming the path ("cannot read the file (No such file or
// directory)") when it cannot be opened or read.
std::string ReadWholeFile(const std::string& path);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_FILE_H_
