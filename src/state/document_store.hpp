#pragma once
// The signer state (`signer_state`): small named documents shared by every replica of one
// signer (auth policies and tokens today; seal state later). Writers never overwrite each
// other's changes: each document carries a version, and put() only succeeds against the version
// it read (compare-and-swap), so a read-modify-write retries instead of losing a concurrent
// change, e.g. two replicas revoking two tokens at once.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace cc::state {

struct Document {
  std::string content;
  std::uint64_t version = 0;  // 1 for the first write, +1 per write
};

class DocumentStore {
 public:
  virtual ~DocumentStore() = default;

  // For logs and errors: "file ./data/state".
  virtual std::string describe() const = 0;

  // The document, or nullopt when it was never written. unavailable when it cannot be read;
  // invalid_argument when what is stored is not a document of this store (names the file).
  virtual Result<std::optional<Document>> get(std::string_view name) = 0;

  // Stores `content` as version expected + 1 if the stored version is still `expected` (0: the
  // document must not exist yet). Returns false, changing nothing, when another writer got there
  // first. Durable once it returns true.
  virtual Result<bool> put(std::string_view name, std::string_view content, std::uint64_t expected) = 0;

  // Something that differs whenever the document may have changed, cheap enough to ask before
  // every request (file: one stat()), so a change by another replica applies at once. nullopt
  // when the backend cannot tell cheaply: callers then poll get() now and then.
  virtual std::optional<std::string> change_stamp(std::string_view name) = 0;
};

// Reads `name`, applies `change` to its content (nullopt when absent) and writes the result
// back, retrying from a fresh read when another writer got there first (up to 20 times).
// `change` returns the new content, or an Error to abort without writing.
Result<Document> update_document(DocumentStore& store, std::string_view name,
                                 const std::function<Result<std::string>(const std::optional<Document>&)>& change);

}  // namespace cc::state
