#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "core/log.hpp"

namespace cc {
namespace {

// The enclave sets logging up before its configuration arrives and again after: no throw.
TEST(Logging, SetUpTwiceReusesTheLogger) {
  EXPECT_TRUE(setup_logging("info", LogFormat::text));
  EXPECT_TRUE(setup_logging("debug", LogFormat::json));
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
  EXPECT_FALSE(setup_logging("loud", LogFormat::text));
}

}  // namespace
}  // namespace cc
