#include "state/document_store.hpp"

namespace cc::state {

Result<Document> update_document(DocumentStore& store, std::string_view name,
                                 const std::function<Result<std::string>(const std::optional<Document>&)>& change) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto current = store.get(name);
    if (!current) return current.error();
    auto next = change(*current);
    if (!next) return next.error();
    const std::uint64_t expected = *current ? (*current)->version : 0;
    auto written = store.put(name, *next, expected);
    if (!written) return written.error();
    if (*written) return Document{std::move(*next), expected + 1};
  }
  return Error::unavailable("signer state: " + std::string(name) + " keeps changing under this write (" +
                            store.describe() + "); try again");
}

}  // namespace cc::state
