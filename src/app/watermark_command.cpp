#include "app/watermark_command.hpp"

#include <iostream>

#include "app/store_factory.hpp"
#include "core/bytes.hpp"

namespace cc::app {

namespace {

constexpr const char* kWatermarkFooter = R"(
WATERMARKS
  High watermark: one for all keys (Web3Signer's semantics). While it is set, no block at a slot >= its slot
  and no attestation whose source or target epoch is >= its epoch is signed, not even a repeat; such requests
  get 412 with reason block_slot_at_or_above_high_watermark or attestation_epoch_at_or_above_high_watermark.
  Set it before handing validators over to another signer, at the point from which the new one signs, so
  that this one can never sign past the hand-over, whatever its clients still send. Clear it to sign again.
  GET /api/v1/eth2/highWatermark shows it ({} when none).

  Low watermarks: per key. Nothing is signed at or below the key's slot (a repeat of the very block at that
  slot excepted), with a source epoch below its source epoch, or at or below its target epoch (a repeat
  excepted). The first signed message sets them; imports and pruning raise them. Raise them by hand for a
  key that signed elsewhere up to some point. They are never lowered: a lower value is refused with the
  current one in the message, and nothing changes.

WHEN TO RUN
  SQLite: with the signer stopped (it holds the database; the command says so if it runs).
  PostgreSQL: at any time. Every replica applies the change to the next request it decides; setting the high
  watermark waits for the requests being decided at that moment, so none signs past it once the command
  returns.

EXAMPLES
  containment-chamber slashing watermark show -c config.yaml --pubkey 0x93247f…
  containment-chamber slashing watermark set-high --epoch 300000 --slot 9600000 -c config.yaml
  containment-chamber slashing watermark clear-high -c config.yaml
  containment-chamber slashing watermark raise-low --pubkey 0x93247f… --slot 9600000 --source-epoch 299998 \
      --target-epoch 299999 -c config.yaml
)";

constexpr const char* kPruneFooter = R"(
WHAT IS KEPT
  Per key: every attestation with target epoch >= (its newest target epoch - N), every block with
  slot >= (its newest slot - 32 * N); the newest block and attestation always stay. In the same transaction
  as a key's deletions, its low watermarks are raised to its oldest kept records (the source epoch also to the
  newest deleted source), so a request refused before pruning is still refused after it: pruning never
  makes anything signable. The price: requests older than what is kept are refused even where the full
  history would have allowed them (a late attestation for an old target), and a later export holds only
  what is kept (enough for another signer to refuse the same requests).

WHEN TO RUN
  SQLite: with the signer stopped; all keys in one transaction. PostgreSQL: at any time; one key per
  transaction, so signing waits for at most one key's deletions.

EXAMPLE
  containment-chamber slashing prune --keep-epochs 8192 -c config.yaml     (about 36 days of history)
)";

// "slot 9600000, source epoch 299998, target epoch 299999", "none" where unset.
std::string describe(const slashing::LowWatermarks& w) {
  auto n = [](const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : std::string("none"); };
  return "slot " + n(w.slot) + ", source epoch " + n(w.source_epoch) + ", target epoch " + n(w.target_epoch);
}

std::string describe(const std::optional<slashing::HighWatermark>& h) {
  if (!h) return "none";
  return "epoch " + std::to_string(h->epoch) + ", slot " + std::to_string(h->slot);
}

std::optional<std::uint64_t> given(const CLI::Option* opt, std::uint64_t value) {
  return opt->count() > 0 ? std::optional<std::uint64_t>(value) : std::nullopt;
}

// Loads the configuration and opens its store; prints the reason and sets `code` on failure.
std::unique_ptr<slashing::SlashingStore> open_store(const std::string& what, const ConfigOptions& options, int& code) {
  Config config;
  try {
    config = options.load();
  } catch (const ConfigError& e) {
    std::cerr << "containment-chamber: configuration error: " << e.what() << "\n";
    code = 2;
    return nullptr;
  }
  auto store = open_slashing_store(config);
  if (!store) {
    std::cerr << what << ": " << store.error().message << "\n";
    code = 1;
    return nullptr;
  }
  return std::move(*store);
}

}  // namespace

WatermarkCommands::Command WatermarkCommands::add(CLI::App& parent, const std::string& name,
                                                  const std::string& description) {
  Command c;
  c.app = parent.add_subcommand(name, description);
  c.config = std::make_unique<ConfigOptions>(*c.app);
  return c;
}

