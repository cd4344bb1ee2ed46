// What `statefun dev` prints: a start banner, one line per step, failures
// and recoveries in red/green, warnings. Colour only when asked (a terminal).
// Thread-safe: lines from the engine thread and the servers never interleave.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>

#include "runtime/dispatcher.h"

namespace statefun::emulator {

struct ConsoleOptions {
  bool color = false;
  bool quiet = false;  // steps are not printed; warnings and errors are
  std::FILE* out = stdout;
  std::FILE* err = stderr;
};

class Console final : public DispatcherObserver {
 public:
  explicit Console(ConsoleOptions options) : m_options(options) {}

  void info(const std::string& line);
  void warn(const std::string& line);
  void error(const std::string& line);

  void on_step(const TraceRecord& step) override;
  void on_call_failed(const Address& address, const std::string& reason, int attempt) override;
  void on_recovered(const Address& address, int failed_attempts) override;
  void on_states_registered(const FunctionType& type, const std::vector<StateSpec>& specs) override;
  void on_unroutable(const FunctionType& type) override;
  void on_fatal(const Error& error) override;

 private:
  std::string paint(const char* code, const std::string& text) const;
  void write(std::FILE* stream, const std::string& line);

  ConsoleOptions m_options;
  std::mutex m_mutex;
};

}  // namespace statefun::emulator
