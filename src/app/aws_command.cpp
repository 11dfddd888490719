#include "app/aws_command.hpp"

#include <iostream>

#include "app/aws_factory.hpp"
#include "aws/dynamodb.hpp"
#include "keys/dynamodb_source.hpp"
#include "slashing/dynamodb_store.hpp"

namespace cc::app {

namespace {

// Creates `table` with `create`, or checks the one that exists: the line printed says which.
int ensure(const std::string& what, const std::string& table, const std::function<Status()>& create,
           const std::function<Status()>& check) {
  auto made = create();
  if (made) {
    std::cout << "created " << what << " table " << table << "\n";
    return 0;
  }
  if (made.error().kind != Error::Kind::conflict) {
    std::cerr << "aws create-tables: " << what << " table " << table << ": " << made.error().message << "\n";
    return 1;
  }
  if (auto ok = check(); !ok) {
    std::cerr << "aws create-tables: " << what << " table " << table << " exists but: " << ok.error().message << "\n";
    return 1;
  }
  std::cout << what << " table " << table << " exists with the right keys\n";
  return 0;
}

}  // namespace

int run_aws_create_tables(const Config& config) {
  const bool slashing = config.anti_slashing.backend == "dynamodb";
  const bool state = config.signer_state.backend == "dynamodb";
  const bool keys = !config.dynamodb_keys.table.empty();
  if (!slashing && !state && !keys) {
    std::cerr << "aws create-tables: nothing to create: no DynamoDB table in the configuration (anti_slashing.backend, "
                 "signer_state.backend dynamodb, key_sources.dynamodb.table)\n";
    return 2;
  }
  auto transport = dynamodb_transport(config);
  if (!transport) {
    std::cerr << "aws create-tables: " << transport.error().message << "\n";
    return 2;
  }
  auto& t = **transport;
  int failed = 0;
  if (slashing) {
    const auto& name = config.anti_slashing.table;
    failed |= ensure("anti-slashing", name, [&] { return slashing::create_dynamodb_anti_slashing_table(t, name); },
                     [&] { return aws::DynamoDb(t, name).check_table("pk", "sk"); });
  }
  if (state) {
    const auto& name = config.signer_state.table;
    failed |= ensure("signer state", name, [&] { return aws::DynamoDb(t, name).create_table("pk", ""); },
                     [&] { return aws::DynamoDb(t, name).check_table("pk", ""); });
  }
  if (keys) {
    const auto& name = config.dynamodb_keys.table;
    failed |= ensure("key", name, [&] { return keys::DynamoDbKeySource::create_table(t, name); },
                     [&] { return aws::DynamoDb(t, name).check_table("pk", ""); });
  }
  return failed;
}

}  // namespace cc::app
