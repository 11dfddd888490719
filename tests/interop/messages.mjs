// Real messages of every signing type for every fork, built with Lodestar's SSZ types (@lodestar/types) and
// chain configuration (@lodestar/config), serialised the way Lodestar's external signer client
// (packages/validator/src/util/externalSignerClient.ts) sends them, with the expected signing root computed here:
// hash_tree_root(SigningData{object_root, domain}), the domain from Lodestar's config (getDomain,
// getDomainForVoluntaryExit) or, for DEPOSIT and VALIDATOR_REGISTRATION, compute_domain with the genesis fork
// version and a zero root. Nothing here comes from the signer.
//
// Message contents are random (a seeded generator walks each SSZ type), so full phase0/altair blocks carry
// attestations, slashings, deposits and exits the signer has to decode field by field.
import { createHash } from "node:crypto";
import {
  DOMAIN_AGGREGATE_AND_PROOF, DOMAIN_APPLICATION_BUILDER, DOMAIN_BEACON_ATTESTER, DOMAIN_BEACON_PROPOSER,
  DOMAIN_CONTRIBUTION_AND_PROOF, DOMAIN_DEPOSIT, DOMAIN_RANDAO, DOMAIN_SELECTION_PROOF, DOMAIN_SYNC_COMMITTEE,
  DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF, ForkName, ForkSeq, SLOTS_PER_EPOCH, ZERO_HASH, isForkPostDeneb,
} from "@lodestar/params";
import { ssz, sszTypesFor } from "@lodestar/types";

export const hex = (bytes) => "0x" + Buffer.from(bytes).toString("hex");

// ----------------------------------------------------------------------------------------------- random values

// Deterministic bytes from a seed (SHA-256 in counter mode): a failure can be replayed with CC_INTEROP_SEED.
export class Rng {
  constructor(seed) {
    this.seed = String(seed);
    this.counter = 0;
    this.pool = Buffer.alloc(0);
  }

  bytes(n) {
    while (this.pool.length < n) {
      const block = createHash("sha256").update(`${this.seed}/${this.counter++}`).digest();
      this.pool = Buffer.concat([this.pool, block]);
    }
    const out = this.pool.subarray(0, n);
    this.pool = this.pool.subarray(n);
    return Buffer.from(out);
  }

  // Uniform enough in [0, n) for n <= 2^48.
  int(n) {
    return n <= 1 ? 0 : this.bytes(6).readUIntBE(0, 6) % n;
  }
}

// A random value of an SSZ type, built as JSON and read back with the type's own fromJson (so the value is one
// Lodestar accepts). Lists get 0..2 elements, byte lists up to 48 bytes, bit lists up to 40 bits; with `full`,
// lists and bit lists are at their limits instead (meant for types whose limits are small, like phase0 blocks).
export function randomJson(type, rng, full = false) {
  if (type.fieldsEntries) {
    const o = {};
    for (const f of type.fieldsEntries) o[f.jsonKey] = randomJson(f.fieldType, rng, full);
    return o;
  }
  if (type.limitBits !== undefined) {  // BitList: the bits, then the delimiter bit
    const bits = full ? type.limitBits : rng.int(Math.min(type.limitBits, 40) + 1);
    const bytes = Buffer.alloc(Math.floor(bits / 8) + 1);
    const random = rng.bytes(bytes.length);
    for (let i = 0; i < bits; i++) if (random[i >> 3] & (1 << (i & 7))) bytes[i >> 3] |= 1 << (i & 7);
    bytes[bits >> 3] |= 1 << (bits & 7);
    return hex(bytes);
  }
  if (type.lengthBits !== undefined) {  // BitVector: unused high bits must stay zero
    const bytes = rng.bytes(Math.ceil(type.lengthBits / 8));
    if (type.lengthBits % 8) bytes[bytes.length - 1] &= (1 << (type.lengthBits % 8)) - 1;
    return hex(bytes);
  }
  if (type.lengthBytes !== undefined) return hex(rng.bytes(type.lengthBytes));
  if (type.limitBytes !== undefined) return hex(rng.bytes(rng.int(Math.min(type.limitBytes, 48) + 1)));
  if (type.elementType) {
    const n = !type.isList ? type.length : full ? type.limit : rng.int(Math.min(type.limit, 2) + 1);
    return Array.from({ length: n }, () => randomJson(type.elementType, rng, full));
  }
  if (type.constructor.name === "BooleanType") return rng.int(2) === 1;
  if (type.byteLength !== undefined) {
    if (typeof type.defaultValue() === "bigint") return BigInt(hex(rng.bytes(type.byteLength))).toString();
    return String(rng.int(2 ** Math.min(32, 8 * type.byteLength)));  // number-typed: stays a safe JS integer
  }
  throw new Error(`no random value for SSZ type ${type.typeName}`);
}

