#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "keys/registry.hpp"

namespace cc::keys {
namespace {

std::shared_ptr<const crypto::SecretKey> fresh_key() {
  return std::make_shared<const crypto::SecretKey>(crypto::SecretKey::generate());
}

TEST(KeyRegistry, AddFindRemove) {
  KeyRegistry registry;
  auto key = fresh_key();
  EXPECT_EQ(registry.find(key->public_key()), nullptr);
  EXPECT_TRUE(registry.add(key));
  EXPECT_EQ(registry.find(key->public_key()), key);
  EXPECT_EQ(registry.size(), 1u);
  EXPECT_TRUE(registry.remove(key->public_key()));
  EXPECT_FALSE(registry.remove(key->public_key()));
  EXPECT_EQ(registry.find(key->public_key()), nullptr);
  EXPECT_EQ(registry.size(), 0u);
}

TEST(KeyRegistry, DuplicateIsRefusedAndKeepsTheFirst) {
  KeyRegistry registry;
  auto first = fresh_key();
  auto same = crypto::SecretKey::from_bytes(first->export_secret().span());
  ASSERT_TRUE(same.ok());
  auto second = std::make_shared<const crypto::SecretKey>(std::move(same).value());
  EXPECT_TRUE(registry.add(first));
  EXPECT_FALSE(registry.add(second));
  EXPECT_EQ(registry.find(first->public_key()), first);
  EXPECT_FALSE(registry.add(nullptr));
  EXPECT_EQ(registry.size(), 1u);
}

// Canaries: marked by the source that added them, or listed by configuration without any key.
TEST(KeyRegistry, CanariesAreListedAndMarked) {
  KeyRegistry registry;
  auto plain = fresh_key();
  auto marked = fresh_key();
  auto listed_only = fresh_key();  // its secret never reaches the registry
  ASSERT_TRUE(registry.add(plain));
  ASSERT_TRUE(registry.add(marked, true));
  registry.set_canary_list({listed_only->public_key(), plain->public_key()});

  EXPECT_TRUE(registry.is_canary(marked->public_key()));
  EXPECT_TRUE(registry.is_canary(listed_only->public_key()));
  EXPECT_TRUE(registry.is_canary(plain->public_key())) << "the configured list marks a loaded key too";
  EXPECT_TRUE(registry.contains(listed_only->public_key()));
  EXPECT_EQ(registry.find(listed_only->public_key()), nullptr) << "nothing to sign with";
  EXPECT_EQ(registry.size(), 3u) << "a listed key that is also loaded counts once";
  auto listing = registry.public_keys();
  EXPECT_EQ(listing.size(), 3u);
  EXPECT_TRUE(std::is_sorted(listing.begin(), listing.end()));

  registry.set_canary_list({});
  EXPECT_FALSE(registry.is_canary(plain->public_key()));
  EXPECT_FALSE(registry.contains(listed_only->public_key()));
  EXPECT_EQ(registry.public_keys().size(), 2u);
  EXPECT_TRUE(registry.set_canary(marked->public_key(), false));
  EXPECT_FALSE(registry.is_canary(marked->public_key()));
  EXPECT_FALSE(registry.set_canary(listed_only->public_key(), true)) << "not loaded";
}

TEST(KeyRegistry, PublicKeysAreSortedAndTrackChanges) {
  KeyRegistry registry;
  std::vector<std::shared_ptr<const crypto::SecretKey>> keys;
  for (int i = 0; i < 20; ++i) keys.push_back(fresh_key());
  for (const auto& k : keys) ASSERT_TRUE(registry.add(k));
  auto listed = registry.public_keys();
  ASSERT_EQ(listed.size(), 20u);
  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()));
  EXPECT_EQ(registry.public_keys(), listed) << "order must be stable between calls";

  ASSERT_TRUE(registry.remove(keys[3]->public_key()));
  listed = registry.public_keys();
  EXPECT_EQ(listed.size(), 19u);
  EXPECT_EQ(std::find(listed.begin(), listed.end(), keys[3]->public_key()), listed.end());
  auto extra = fresh_key();
  registry.add(extra);
  listed = registry.public_keys();
  EXPECT_NE(std::find(listed.begin(), listed.end(), extra->public_key()), listed.end());
}

TEST(KeyRegistry, ConcurrentAddsAndLookups) {
  KeyRegistry registry;
  std::vector<std::shared_ptr<const crypto::SecretKey>> keys;
  for (int i = 0; i < 64; ++i) keys.push_back(fresh_key());
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> wrong{0};
  std::thread reader([&] {
    while (!stop) {
      for (const auto& k : keys) {
        auto found = registry.find(k->public_key());
        if (found && found != k) ++wrong;
      }
      (void)registry.public_keys();
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (std::size_t i = static_cast<std::size_t>(t); i < keys.size(); i += 4) registry.add(keys[i]);
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  reader.join();
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_EQ(registry.size(), keys.size());
  EXPECT_EQ(registry.public_keys().size(), keys.size());
}

}  // namespace
}  // namespace cc::keys
