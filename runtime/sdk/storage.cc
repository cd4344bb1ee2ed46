// Storage: typed reads and writes of the invoked address's declared state.
#include "runtime/sdk/batch.h"
#include "runtime/sdk/statefun_sdk.h"

namespace statefun::sdk {

const std::string* Storage::read(const std::string& name, const std::string& type_name) const {
  const detail::Batch::Cell& cell = m_batch->cell(name);
  if (!cell.value) return nullptr;
  // The runtime sends the typename it registered first; a spec whose type
  // changed since then cannot read the old bytes (JS and Python throw too).
  if (cell.value->type_name != type_name) {
    detail::throw_type_mismatch("state '" + name + "'", cell.value->type_name, type_name);
  }
  return &cell.value->value;
}

void Storage::write(const std::string& name, const std::string& type_name, std::string bytes) {
  detail::Batch::Cell& cell = m_batch->cell(name);
  // A MODIFY with another typename than the registered one fails the job, so
  // refuse it here, where the mistake is.
  if (cell.spec->type_name != type_name) {
    detail::throw_type_mismatch("state '" + name + "'", type_name, cell.spec->type_name);
  }
  cell.value = TypedValue{type_name, true, std::move(bytes)};
  cell.touched = true;
}

void Storage::erase(const std::string& name) {
  detail::Batch::Cell& cell = m_batch->cell(name);
  cell.value.reset();
  cell.touched = true;
}

}  // namespace statefun::sdk
