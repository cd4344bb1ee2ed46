// When a process's install step (statefun.yaml `install:`, dev_config.h
// InstallStep) must run: its fingerprint - the step's command and working
// directory, and the path and bytes of every input file - differs from the
// one recorded after it last succeeded. Records live in the data directory
// (`.statefun/installs/<process>`), so neither a hot reload nor a restart of
// `statefun dev` runs `npm install` again while package.json and
// package-lock.json stay the same.
//
// Pure file reading and writing; the supervisor runs the step.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "emulator/config/dev_config.h"
#include "runtime/core/result.h"

namespace statefun::emulator {

// The dependency files an install step reads when statefun.yaml names no
// `inputs`: package.json, package-lock.json, requirements.txt, pom.xml,
// CMakeLists.txt, go.mod, go.sum, ... (those that exist are used).
const std::vector<std::string>& default_install_inputs();

// The input files of `spec`'s install step, relative to its working_dir,
// sorted: its `inputs` globs matched under working_dir (folders that start
// with a dot, node_modules and __pycache__ are not searched unless a glob
// names them), or the default list.
std::vector<std::string> install_input_files(const ProcessSpec& spec);

// A hex digest of the step and its inputs (64-bit FNV-1a: change
// detection, not security). A file that cannot be read counts as missing.
std::string install_fingerprint(const ProcessSpec& spec);

// The fingerprints recorded under `dir`, one file per process.
class InstallRecords {
 public:
  explicit InstallRecords(std::string dir) : m_dir(std::move(dir)) {}

  // The fingerprint of `process`'s last successful install; nullopt if none.
  std::optional<std::string> last(const std::string& process) const;
  // Records a success (written to a temporary file, then renamed).
  Result<void> record(const std::string& process, const std::string& fingerprint) const;

 private:
  std::string m_dir;
};

}  // namespace statefun::emulator
