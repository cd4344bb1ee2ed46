// Keeps a crash loop readable: a process that prints the same output and
// exits again, restart after restart, has that output shown once; later runs
// whose output is the same (digits aside: times and pids change) are held
// back and summed up in one line per restart.
//
// Per process: the lines of its last run that ended in an exit are the
// reference. While a new run prints the reference's lines in order, they are
// held; the first line that differs, or the process becoming ready (or being
// reported not ready, or stopped), releases what was held, to be printed, and
// the run is shown as usual from then on. An exit with every line held is a
// repeat.
//
// A plain value, fed by the console under its lock. Thread-compatible.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace statefun::emulator {

class CrashLoopFilter {
 public:
  // A run of `process` started. True when the previous run was already a
  // repeat (the loop is established: its start needs no line of its own).
  bool started(const std::string& process);
  // A line of output: empty when it is held back; otherwise the lines to
  // print now (earlier held ones first, then this one).
  std::vector<std::string> line(const std::string& process, const std::string& text);
  // The run is not a repeat after all (ready, not ready, stopped): the lines
  // held so far, to print.
  std::vector<std::string> release(const std::string& process);
  // The run ended in an exit. Returns how many runs in a row printed the
  // same output and exited (2 for the first repeat), or 0 when this run is
  // not a repeat; then `flush` gets the lines still held, to print.
  int exited(const std::string& process, std::vector<std::string>& flush);

 private:
  struct Run {
    std::vector<std::string> reference;  // the previous crashed run's lines
    bool has_reference = false;
    std::vector<std::string> current;  // this run's lines
    std::size_t held = 0;              // lines of `current` not printed
    bool diverged = false;             // printed something the reference did not
    int repeats = 1;                   // runs in a row with the reference's output
    bool last_exit_repeated = false;   // the last run ended as a repeat
  };
  static std::string folded(const std::string& text);
  std::map<std::string, Run> m_runs;
};

}  // namespace statefun::emulator
