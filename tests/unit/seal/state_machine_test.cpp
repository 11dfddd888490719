// The seal states: only the documented transitions exist, signing only where the documentation
// allows it, and a refused transition says what to do instead.
#include <gtest/gtest.h>

#include <set>

#include "seal/state_machine.hpp"

namespace cc::seal {
namespace {

const std::vector<State> kAll = {State::uninitialized, State::awaiting_registration, State::sealed,
                                 State::kms_unsealed,  State::unsealed,              State::awaiting_rotation};
const std::vector<Event> kEvents = {Event::init_kms_only,     Event::init_quorum,       Event::all_registered,
                                    Event::kms_reconstructed, Event::kms_decrypted,     Event::threshold_reached,
                                    Event::seal,              Event::rotation_started,  Event::rotation_finished,
                                    Event::reset};

TEST(SealStates, SigningOnlyWhenUnsealedOrRotating) {
  for (auto s : kAll) {
    EXPECT_EQ(signing_allowed(s), s == State::unsealed || s == State::awaiting_rotation) << state_name(s);
  }
}

TEST(SealStates, NamesRoundTrip) {
  std::set<std::string_view> seen;
  for (auto s : kAll) {
    EXPECT_EQ(parse_state(state_name(s)), s);
    EXPECT_TRUE(seen.insert(state_name(s)).second);
  }
  EXPECT_EQ(parse_state("open"), std::nullopt);
}

TEST(SealStates, TheDocumentedPathsAndNothingElse) {
  // KMS-only: init straight to unsealed; seal; a restart reconstructs.
  EXPECT_EQ(*transition(State::uninitialized, Event::init_kms_only), State::unsealed);
  EXPECT_EQ(*transition(State::unsealed, Event::seal), State::sealed);
  EXPECT_EQ(*transition(State::sealed, Event::kms_reconstructed), State::unsealed);
  // Quorum: registration, then KMS layer, then operators.
  EXPECT_EQ(*transition(State::uninitialized, Event::init_quorum), State::awaiting_registration);
  EXPECT_EQ(*transition(State::awaiting_registration, Event::all_registered), State::sealed);
  EXPECT_EQ(*transition(State::sealed, Event::kms_decrypted), State::kms_unsealed);
  EXPECT_EQ(*transition(State::kms_unsealed, Event::threshold_reached), State::unsealed);
  // Rotation keeps signing and can be interrupted by a seal.
  EXPECT_EQ(*transition(State::unsealed, Event::rotation_started), State::awaiting_rotation);
  EXPECT_EQ(*transition(State::awaiting_rotation, Event::rotation_finished), State::unsealed);
  EXPECT_EQ(*transition(State::awaiting_rotation, Event::seal), State::sealed);
  EXPECT_EQ(*transition(State::kms_unsealed, Event::seal), State::sealed);

  int allowed = 0;
  for (auto s : kAll) {
    for (auto e : kEvents) {
      auto r = transition(s, e);
      if (r) {
        ++allowed;
        continue;
      }
      EXPECT_EQ(r.error().kind, Error::Kind::conflict);
      EXPECT_NE(r.error().message.find(state_name(s)), std::string::npos) << r.error().message;
    }
  }
  EXPECT_EQ(allowed, 12) << "a transition was added or lost: update the table in state_machine.hpp";
  // Never from uninitialized to a signing state except by init; never unsealed without a key.
  EXPECT_FALSE(transition(State::uninitialized, Event::threshold_reached).ok());
  EXPECT_FALSE(transition(State::awaiting_registration, Event::kms_reconstructed).ok());
  auto twice = transition(State::unsealed, Event::init_kms_only);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("already operational"), std::string::npos) << twice.error().message;
}

}  // namespace
}  // namespace cc::seal
