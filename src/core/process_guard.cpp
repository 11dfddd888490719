#include "core/process_guard.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace cc {

Status keep_secrets_out_of_dumps() {
  const rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0) {
    return Error::internal(std::string("setrlimit(RLIMIT_CORE, 0): ") + std::strerror(errno));
  }
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return Error::internal(std::string("prctl(PR_SET_DUMPABLE, 0): ") + std::strerror(errno));
  }
  return {};
}

bool secrets_kept_out_of_dumps() {
  rlimit core{};
  if (::getrlimit(RLIMIT_CORE, &core) != 0) return false;
  return ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 && core.rlim_cur == 0 && core.rlim_max == 0;
}

}  // namespace cc