const randomValue = (type, rng) => type.fromJson(randomJson(type, rng));

// ----------------------------------------------------------------------------------------------- signing roots

export function computeDomain(domainType, forkVersion, genesisValidatorsRoot) {
  const forkDataRoot = ssz.phase0.ForkData.hashTreeRoot({ currentVersion: forkVersion, genesisValidatorsRoot });
  const domain = new Uint8Array(32);
  domain.set(domainType, 0);
  domain.set(forkDataRoot.subarray(0, 28), 4);
  return domain;
}

export const signingRoot = (objectRoot, domain) => ssz.phase0.SigningData.hashTreeRoot({ objectRoot, domain });

// The forks to exercise on a network: each scheduled fork that is active for at least one epoch, at an epoch
// inside its range; forks Lodestar knows but the network does not schedule are returned in `unscheduled`.
export function forkEpochs(config) {
  const names = Object.values(ForkName);
  const tested = [], unscheduled = [], shadowed = [];
  for (let i = 0; i < names.length; i++) {
    const start = config.forks[names[i]].epoch;
    if (!Number.isFinite(start)) { unscheduled.push(names[i]); continue; }
    const next = i + 1 < names.length ? config.forks[names[i + 1]].epoch : Infinity;
    if (next <= start) { shadowed.push(names[i]); continue; }  // e.g. hoodi: phase0..capella all at epoch 0
    tested.push({ fork: names[i], epoch: Number.isFinite(next) && next - start < 3 ? start : start + 2 });
  }
  return { tested, unscheduled, shadowed };
}

// ----------------------------------------------------------------------------------------------- the messages

// fork_info as Lodestar builds it (getForkInfoForSigning): the fork at the signing slot with the signing epoch,
// except voluntary exits after Deneb, which carry the Capella fork (EIP-7044).
function lodestarForkInfo(config, signingSlot, isExit) {
  const f = config.getForkInfo(signingSlot);
  if (isExit && isForkPostDeneb(f.name)) {
    const capella = config.forks[ForkName.capella];
    return forkInfoJson(config, capella.prevVersion, capella.version, capella.epoch);
  }
  return forkInfoJson(config, f.prevVersion, f.version, Math.floor(signingSlot / SLOTS_PER_EPOCH));
}

// fork_info as Lighthouse, Teku and Prysm send it: the beacon state's Fork, whose epoch is the activation epoch of
// the current fork (Lodestar puts the signing epoch there instead).
function stateForkInfo(config, signingSlot, isExit) {
  let f = config.getForkInfo(signingSlot);
  if (isExit && isForkPostDeneb(f.name)) f = config.forks[ForkName.capella];
  return forkInfoJson(config, f.prevVersion, f.version, f.epoch);
}

function forkInfoJson(config, previous, current, epoch) {
  return {
    fork: { previous_version: hex(previous), current_version: hex(current), epoch: String(epoch) },
    genesis_validators_root: hex(config.genesisValidatorsRoot),
  };
}

// One message: `payload` is the type-specific part of the body, `root` the expected signing root. Lodestar's
// request is {type, <payload>, signingRoot, fork_info?}.
function message(config, type, fork, payload, root, signingSlot, { isExit = false, perKey } = {}) {
  return {
    type, fork, root, perKey,
    stateForkInfo: signingSlot === undefined ? undefined : stateForkInfo(config, signingSlot, isExit),
    body: (key) => {
      const p = perKey ? perKey(key) : { payload, root };
      const body = { type, ...p.payload, signingRoot: hex(p.root) };
      if (signingSlot !== undefined) body.fork_info = lodestarForkInfo(config, signingSlot, isExit);
      return body;
    },
    rootFor: (key) => (perKey ? perKey(key).root : root),
  };
}

