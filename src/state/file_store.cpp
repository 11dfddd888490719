#include "state/file_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cc::state {

namespace {

// First line of every document file; the version follows it.
constexpr std::string_view kMagic = "containment-chamber-state 1 ";

std::string os_error(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// Closes a descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const auto n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::unavailable(os_error("cannot write", path));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<FileDocumentStore>> FileDocumentStore::open(const std::string& dir) {
  if (dir.empty()) return Error::invalid("signer_state.path: empty (the directory for the signer state)");
  std::error_code ec;
  if (std::filesystem::create_directories(dir, ec)) {
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);  // 0700: tokens' hashes live here
  }
  if (ec) return Error::unavailable("signer state: cannot create directory " + dir + ": " + ec.message());
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return Error::unavailable(os_error("signer state: cannot open", dir));
  if (!S_ISDIR(st.st_mode)) return Error::invalid("signer state: " + dir + " is not a directory");
  if (::access(dir.c_str(), W_OK) != 0) return Error::unavailable(os_error("signer state: cannot write to", dir));
  return std::unique_ptr<FileDocumentStore>(new FileDocumentStore(dir));
}

std::string FileDocumentStore::path_of(std::string_view name) const { return dir_ + "/" + std::string(name) + ".json"; }

Result<std::optional<Document>> FileDocumentStore::get(std::string_view name) {
  if (!valid_name(name)) return Error::invalid("signer state: invalid document name '" + std::string(name) + "'");
  const auto path = path_of(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<Document>{};
    return Error::unavailable(os_error("signer state: cannot read", path));
  }
  std::string header;
  std::getline(in, header);
  if (header.rfind(kMagic, 0) != 0) {
    return Error::invalid("signer state: " + path + " is not a containment-chamber state document");
  }
  Document doc;
  try {
    std::size_t used = 0;
    doc.version = std::stoull(header.substr(kMagic.size()), &used);
    if (used != header.size() - kMagic.size() || doc.version == 0) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    return Error::invalid("signer state: " + path + ": bad version line '" + header + "'");
  }
  std::ostringstream body;
  body << in.rdbuf();
  if (in.bad()) return Error::unavailable(os_error("signer state: cannot read", path));
  doc.content = std::move(body).str();
  return std::optional<Document>(std::move(doc));
}

Result<bool> FileDocumentStore::put(std::string_view name, std::string_view content, std::uint64_t expected) {
  if (!valid_name(name)) return Error::invalid("signer state: invalid document name '" + std::string(name) + "'");
  const auto lock_path = dir_ + "/.lock";
  Fd lock{::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)};
  if (lock.fd < 0) return Error::unavailable(os_error("signer state: cannot open", lock_path));
  while (::flock(lock.fd, LOCK_EX) != 0) {
    if (errno != EINTR) return Error::unavailable(os_error("signer state: cannot lock", lock_path));
  }
  // Under the lock: nobody else writes between this read and the rename.
  auto current = get(name);
  if (!current) return current.error();
  const std::uint64_t now = *current ? (*current)->version : 0;
  if (now != expected) return false;

  const auto path = path_of(name);
  const auto tmp = path + ".tmp";
  {
    Fd out{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    if (out.fd < 0) return Error::unavailable(os_error("signer state: cannot create", tmp));
    const std::string header = std::string(kMagic) + std::to_string(expected + 1) + "\n";
    if (auto st = write_all(out.fd, header, tmp); !st) return st.error();
    if (auto st = write_all(out.fd, content, tmp); !st) return st.error();
    if (::fsync(out.fd) != 0) return Error::unavailable(os_error("signer state: cannot sync", tmp));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Error::unavailable(os_error("signer state: cannot replace", path));
  }
  Fd dir{::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd < 0 || ::fsync(dir.fd) != 0) return Error::unavailable(os_error("signer state: cannot sync", dir_));
  return true;
}

std::optional<std::string> FileDocumentStore::change_stamp(std::string_view name) {
  struct stat st {};
  if (::stat(path_of(name).c_str(), &st) != 0) return std::string("absent");
  // A write renames a new file over the old one while the old one still exists, so the inode
  // differs from the one before; size and time make it plainer still.
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace cc::state
