#pragma once
// What every chamber test starts from: dynalite with the signer-state table "state" and the key
// table "keys", the KMS simulator (us-east-1) with `kms_keys` keys and one principal, the flags
// and environment of a signer using them, a KMS transport factory for chambers opened in the test
// process (as another replica would), and init through the setup token a signer logged.
#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "../support/dynamo_test_server.hpp"
#include "aws/credentials.hpp"
#include "aws/dynamodb.hpp"
#include "aws/https_transport.hpp"
#include "keys/dynamodb_source.hpp"
#include "kms_simulator.hpp"
#include "seal/kms_wrapper.hpp"
#include "server_fixture.hpp"

namespace cc::test {

class ChamberRig {
 public:
  static constexpr const char* kKeyId = "AKIDEXAMPLE";
  static constexpr const char* kSecret = "test-secret";

  explicit ChamberRig(const std::string& tag, unsigned kms_keys = 3)
      : dir_(make_temp_dir(tag)), dynamo_server_(dir_ / "dynamo"), kms_keys_(kms_keys) {}
  ~ChamberRig() {
    dynamo_server_.stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  bool start() {
    if (!dynamo_server_.start()) return false;
    dynamo_ = dynamo_transport(dynamo_server_.endpoint());
    if (dynamo_ == nullptr) return false;
    if (!aws::DynamoDb(*dynamo_, "state").create_table("pk", "").ok()) return false;
    if (!keys::DynamoDbKeySource::create_table(*dynamo_, "keys").ok()) return false;
    kms_.add_principal({kKeyId, kSecret, "", "111122223333", "tester"});
    for (unsigned i = 0; i < kms_keys_; ++i) arns_.push_back(kms_.create_key());
    return true;
  }

  std::vector<std::string> args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {"--signer-state-backend", "dynamodb", "--signer-state-table", "state",
                                  "--key-sources-dynamodb-table", "keys", "--aws-endpoints-dynamodb",
                                  dynamo_server_.endpoint(), "--aws-endpoints-kms", kms_.url(), "--aws-region",
                                  "us-east-1"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::vector<std::string> env() const {
    return {std::string("AWS_ACCESS_KEY_ID=") + kKeyId, std::string("AWS_SECRET_ACCESS_KEY=") + kSecret};
  }

  // KMS transports for a Chamber opened in the test process.
  seal::WrapperFactory wrappers() {
    return seal::kms_wrapper_factory([this](const std::string& region) -> Result<std::shared_ptr<aws::Transport>> {
      std::vector<std::unique_ptr<aws::CredentialsProvider>> p;
      p.push_back(std::make_unique<aws::StaticCredentials>(aws::Credentials(kKeyId, kSecret)));
      aws::HttpsTransportOptions o;
      o.service = "kms";
      o.region = region;
      o.endpoint = kms_.url();
      o.credentials = std::make_shared<aws::CredentialChain>(std::move(p));
      auto t = aws::HttpsTransport::create(std::move(o));
      if (!t) return t.error();
      return std::shared_ptr<aws::Transport>(std::move(*t));
    });
  }

  // Initializes the chamber (KMS-only, 2 of the KMS keys) through `signer` with the setup token
  // it logged; returns the management token, empty on failure.
  std::string init(SignerInstance& signer) {
    if (!signer.process().wait_for_log("setup_token=cc-setup-", std::chrono::seconds(10))) return "";
    const auto log = signer.process().log();
    const auto at = log.find("setup_token=") + 12;
    const auto setup = log.substr(at, log.find_first_not_of("cc-setup0123456789abcdef", at) - at);
    auto http = signer.client();
    http.set_authorization("Bearer " + setup);
    const boost::json::object body{{"kms_key_arns", boost::json::value_from(arns_)}, {"kms_threshold", 2}};
    auto r = http.post("/api/v1/chamber/init", boost::json::serialize(body));
    if (r.status != 200) return "";
    return std::string(boost::json::parse(r.body).at("management_token").as_string());
  }

  const std::filesystem::path& dir() const { return dir_; }
  const std::string& endpoint() const { return dynamo_server_.endpoint(); }
  aws::Transport& dynamo() { return *dynamo_; }
  aws::test::KmsSimulator& kms() { return kms_; }
  const std::vector<std::string>& arns() const { return arns_; }

 private:
  std::filesystem::path dir_;
  DynamoServer dynamo_server_;
  unsigned kms_keys_;
  aws::test::KmsSimulator kms_{"us-east-1"};
  std::shared_ptr<aws::Transport> dynamo_;
  std::vector<std::string> arns_;
};

}  // namespace cc::test