// Everything one fork signs, at `epoch`. Returns {messages, extra} where `extra` holds shapes of other clients
// for the same objects (checked against the same roots) and requests that must be refused.
// `slotInEpoch` places the slot-bound messages (0: the fork's first slot, 31: the last slot before the next fork).
export function forkMessages(config, fork, epoch, rng, slotInEpoch = 5) {
  const seq = ForkSeq[fork];
  const types = sszTypesFor(fork);
  const slot = epoch * SLOTS_PER_EPOCH + slotInEpoch;
  if (config.getForkName(slot) !== fork) throw new Error(`slot ${slot} is not in ${fork}`);
  const domain = (domainType, messageSlot) => config.getDomain(messageSlot, domainType, messageSlot);
  const version = fork.toUpperCase();
  const messages = [], extra = [];

  // BLOCK_V2. Lodestar: the full block before Bellatrix, the header from then on (also for blinded blocks,
  // whose header is the same). The expected root is that of the full block, so header == block is checked too.
  const block = randomValue(types.BeaconBlock, rng);
  block.slot = slot;
  const blockRoot = signingRoot(types.BeaconBlock.hashTreeRoot(block), domain(DOMAIN_BEACON_PROPOSER, slot));
  const header = ssz.phase0.BeaconBlockHeader.toJson({
    slot, proposerIndex: block.proposerIndex, parentRoot: block.parentRoot, stateRoot: block.stateRoot,
    bodyRoot: types.BeaconBlockBody.hashTreeRoot(block.body),
  });
  const fullBlock = { beacon_block: { version, block: types.BeaconBlock.toJson(block) } };
  const headerBlock = { beacon_block: { version, block_header: header } };
  const blockMessage = message(config, "BLOCK_V2", fork, seq >= ForkSeq.bellatrix ? headerBlock : fullBlock, blockRoot, slot);
  messages.push(blockMessage);
  if (seq < ForkSeq.bellatrix) {
    extra.push({ label: "block_header before Bellatrix", of: blockMessage, payload: headerBlock });
  } else {
    extra.push({ label: "full block after Altair is refused", of: blockMessage, payload: fullBlock,
                 refuse: { status: 400, match: /block_header/ } });
  }
  if (seq < ForkSeq.bellatrix) {
    // The largest block the fork allows (128 attestations of 2048 bits, 2 attester slashings of 2048 indices
    // each, 16 deposits with proofs, ...): some 300 KB of JSON the signer must decode and hash within its body limit.
    const big = types.BeaconBlock.fromJson(randomJson(types.BeaconBlock, rng, true));
    big.slot = slotInEpoch > 0 ? slot - 1 : slot + 1;  // its own slot, in this fork; the slots stay ascending
    const bigMessage = message(config, "BLOCK_V2", fork, { beacon_block: { version, block: types.BeaconBlock.toJson(big) } },
                               signingRoot(types.BeaconBlock.hashTreeRoot(big), domain(DOMAIN_BEACON_PROPOSER, big.slot)),
                               big.slot);
    bigMessage.note = "every list of the block at its limit";
    if (big.slot < slot) messages.unshift(bigMessage); else messages.push(bigMessage);
  }
  if (seq === ForkSeq.phase0) {  // Teku and Prysm: legacy BLOCK for phase0
    extra.push({ label: "Teku/Prysm legacy BLOCK", of: blockMessage, type: "BLOCK",
                 payload: { block: ssz.phase0.BeaconBlock.toJson(block) } });
  }

  // ATTESTATION: AttestationData; after Electra the committee index is 0.
  const data = randomValue(ssz.phase0.AttestationData, rng);
  data.slot = slot;
  if (seq >= ForkSeq.electra) data.index = 0;
  data.source.epoch = Math.max(epoch - 1, 0);
  data.target.epoch = epoch;
  messages.push(message(config, "ATTESTATION", fork, { attestation: ssz.phase0.AttestationData.toJson(data) },
                        signingRoot(ssz.phase0.AttestationData.hashTreeRoot(data), domain(DOMAIN_BEACON_ATTESTER, slot)),
                        slot));

  // AGGREGATION_SLOT: the slot, selection proof domain.
  messages.push(message(config, "AGGREGATION_SLOT", fork, { aggregation_slot: { slot: String(slot) } },
                        signingRoot(ssz.Slot.hashTreeRoot(slot), domain(DOMAIN_SELECTION_PROOF, slot)), slot));

  // AGGREGATE_AND_PROOF_V2 (Lodestar, Prysm: {version, data}); Lighthouse and Teku send the fork's struct bare
  // under the legacy type, Vero sent V2 without the wrapper.
  const aggregate = randomValue(types.AggregateAndProof, rng);
  aggregate.aggregate.data.slot = slot;
  if (seq >= ForkSeq.electra) aggregate.aggregate.data.index = 0;
  const aggregateJson = types.AggregateAndProof.toJson(aggregate);
  const aggregateRoot = signingRoot(types.AggregateAndProof.hashTreeRoot(aggregate),
                                    domain(DOMAIN_AGGREGATE_AND_PROOF, slot));
  messages.push(message(config, "AGGREGATE_AND_PROOF_V2", fork,
                        { aggregate_and_proof: { version, data: aggregateJson } }, aggregateRoot, slot));
  extra.push({ label: "Lighthouse/Teku legacy AGGREGATE_AND_PROOF", of: messages.at(-1), type: "AGGREGATE_AND_PROOF",
               payload: { aggregate_and_proof: aggregateJson } });
  extra.push({ label: "Vero V2 without {version, data}", of: messages.at(-1),
               payload: { aggregate_and_proof: aggregateJson } });
  if (seq < ForkSeq.electra) {
    const electraShaped = ssz.electra.AggregateAndProof.toJson({
      ...aggregate, aggregate: { ...aggregate.aggregate, committeeBits: ssz.electra.CommitteeBits.defaultValue() } });
    extra.push({ label: "Electra-shaped aggregate before Electra is refused", of: messages.at(-1),
                 payload: { aggregate_and_proof: { version: "ELECTRA", data: electraShaped } },
                 refuse: { status: 400, match: /committee_bits/ } });
  }

  // RANDAO_REVEAL: the epoch.
  messages.push(message(config, "RANDAO_REVEAL", fork, { randao_reveal: { epoch: String(epoch) } },
                        signingRoot(ssz.Epoch.hashTreeRoot(epoch), domain(DOMAIN_RANDAO, slot)), slot));

  // VOLUNTARY_EXIT: signed at the exit epoch's first slot; after Deneb with the Capella domain (EIP-7044).
  const exit = { epoch, validatorIndex: rng.int(2 ** 20) };
  const exitSlot = epoch * SLOTS_PER_EPOCH;
  messages.push(message(config, "VOLUNTARY_EXIT", fork, { voluntary_exit: ssz.phase0.VoluntaryExit.toJson(exit) },
                        signingRoot(ssz.phase0.VoluntaryExit.hashTreeRoot(exit),
                                    config.getDomainForVoluntaryExit(exitSlot, exitSlot)),
                        exitSlot, { isExit: true }));

  if (seq >= ForkSeq.altair) {
    // SYNC_COMMITTEE_MESSAGE: the block root itself is the object root.
    const blockRootToSign = rng.bytes(32);
    messages.push(message(config, "SYNC_COMMITTEE_MESSAGE", fork,
                          { sync_committee_message: { beacon_block_root: hex(blockRootToSign), slot: String(slot) } },
                          signingRoot(blockRootToSign, domain(DOMAIN_SYNC_COMMITTEE, slot)), slot));

    const selection = { slot, subcommitteeIndex: rng.int(4) };
    messages.push(message(config, "SYNC_COMMITTEE_SELECTION_PROOF", fork,
                          { sync_aggregator_selection_data: ssz.altair.SyncAggregatorSelectionData.toJson(selection) },
                          signingRoot(ssz.altair.SyncAggregatorSelectionData.hashTreeRoot(selection),
                                      domain(DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF, slot)), slot));

    const contribution = randomValue(ssz.altair.ContributionAndProof, rng);
    contribution.contribution.slot = slot;
    contribution.contribution.subcommitteeIndex = rng.int(4);
    messages.push(message(config, "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF", fork,
                          { contribution_and_proof: ssz.altair.ContributionAndProof.toJson(contribution) },
                          signingRoot(ssz.altair.ContributionAndProof.hashTreeRoot(contribution),
                                      domain(DOMAIN_CONTRIBUTION_AND_PROOF, slot)), slot));
  }
  return { messages, extra };
}

