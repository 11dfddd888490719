#pragma once
// FileDocumentStore: `signer_state: {backend: file, path: DIR}` — the embedded default. Each
// document is DIR/<name>.json (mode 0600, directory 0700), replaced atomically (written to a
// temporary file, fsync'd, renamed over, directory fsync'd), so a reader or a crash never sees
// half a document. Writers serialise on flock(DIR/.lock), which works between processes on one
// host (replicas sharing a volume) and is released by the kernel if a writer dies.
#include <memory>
#include <string>

#include "state/document_store.hpp"

namespace cc::state {

class FileDocumentStore final : public DocumentStore {
 public:
  // Creates `dir` (0700) if needed. The error names the directory and the OS reason.
  static Result<std::unique_ptr<FileDocumentStore>> open(const std::string& dir);

  std::string describe() const override { return "file " + dir_; }
  Result<std::optional<Document>> get(std::string_view name) override;
  Result<bool> put(std::string_view name, std::string_view content, std::uint64_t expected) override;
  std::optional<std::string> change_stamp(std::string_view name) override;

 private:
  explicit FileDocumentStore(std::string dir) : dir_(std::move(dir)) {}
  std::string path_of(std::string_view name) const;

  std::string dir_;
};

}  // namespace cc::state
