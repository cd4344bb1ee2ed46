#include "emulator/processes/install_step.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "emulator/processes/file_watcher.h"

namespace statefun::emulator {
namespace fs = std::filesystem;
namespace {

constexpr uint64_t kFnvOffset = 1469598103934665603ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;

// Folders a wildcard never descends into, as the file watcher (build
// outputs and dependency trees would make every install look changed).
bool skipped_folder(const std::string& name, const std::vector<std::string>& globs) {
  const bool noisy = name.starts_with(".") || name == "node_modules" || name == "__pycache__";
  if (!noisy) return false;
  return std::ranges::none_of(
      globs, [&](const std::string& g) { return g.find(name) != std::string::npos; });
}

bool has_wildcard(const std::string& glob) {
  return glob.find_first_of("*?[") != std::string::npos;
}

class Fnv {
 public:
  void add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      m_hash ^= c;
      m_hash *= kFnvPrime;
    }
    // A separator, so ("ab", "c") and ("a", "bc") differ.
    m_hash ^= 0xff;
    m_hash *= kFnvPrime;
  }
  std::string hex() const { return fmt::format("{:016x}", m_hash); }

 private:
  uint64_t m_hash = kFnvOffset;
};

}  // namespace

const std::vector<std::string>& default_install_inputs() {
  static const std::vector<std::string> files = {
      "package.json",   "package-lock.json", "npm-shrinkwrap.json", "yarn.lock",
      "pnpm-lock.yaml", "requirements.txt",  "pyproject.toml",      "setup.py",
      "setup.cfg",      "Pipfile.lock",      "poetry.lock",         "go.mod",
      "go.sum",         "pom.xml",           "build.gradle",        "build.gradle.kts",
      "CMakeLists.txt", "Cargo.toml",        "Cargo.lock"};
  return files;
}

std::vector<std::string> install_input_files(const ProcessSpec& spec) {
  const fs::path root(spec.working_dir);
  std::set<std::string> found;
  std::error_code ec;
  const auto& globs = spec.install.inputs.empty() ? default_install_inputs() : spec.install.inputs;
  bool walk = false;
  for (const auto& glob : globs) {
    if (has_wildcard(glob)) {
      walk = true;
    } else if (fs::is_regular_file(root / glob, ec)) {
      found.insert(fs::path(glob).lexically_normal().generic_string());
    }
  }
  if (walk && fs::is_directory(root, ec)) {
    for (auto it = fs::recursive_directory_iterator(
             root, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (it->is_directory(ec)) {
        if (skipped_folder(name, globs)) it.disable_recursion_pending();
        continue;
      }
      const std::string relative = it->path().lexically_relative(root).generic_string();
      const bool wanted = std::ranges::any_of(globs, [&](const std::string& glob) {
        return has_wildcard(glob) && glob_match(glob, relative);
      });
      if (wanted && it->is_regular_file(ec)) found.insert(relative);
    }
  }
  return {found.begin(), found.end()};
}

std::string install_fingerprint(const ProcessSpec& spec) {
  Fnv fnv;
  fnv.add(spec.install.command);
  fnv.add(spec.working_dir);
  for (const auto& file : install_input_files(spec)) {
    fnv.add(file);
    std::ifstream in(fs::path(spec.working_dir) / file, std::ios::binary);
    if (!in) {
      fnv.add("(missing)");
      continue;
    }
    fnv.add(std::string(std::istreambuf_iterator<char>(in), {}));
  }
  return fnv.hex();
}

std::optional<std::string> InstallRecords::last(const std::string& process) const {
  std::ifstream in(fs::path(m_dir) / process);
  std::string fingerprint;
  if (!in || !std::getline(in, fingerprint) || fingerprint.empty()) return std::nullopt;
  return fingerprint;
}

Result<void> InstallRecords::record(const std::string& process,
                                    const std::string& fingerprint) const {
  std::error_code ec;
  fs::create_directories(m_dir, ec);
  const fs::path target = fs::path(m_dir) / process;
  const fs::path temporary = fs::path(m_dir) / ("." + process + ".tmp");
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << fingerprint << '\n';
    if (!out.flush()) {
      return make_error(ErrorCode::kIo, fmt::format("cannot write {}", temporary.string()));
    }
  }
  fs::rename(temporary, target, ec);
  if (ec) {
    return make_error(ErrorCode::kIo,
                      fmt::format("cannot write {}: {}", target.string(), ec.message()));
  }
  return {};
}

}  // namespace statefun::emulator
