#pragma once
// Process-wide protection of the secrets held in memory (BLS keys, passwords, tokens, KMS
// plaintexts): keep them out of core dumps and away from debuggers of the same user.
//
// keep_secrets_out_of_dumps() sets the process non-dumpable (prctl PR_SET_DUMPABLE 0: no core
// file, including through a core_pattern pipe such as systemd-coredump; /proc/<pid>/mem, environ
// and ptrace closed to other processes of the same user) and the core size limit to 0 (soft and
// hard, so a child cannot raise it again). It covers every page at once, which per-region
// MADV_DONTDUMP could not: secrets live in many small heap objects. main() calls it before
// anything else. Idempotent; thread-safe.
#include "core/result.hpp"

namespace cc {

// Ok, or an internal Error naming the call that failed (the caller should refuse to run).
Status keep_secrets_out_of_dumps();

// Whether the process is currently non-dumpable with a zero core limit (for tests and logs).
bool secrets_kept_out_of_dumps();

}  // namespace cc
