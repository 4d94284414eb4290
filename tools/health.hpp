// `aspen stat --health` (layer: tools): what operators watch in a live environment, beyond mdb_stat.
//
// Prints Env::health() as text or as one JSON object (--json) for monitoring systems: free pages and their
// ratio to the pages in use, the pages readers hold back and the oldest reader (pid, thread, txnid, lag in
// transactions, age), reader slots used of the maximum, map use against the map size, and the size of the
// last commit. Figures that are unknown are printed as "unknown" in text and as null in JSON.
#pragma once

#include "aspen/aspen.hpp"

namespace aspen::tools {

void print_health_text(const Health& h);
void print_health_json(const Health& h);

}  // namespace aspen::tools
