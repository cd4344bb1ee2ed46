// What `statefun dev` prints: a start banner, one line per step (step_line.h,
// the line `statefun trace` prints too), failures and recoveries in
// red/green, warnings, and the function processes' own output prefixed by
// their name, with what happens to them (started, ready, exited,
// restarting). Colour only when ConsoleOptions::color says so. With
// LogFormat::kJson every line is one JSON object instead, for machines.
// Thread-safe: lines from the engine thread, the servers and the process
// supervisor never interleave.
#pragma once

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "emulator/console/crash_loop_filter.h"
#include "emulator/console/failure_digest.h"
#include "emulator/console/terminal_style.h"
#include "emulator/processes/supervisor.h"
#include "runtime/core/thread_annotations.h"
#include "runtime/engine/dispatcher.h"

namespace statefun::emulator {

enum class LogFormat { kPlain, kJson };

struct ConsoleOptions {
  // Plain format only (JSON is never coloured); decided by the caller with
  // terminal_style.h's use_color(), the one colour decision.
  bool color = false;
  bool quiet = false;  // steps are not printed; warnings and errors are
  LogFormat format = LogFormat::kPlain;
  std::FILE* out = stdout;
  std::FILE* err = stderr;  // plain format only; JSON goes to `out`
};

// What the start banner shows.
struct Banner {
  std::string version;
  std::string module_path;
  std::string config_path;  // statefun.yaml, empty when there is none
  std::string data_dir;
  std::string listen_host;
  int ingress_port = 0;  // 0: no playground ingress
  int egress_port = 0;   // 0: no playground egress
  std::vector<std::string> topics;
  int admin_port = 0;
  struct Route {
    std::string functions;  // as written in module.yaml
    std::string url;        // where it resolves to
    std::string process;    // the function process serving it, if ours
  };
  std::vector<Route> routes;
  int64_t recovered_messages = 0, recovered_timers = 0;
  std::string history;    // what retention keeps, e.g. "1000 versions per entity, ..."
  std::string snapshots;  // automatic snapshots; empty when off
  std::string clock;      // "virtual, stopped at ..."; empty: the wall clock
  // statefun.yaml tls.insecure_skip_verify: said in the banner too, in red.
  bool tls_insecure = false;
};

class Console final : public DispatcherObserver, public ProcessObserver {
 public:
  explicit Console(ConsoleOptions options) : m_options(options), m_style(options.color) {}

  void info(const std::string& line);
  void warn(const std::string& line);
  void error(const std::string& line);

  void banner(const Banner& banner);
  // "statefun dev ready in N ms": everything listens.
  void ready(std::chrono::milliseconds elapsed);

  // DispatcherObserver
  void on_step(const TraceRecord& step) override;
  void on_call_failed(const Address& address, const CallFailure& failure) override;
  void on_recovered(const Address& address, int failed_attempts) override;
  void on_states_registered(const FunctionType& type, const std::vector<StateSpec>& specs) override;
  void on_unroutable(const FunctionType& type) override;
  void on_fatal(const Error& error) override;
  void on_suspended(const Error& error) override;
  void on_resumed() override;

  // ProcessObserver
  void on_output(const std::string& process, OutputStream stream, std::string_view line) override;
  void on_process_event(const ProcessEvent& event) override;

 private:
  bool json() const { return m_options.format == LogFormat::kJson; }
  std::string process_prefix(const std::string& process);
  // `label` is already styled ("warning: " in yellow, ...).
  void log(const char* level, std::FILE* stream, const std::string& label, const std::string& line);
  void write(std::FILE* stream, const std::string& line);
  void write_json(const std::string& json_text);

  ConsoleOptions m_options;
  const Style m_style;
  std::mutex m_mutex;

  // Per function type: recoveries are printed at most once a second; the
  // rest are counted into the next line, so a function that recovers for
  // 1,000 addresses at once prints one line, not 1,000.
  struct Digest {
    std::chrono::steady_clock::time_point last_recovery{};
    int suppressed_recoveries = 0;
  };
  // Returns how many earlier recoveries were held back, or -1 when this one
  // is held back too. Thread-safe.
  int admit_recovery(const FunctionType& type);
  std::string failure_text(const Address& address, const CallFailure& failure);
  void print_output(const std::string& process, OutputStream stream,
                    const std::vector<std::string>& lines);
  Mutex m_digest_mutex;
  std::map<FunctionType, Digest> m_digests STATEFUN_GUARDED_BY(m_digest_mutex);
  // Failures: each reason in full once, then one line per repeat
  // (failure_digest.h); crash loops: the output once (crash_loop_filter.h).
  Mutex m_filter_mutex;
  FailureDigest m_failures STATEFUN_GUARDED_BY(m_filter_mutex);
  CrashLoopFilter m_crash_loops STATEFUN_GUARDED_BY(m_filter_mutex);
  Mutex m_colors_mutex;
  std::map<std::string, std::size_t> m_process_colors STATEFUN_GUARDED_BY(m_colors_mutex);
};

}  // namespace statefun::emulator