WatermarkCommands::WatermarkCommands(CLI::App& slashing) {
  auto* watermark = slashing.add_subcommand(
      "watermark",
      "Show or change the watermarks: the global high watermark (nothing is signed at or above it) and\n"
      "each key's low watermarks (nothing is signed at or below them). See `slashing watermark --help`.");
  watermark->require_subcommand(1);
  watermark->footer(kWatermarkFooter);

  show_ = add(*watermark, "show", "Print the high watermark and, for each --pubkey, its low watermarks");
  show_.app->add_option("--pubkey", show_pubkeys_, "Public key (0x hex) whose low watermarks to print; repeatable")
      ->delimiter(',');

  set_high_ = add(*watermark, "set-high",
                  "Set the high watermark for all keys: refuse blocks at slot >= --slot and attestations with\n"
                  "source or target >= --epoch, until it is cleared or moved");
  set_high_.app->add_option("--epoch", high_epoch_, "Attestations with source or target epoch >= this are refused")
      ->required();
  set_high_.app->add_option("--slot", high_slot_, "Blocks at slots >= this are refused")->required();

  clear_high_ = add(*watermark, "clear-high", "Remove the high watermark: signing is bounded by the low ones only");

  raise_low_ = add(*watermark, "raise-low",
                   "Raise one key's low watermarks (never lowers: a lower value is refused and nothing changes);\n"
                   "an unknown key is added, protected before its first signature here");
  raise_low_.app->add_option("--pubkey", raise_pubkey_, "Public key (0x hex)")->required();
  raise_slot_opt_ = raise_low_.app->add_option("--slot", raise_slot_, "Refuse blocks at or below this slot");
  raise_source_opt_ =
      raise_low_.app->add_option("--source-epoch", raise_source_, "Refuse attestations with a source below this");
  raise_target_opt_ =
      raise_low_.app->add_option("--target-epoch", raise_target_, "Refuse attestations with a target at or below this");

  prune_ = add(slashing, "prune",
               "Delete old history, keeping the newest --keep-epochs epochs per key; raises low watermarks\n"
               "so that nothing refused before becomes signable");
  prune_.app->add_option("--keep-epochs", keep_epochs_, "Epochs of history to keep per key (32 slots each)")
      ->required();
  prune_.app->footer(kPruneFooter);
}

std::optional<int> WatermarkCommands::run_parsed() const {
  int code = 0;
  if (*show_.app) {
    std::vector<BlsPublicKey> keys;
    for (const auto& hex : show_pubkeys_) {
      auto pk = from_hex_fixed<48>(hex);
      if (!pk) {
        std::cerr << "slashing watermark show: --pubkey " << hex << ": " << pk.error().message << "\n";
        return 2;
      }
      keys.push_back(*pk);
    }
    auto store = open_store("slashing watermark show", *show_.config, code);
    if (!store) return code;
    auto high = store->high_watermark();
    if (!high) {
      std::cerr << "slashing watermark show: " << high.error().message << "\n";
      return 1;
    }
    std::cout << "high watermark: " << describe(*high) << "\n";
    for (const auto& pk : keys) {
      auto low = store->low_watermarks(pk);
      if (!low) {
        std::cerr << "slashing watermark show: " << low.error().message << "\n";
        return 1;
      }
      std::cout << to_hex(pk) << " low watermarks: " << describe(*low) << "\n";
    }
    return 0;
  }
  if (*set_high_.app || *clear_high_.app) {
    const bool set = set_high_.app->parsed();
    const std::string what = set ? "slashing watermark set-high" : "slashing watermark clear-high";
    auto store = open_store(what, set ? *set_high_.config : *clear_high_.config, code);
    if (!store) return code;
    const auto mark =
        set ? std::optional<slashing::HighWatermark>(slashing::HighWatermark{high_epoch_, high_slot_}) : std::nullopt;
    if (auto st = store->set_high_watermark(mark); !st) {
      std::cerr << what << ": " << st.error().message << "\n";
      return st.error().kind == Error::Kind::invalid_argument ? 2 : 1;
    }
    std::cerr << what << ": the high watermark of the " << store->backend_name() << " database is now "
              << describe(mark) << "\n";
    return 0;
  }
  if (*raise_low_.app) {
    auto pk = from_hex_fixed<48>(raise_pubkey_);
    if (!pk) {
      std::cerr << "slashing watermark raise-low: --pubkey " << raise_pubkey_ << ": " << pk.error().message << "\n";
      return 2;
    }
    auto store = open_store("slashing watermark raise-low", *raise_low_.config, code);
    if (!store) return code;
    auto st =
        store->raise_low_watermark(*pk, given(raise_slot_opt_, raise_slot_), given(raise_source_opt_, raise_source_),
                                   given(raise_target_opt_, raise_target_));
    if (!st) {
      std::cerr << "slashing watermark raise-low: " << raise_pubkey_ << ": " << st.error().message << "\n";
      return st.error().kind == Error::Kind::invalid_argument ? 2 : 1;
    }
    auto now = store->low_watermarks(*pk);
    std::cerr << "slashing watermark raise-low: " << to_hex(*pk)
              << " low watermarks: " << (now ? describe(*now) : now.error().message) << "\n";
    return 0;
  }
  if (*prune_.app) {
    auto store = open_store("slashing prune", *prune_.config, code);
    if (!store) return code;
    auto report = store->prune(keep_epochs_);
    if (!report) {
      std::cerr << "slashing prune: " << report.error().message << "\n";
      return 1;
    }
    std::cerr << "slashing prune: deleted " << report->blocks_deleted << " blocks and " << report->attestations_deleted
              << " attestations of " << report->keys_pruned << " keys, keeping the last " << keep_epochs_
              << " epochs of each\n";
    return 0;
  }
  return std::nullopt;
}

}  // namespace cc::app
