// Entities by address prefix, a page at a time, for the web console's search
// (GET /v1/entities): fast among a million entities because every page is an
// index range scan of the state table's primary key (ns, type, id, name).
//
// It opens its own read-only connection per call (cheap next to a person
// typing) rather than extending StoreReader: that keeps the readers' header,
// included all over the CLI and admin API, unchanged, and a snapshot restore
// that replaces the database file is seen by the next call without a reopen.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/protocol/model.h"

namespace statefun {

struct EntitySearch {
  // Matches "ns/type/id" from the start. Split at its first two '/': the
  // complete parts are equalities, the last one a range, so "example/",
  // "example/person/" and "example/person/Bo" are all range scans.
  std::string prefix;            // "" matches every entity
  std::optional<Address> after;  // the last address of the previous page
  int64_t limit = 50;
};

struct EntityRow {
  Address address;
  int64_t states = 0;  // values stored and not expired at `now_ms`
};

// Addresses with at least one value not expired at `now_ms`, in address
// order, at most `limit`. `database` is the path of the state database
// (database_path(data_dir)); kNotFound when it does not exist.
Result<std::vector<EntityRow>> search_entities(const std::string& database,
                                               const EntitySearch& search, int64_t now_ms);

}  // namespace statefun
