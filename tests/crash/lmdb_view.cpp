// lmdb_view (tests/crash). See lmdb_view.hpp.
#include "lmdb_view.hpp"

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "crash_support.hpp"
#ifdef ASPEN_CRASH_HAVE_LIBLMDB
#include "lmdb_reader.hpp"
#endif

namespace aspen::crash {

#ifdef ASPEN_CRASH_HAVE_LIBLMDB
bool have_liblmdb() { return true; }

LmdbRead lmdb_view(const std::string& dir, bool quiet) {
  const std::function<LmdbRead()> read = [&dir, quiet] {
    if (quiet && !std::freopen("/dev/null", "w", stderr)) std::_Exit(6);
    std::vector<LmdbDbSpec> specs;
    for (const DbSpec& db : standard_dbs()) specs.push_back({db.name, db.flags, db_label(db)});
    Model model;
    LmdbRead r;
    const std::string why = read_with_liblmdb(dir, specs, &model.dbs);
    std::snprintf(r.why, sizeof r.why, "%s", why.c_str());
    r.ok = why.empty();
    r.digest = model.digest();
    return r;
  };
  LmdbRead out;
  if (std::string died = run_in_child(read, &out); !died.empty())
    std::snprintf(out.why, sizeof out.why, "%s", died.c_str());
  return out;
}
#else
bool have_liblmdb() { return false; }

LmdbRead lmdb_view(const std::string&, bool) {
  LmdbRead out;
  std::snprintf(out.why, sizeof out.why, "built without liblmdb-dev");
  return out;
}
#endif

}  // namespace aspen::crash