// DEPOSIT and VALIDATOR_REGISTRATION do not depend on the fork: no fork_info, the genesis fork version and a zero
// genesis validators root. Each key signs its own deposit message and registration (pubkey inside the message).
export function genesisMessages(config, rng) {
  const genesisForkVersion = config.GENESIS_FORK_VERSION;
  const depositDomain = computeDomain(DOMAIN_DEPOSIT, genesisForkVersion, ZERO_HASH);
  const builderDomain = computeDomain(DOMAIN_APPLICATION_BUILDER, genesisForkVersion, ZERO_HASH);
  const withdrawal = rng.bytes(32);
  const feeRecipient = rng.bytes(20);
  const timestamp = 1700000000 + rng.int(10 ** 8);
  const pubkeyBytes = (key) => Buffer.from(key.publicKey.slice(2), "hex");
  return [
    message(config, "DEPOSIT", "genesis", null, null, undefined, {
      perKey: (key) => {
        const deposit = { pubkey: pubkeyBytes(key), withdrawalCredentials: withdrawal, amount: 32000000000 };
        return {
          payload: { deposit: { ...ssz.phase0.DepositMessage.toJson(deposit), genesis_fork_version: hex(genesisForkVersion) } },
          root: signingRoot(ssz.phase0.DepositMessage.hashTreeRoot(deposit), depositDomain),
        };
      },
    }),
    message(config, "VALIDATOR_REGISTRATION", "genesis", null, null, undefined, {
      perKey: (key) => {
        const reg = { feeRecipient, gasLimit: 36000000, timestamp, pubkey: pubkeyBytes(key) };
        return {
          payload: { validator_registration: ssz.bellatrix.ValidatorRegistrationV1.toJson(reg) },
          root: signingRoot(ssz.bellatrix.ValidatorRegistrationV1.hashTreeRoot(reg), builderDomain),
        };
      },
    }),
  ];
}
