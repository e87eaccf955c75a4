// Reading a whole file, with the one error message every reader gives when it cannot; and where an output to a
// path really goes.
#ifndef SCALEPLAN_CORE_FILE_H_
#define SCALEPLAN_CORE_FILE_H_

#include <string>

namespace scaleplan {

// The bytes of the file at `path`. Throws InputError naming the path when it cannot be opened ("cannot read the
// file (No such file or directory)"), is a directory ("is a directory, not a file") or fails while being read ("read
// error after 0 bytes (Input/output error)"): none of these reads as an empty file.
std::string ReadWholeFile(const std::string& path);

// Where the bytes of an output named `path` go. A regular file (or a new one) is replaced atomically: written to a
// temporary file beside it and renamed over it. A symbolic link is followed to the file it leads to (a link to a
// link too, a dangling link to the file it would create), and that file is the one replaced, so the link stays a
// link. A character device, FIFO, socket or block device (/dev/null, a named pipe, /dev/full), and any path whose
// links pass through /proc (/dev/stdout, /dev/fd/N, a process's descriptor), is written in place: renaming a file
// over it would destroy the device node or lose the reader.
struct OutputTarget {
  std::string path;     // the file to write: `path`, or where its links lead
  bool direct = false;  // written in place (open, write, close), without a temporary file
};
OutputTarget ResolveOutputTarget(const std::string& path);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_FILE_H_
