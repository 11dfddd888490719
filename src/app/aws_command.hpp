#pragma once
// `containment-chamber aws create-tables`: creates the DynamoDB tables the configuration names
// (anti_slashing.table, signer_state.table, key_sources.dynamodb.table) with the layout each
// store expects (docs/aws-iam.md), and waits until they are ACTIVE. A table that exists already
// is checked instead (its key schema must match). For first setups and test environments;
// production accounts usually create them with infrastructure code.
#include "core/config.hpp"

namespace cc::app {

// Exit code: 0 all tables exist with the right keys, 1 a table could not be created or is wrong,
// 2 nothing to create (no DynamoDB backend configured) or a configuration error.
int run_aws_create_tables(const Config& config);

}  // namespace cc::app
