#pragma once
// The compare-and-swap promise every signer-state backend keeps: writers in several replicas
// (each with a store of its own, from `open_replica`) incrementing one counter document through
// update_document() lose no update.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "state/document_store.hpp"

namespace cc::state::test {

inline void expect_concurrent_writers_lose_nothing(const std::function<std::unique_ptr<DocumentStore>()>& open_replica,
                                                   DocumentStore& reader, int writers, int each) {
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&] {
      auto own = open_replica();
      ASSERT_NE(own, nullptr);
      for (int i = 0; i < each; ++i) {
        auto r = update_document(*own, "counter", [](const std::optional<Document>& d) -> Result<std::string> {
          return std::to_string(d ? std::stoi(d->content) + 1 : 1);
        });
        ASSERT_TRUE(r.ok()) << r.error().message;
      }
    });
  }
  for (auto& t : threads) t.join();
  auto doc = reader.get("counter");
  ASSERT_TRUE(doc.ok() && doc->has_value());
  EXPECT_EQ((*doc)->content, std::to_string(writers * each));
  EXPECT_EQ((*doc)->version, static_cast<std::uint64_t>(writers * each));
}

}  // namespace cc::state::test
