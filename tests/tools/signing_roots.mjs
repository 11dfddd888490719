#!/usr/bin/env node
// Independent reference vectors for the ssz layer. Builds Web3Signer signing requests with
// deterministic pseudo-random contents using Lodestar's SSZ types (@lodestar/types on
// @chainsafe/ssz), computes each expected signing root from the consensus-specs formulas
// (compute_domain over ForkData, compute_signing_root over SigningData) and writes JSON lines:
//   {name, network, request, signing_root, expect}   a request for decode_signing_request
//   {name, container, value, hash_tree_root}         one container for hash_tree_root
// Nothing here comes from the C++ code under test. Usage: node signing_roots.mjs OUT.jsonl [seed]
import {writeFileSync} from "node:fs";
import {
  BitArray,
  BitListType,
  BitVectorType,
  BooleanType,
  ByteVectorType,
  ContainerType,
  ListBasicType,
  ListCompositeType,
  UintBigintType,
  UintNumberType,
  VectorBasicType,
  VectorCompositeType,
} from "@chainsafe/ssz";
import {ssz} from "@lodestar/types";

const out = process.argv[2];
if (!out) {
  console.error("usage: node signing_roots.mjs OUT.jsonl [seed]");
  process.exit(2);
}
const seed = Number(process.argv[3] ?? 0x5eed2025);

// ---- deterministic randomness (mulberry32) ----
let state = seed >>> 0;
function rand32() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}
const randInt = (lo, hi) => lo + (rand32() % (hi - lo + 1)); // inclusive, hi - lo < 2^32
const randBytes = (n) => Uint8Array.from({length: n}, () => rand32() & 0xff);
const pick = (arr) => arr[randInt(0, arr.length - 1)];
function randU64Bigint() {
  const r = rand32() % 4;
  if (r === 0) return 2n ** 64n - 1n; // the top of the range, on purpose
  return (BigInt(rand32()) << 32n) | BigInt(rand32());
}
const randU53 = () => rand32() * 0x200000 + (rand32() & 0x1fffff); // < 2^53: exact as a JS number

// A random value of any SSZ type used by the signed containers. List lengths lie in
// [opts.minLen, opts.maxLen] (clipped to the limit); bitlists up to opts.maxBits bits.
function randomValue(type, opts = {}) {
  const {minLen = 0, maxLen = 2, maxBits = 600} = opts;
  if (type instanceof ContainerType) {
    const v = {};
    for (const [k, t] of Object.entries(type.fields)) v[k] = randomValue(t, opts);
    return v;
  }
  if (type instanceof BitListType) {
    const n = randInt(0, Math.min(type.limitBits, maxBits));
    return BitArray.fromBoolArray(Array.from({length: n}, () => (rand32() & 1) === 1));
  }
  if (type instanceof BitVectorType) {
    return BitArray.fromBoolArray(Array.from({length: type.lengthBits}, () => (rand32() & 1) === 1));
  }
  if (type instanceof ByteVectorType) return randBytes(type.lengthBytes);
  if (type instanceof ListCompositeType || type instanceof ListBasicType) {
    const n = randInt(Math.min(minLen, type.limit), Math.min(maxLen, type.limit));
    return Array.from({length: n}, () => randomValue(type.elementType, opts));
  }
  if (type instanceof VectorCompositeType || type instanceof VectorBasicType) {
    return Array.from({length: type.length}, () => randomValue(type.elementType, opts));
  }
  if (type instanceof UintBigintType) return randU64Bigint();
  if (type instanceof UintNumberType) return randU53();
  if (type instanceof BooleanType) return (rand32() & 1) === 1;
  throw new Error(`no generator for ${type.typeName}`);
}

// Sets a uint64 at `path` inside a value of container `type`, as a number or a BigInt
// depending on how Lodestar declares that field.
function setU64(type, value, path, n) {
  let t = type;
  let v = value;
  for (const k of path.slice(0, -1)) {
    t = t.fields[k];
    v = v[k];
  }
  const last = path[path.length - 1];
  v[last] = t.fields[last] instanceof UintBigintType ? BigInt(n) : Number(n);
}

const hex = (b) => "0x" + Buffer.from(b).toString("hex");
const unhex = (s) => Uint8Array.from(Buffer.from(s.replace(/^0x/, ""), "hex"));

// ---- networks (eth-clients/<network>/metadata/config.yaml, genesis_validators_root.txt) ----
const FORKS = ["phase0", "altair", "bellatrix", "capella", "deneb", "electra", "fulu"];
const NETWORKS = {
  mainnet: {
    gvr: "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95",
    versions: ["0x00000000", "0x01000000", "0x02000000", "0x03000000", "0x04000000", "0x05000000", "0x06000000"],
    epochs: [0, 74240, 144896, 194048, 269568, 364032, 411392],
  },
  sepolia: {
    gvr: "0xd8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078",
    versions: ["0x90000069", "0x90000070", "0x90000071", "0x90000072", "0x90000073", "0x90000074", "0x90000075"],
    epochs: [0, 50, 100, 56832, 132608, 222464, 272640],
  },
  hoodi: {
    gvr: "0x212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f",
    versions: ["0x10000910", "0x20000910", "0x30000910", "0x40000910", "0x50000910", "0x60000910", "0x70000910"],
    epochs: [0, 0, 0, 0, 0, 2048, 50688],
  },
  holesky: {
    gvr: "0x9143aa7c615a7f7115e2b6aac319c03529df8242ae705fba9df39b79c59fa8b1",
    versions: ["0x01017000", "0x02017000", "0x03017000", "0x04017000", "0x05017000", "0x06017000", "0x07017000"],
    epochs: [0, 0, 0, 256, 29696, 115968, 165120],
  },
};
const SLOTS_PER_EPOCH = 32;
const forkIndexAt = (net, epoch) => {
  let f = 0;
  for (let i = 0; i < FORKS.length; i++) if (NETWORKS[net].epochs[i] <= epoch) f = i;
  return f;
};

// The beacon state's `fork` after upgrading to fork index f (phase0: previous == current).
function forkRecord(net, f) {
  const n = NETWORKS[net];
  return {
    previousVersion: unhex(n.versions[Math.max(0, f - 1)]),
    currentVersion: unhex(n.versions[f]),
    epoch: n.epochs[f],
  };
}

// ---- spec formulas (phase0 beacon-chain.md "compute_domain", "compute_signing_root") ----
const DOMAIN = {
  BEACON_PROPOSER: "0x00000000",
  BEACON_ATTESTER: "0x01000000",
  RANDAO: "0x02000000",
  DEPOSIT: "0x03000000",
  VOLUNTARY_EXIT: "0x04000000",
  SELECTION_PROOF: "0x05000000",
  AGGREGATE_AND_PROOF: "0x06000000",
  SYNC_COMMITTEE: "0x07000000",
  SYNC_COMMITTEE_SELECTION_PROOF: "0x08000000",
  CONTRIBUTION_AND_PROOF: "0x09000000",
  APPLICATION_BUILDER: "0x00000001",
};
function computeDomain(domainType, forkVersion, gvr) {
  const forkDataRoot = ssz.phase0.ForkData.hashTreeRoot({currentVersion: forkVersion, genesisValidatorsRoot: gvr});
  const domain = new Uint8Array(32);
  domain.set(unhex(domainType), 0);
  domain.set(forkDataRoot.subarray(0, 28), 4);
  return domain;
}
const computeSigningRoot = (objectRoot, domain) => ssz.phase0.SigningData.hashTreeRoot({objectRoot, domain});
// get_domain with the request's fork_info standing in for state.fork.
function forkDomain(domainType, fork, gvr, epoch) {
  return computeDomain(domainType, epoch < fork.epoch ? fork.previousVersion : fork.currentVersion, gvr);
}

const lines = [];
let counter = 0;

// One request case. With `fork` (the fork_info record) the domain follows from domainType and
// the message epoch; the fork-less types (DEPOSIT, VALIDATOR_REGISTRATION) pass `domain`.
function emitRequest(name, net, type, payload, {fork, domainType, epoch, domain, objectRoot, expect = {}}) {
  const n = NETWORKS[net];
  const request = {type};
  if (fork) {
    request.fork_info = {fork: ssz.phase0.Fork.toJson(fork), genesis_validators_root: n.gvr};
  }
  Object.assign(request, payload);
  const root = computeSigningRoot(objectRoot, fork ? forkDomain(domainType, fork, unhex(n.gvr), epoch) : domain);
  // Clients usually send their own root too, under either spelling; sometimes none.
  const variant = counter++ % 3;
  if (variant === 1) request.signingRoot = hex(root);
  if (variant === 2) request.signing_root = hex(root);
  if (variant !== 0) expect.client_signing_root = hex(root);
  lines.push({name: `${net}/${name}`, network: net, request, signing_root: hex(root), expect});
}

function emitContainer(name, type, value) {
  const container = name.split("#")[0];
  lines.push({name, container, value: type.toJson(value), hash_tree_root: hex(type.hashTreeRoot(value))});
}

// Message epochs around every fork boundary of a network, each with the fork_info a client
// would send: the state's fork at that epoch, and just before a fork also the upgraded state's
// fork (epoch < fork.epoch exercises previous_version).
function boundaryEpochs(net, fromFork = 0) {
  const n = NETWORKS[net];
  const cases = [];
  for (let f = fromFork; f < FORKS.length; f++) {
    const e = n.epochs[f];
    if (f > fromFork && e > 0 && n.epochs[f - 1] < e) {
      cases.push({label: `${FORKS[f]}-1`, epoch: e - 1, fork: forkRecord(net, f - 1), forkIndex: f - 1});
      cases.push({label: `${FORKS[f]}-1/upgraded`, epoch: e - 1, fork: forkRecord(net, f), forkIndex: f - 1});
    }
    if (f === FORKS.length - 1 || n.epochs[f + 1] > e) {
      cases.push({label: `${FORKS[f]}+0`, epoch: e, fork: forkRecord(net, f), forkIndex: f});
    }
  }
  return cases;
}
const slotIn = (epoch) => epoch * SLOTS_PER_EPOCH + randInt(0, SLOTS_PER_EPOCH - 1);
const ucFork = (i) => FORKS[i].toUpperCase();

// ---- BLOCK (phase0) and BLOCK_V2 ----
const fullBlockOpts = {minLen: 1, maxLen: 2, maxBits: 300};
for (const [label, slot] of [["genesis", 0], ["altair-1", 74240 * 32 - 1]]) {
  const block = randomValue(ssz.phase0.BeaconBlock, fullBlockOpts);
  setU64(ssz.phase0.BeaconBlock, block, ["slot"], slot);
  emitRequest(`BLOCK/phase0/${label}`, "mainnet", "BLOCK", {block: ssz.phase0.BeaconBlock.toJson(block)}, {
    fork: forkRecord("mainnet", 0),
    domainType: DOMAIN.BEACON_PROPOSER,
    epoch: Math.floor(slot / 32),
    objectRoot: ssz.phase0.BeaconBlock.hashTreeRoot(block),
    expect: {block_slot: String(slot)},
  });
}
for (const c of boundaryEpochs("mainnet")) {
  const slot = slotIn(c.epoch);
  const f = c.forkIndex;
  if (f <= 1) {
    const t = f === 0 ? ssz.phase0.BeaconBlock : ssz.altair.BeaconBlock;
    const block = randomValue(t, fullBlockOpts);
    setU64(t, block, ["slot"], slot);
    emitRequest(`BLOCK_V2/${FORKS[f]}/full/${c.label}`, "mainnet", "BLOCK_V2",
      {beacon_block: {version: ucFork(f), block: t.toJson(block)}}, {
        fork: c.fork, domainType: DOMAIN.BEACON_PROPOSER, epoch: c.epoch,
        objectRoot: t.hashTreeRoot(block), expect: {block_slot: String(slot)},
      });
  }
  const header = randomValue(ssz.phase0.BeaconBlockHeader);
  setU64(ssz.phase0.BeaconBlockHeader, header, ["slot"], slot);
  const version = f % 2 ? ucFork(f) : FORKS[f]; // the version string is case-insensitive
  emitRequest(`BLOCK_V2/${FORKS[f]}/header/${c.label}`, "mainnet", "BLOCK_V2",
    {beacon_block: {version, block_header: ssz.phase0.BeaconBlockHeader.toJson(header)}}, {
      fork: c.fork, domainType: DOMAIN.BEACON_PROPOSER, epoch: c.epoch,
      objectRoot: ssz.phase0.BeaconBlockHeader.hashTreeRoot(header), expect: {block_slot: String(slot)},
    });
}

// ---- ATTESTATION, AGGREGATION_SLOT, RANDAO_REVEAL, VOLUNTARY_EXIT ----
for (const net of ["mainnet", "hoodi", "sepolia", "holesky"]) {
  const list = net === "mainnet" ? boundaryEpochs(net) : boundaryEpochs(net).slice(-3);
  for (const c of list) {
    const data = randomValue(ssz.phase0.AttestationData);
    const T = ssz.phase0.AttestationData;
    setU64(T, data, ["target", "epoch"], c.epoch);
    setU64(T, data, ["source", "epoch"], c.epoch - randInt(0, Math.min(c.epoch, 3)));
    setU64(T, data, ["slot"], slotIn(c.epoch));
    emitRequest(`ATTESTATION/${c.label}`, net, "ATTESTATION", {attestation: ssz.phase0.AttestationData.toJson(data)}, {
      fork: c.fork, domainType: DOMAIN.BEACON_ATTESTER, epoch: c.epoch,
      objectRoot: ssz.phase0.AttestationData.hashTreeRoot(data),
      expect: {source_epoch: String(data.source.epoch), target_epoch: String(data.target.epoch)},
    });
  }
}
for (const c of boundaryEpochs("mainnet")) {
  const slot = slotIn(c.epoch);
  emitRequest(`AGGREGATION_SLOT/${c.label}`, "mainnet", "AGGREGATION_SLOT", {aggregation_slot: {slot: String(slot)}}, {
    fork: c.fork, domainType: DOMAIN.SELECTION_PROOF, epoch: c.epoch, objectRoot: ssz.Slot.hashTreeRoot(slot),
  });
  emitRequest(`RANDAO_REVEAL/${c.label}`, "mainnet", "RANDAO_REVEAL", {randao_reveal: {epoch: String(c.epoch)}}, {
    fork: c.fork, domainType: DOMAIN.RANDAO, epoch: c.epoch, objectRoot: ssz.Epoch.hashTreeRoot(c.epoch),
  });
}
for (const c of boundaryEpochs("mainnet").filter((_, i) => i % 2 === 0)) {
  const exit = {epoch: c.epoch, validatorIndex: randU53()};
  // EIP-7044: from deneb on, clients sign exits under the capella fork.
  const fork = c.forkIndex >= 4 ? forkRecord("mainnet", 3) : c.fork;
  emitRequest(`VOLUNTARY_EXIT/${c.label}`, "mainnet", "VOLUNTARY_EXIT",
    {voluntary_exit: ssz.phase0.VoluntaryExit.toJson(exit)}, {
      fork, domainType: DOMAIN.VOLUNTARY_EXIT, epoch: c.epoch, objectRoot: ssz.phase0.VoluntaryExit.hashTreeRoot(exit),
    });
}

// ---- AGGREGATE_AND_PROOF (legacy and V2): container chosen by the fork at aggregate.data.slot ----
function aggregateCase(net, c, shape, versionOverride) {
  const electra = c.forkIndex >= 5;
  const t = electra ? ssz.electra.AggregateAndProof : ssz.phase0.AggregateAndProof;
  const agg = randomValue(t, {maxLen: 2, maxBits: electra ? 1500 : 400});
  setU64(t, agg, ["aggregate", "data", "slot"], slotIn(c.epoch));
  setU64(t, agg, ["aggregate", "data", "target", "epoch"], c.epoch);
  const data = t.toJson(agg);
  const version = versionOverride ?? ucFork(c.forkIndex);
  const type = shape === "legacy" ? "AGGREGATE_AND_PROOF" : "AGGREGATE_AND_PROOF_V2";
  const body = shape === "v2" ? {version, data} : data;
  emitRequest(`${type}/${shape}/${c.label}${versionOverride ? "/version=" + versionOverride : ""}`, net, type,
    {aggregate_and_proof: body}, {
      fork: c.fork, domainType: DOMAIN.AGGREGATE_AND_PROOF, epoch: c.epoch, objectRoot: t.hashTreeRoot(agg),
    });
}
for (const c of boundaryEpochs("mainnet").filter((c) => c.forkIndex === 0 || c.forkIndex >= 4)) {
  aggregateCase("mainnet", c, "legacy");
  aggregateCase("mainnet", c, "v2");
  if (c.forkIndex >= 5) aggregateCase("mainnet", c, "v2-unwrapped");
}
const mainnetLate = boundaryEpochs("mainnet");
aggregateCase("mainnet", mainnetLate[mainnetLate.length - 1], "v2", "DENEB"); // version string is not trusted
for (const c of boundaryEpochs("hoodi").filter((c) => c.forkIndex >= 4)) aggregateCase("hoodi", c, "v2");

// ---- sync committee (altair and later) ----
for (const c of boundaryEpochs("mainnet", 1)) {
  const slot = slotIn(c.epoch);
  const blockRoot = randBytes(32);
  emitRequest(`SYNC_COMMITTEE_MESSAGE/${c.label}`, "mainnet", "SYNC_COMMITTEE_MESSAGE",
    {sync_committee_message: {beacon_block_root: hex(blockRoot), slot: String(slot)}}, {
      fork: c.fork, domainType: DOMAIN.SYNC_COMMITTEE, epoch: c.epoch, objectRoot: ssz.Root.hashTreeRoot(blockRoot),
    });
  const sel = {slot, subcommitteeIndex: randInt(0, 3)};
  emitRequest(`SYNC_COMMITTEE_SELECTION_PROOF/${c.label}`, "mainnet", "SYNC_COMMITTEE_SELECTION_PROOF",
    {sync_aggregator_selection_data: ssz.altair.SyncAggregatorSelectionData.toJson(sel)}, {
      fork: c.fork, domainType: DOMAIN.SYNC_COMMITTEE_SELECTION_PROOF, epoch: c.epoch,
      objectRoot: ssz.altair.SyncAggregatorSelectionData.hashTreeRoot(sel),
    });
  const cap = randomValue(ssz.altair.ContributionAndProof);
  setU64(ssz.altair.ContributionAndProof, cap, ["contribution", "slot"], slot);
  emitRequest(`SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF/${c.label}`, "mainnet", "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF",
    {contribution_and_proof: ssz.altair.ContributionAndProof.toJson(cap)}, {
      fork: c.fork, domainType: DOMAIN.CONTRIBUTION_AND_PROOF, epoch: c.epoch,
      objectRoot: ssz.altair.ContributionAndProof.hashTreeRoot(cap),
    });
}

// ---- DEPOSIT and VALIDATOR_REGISTRATION: fixed domains, no fork_info ----
const depositVersions = [
  ["mainnet-genesis", "0x00000000"],
  ["hoodi-genesis", "0x10000910"],
  ["random", hex(randBytes(4))],
];
for (const [label, gfv] of depositVersions) {
  const msg = randomValue(ssz.phase0.DepositMessage);
  const payload = {deposit: {...ssz.phase0.DepositMessage.toJson(msg), genesis_fork_version: gfv}};
  emitRequest(`DEPOSIT/${label}`, "mainnet", "DEPOSIT", payload, {
    domain: computeDomain(DOMAIN.DEPOSIT, unhex(gfv), new Uint8Array(32)),
    objectRoot: ssz.phase0.DepositMessage.hashTreeRoot(msg),
  });
}
for (const net of Object.keys(NETWORKS)) {
  const reg = randomValue(ssz.bellatrix.ValidatorRegistrationV1);
  emitRequest(`VALIDATOR_REGISTRATION/${net}`, net, "VALIDATOR_REGISTRATION",
    {validator_registration: ssz.bellatrix.ValidatorRegistrationV1.toJson(reg)}, {
      domain: computeDomain(DOMAIN.APPLICATION_BUILDER, unhex(NETWORKS[net].versions[0]), new Uint8Array(32)),
      objectRoot: ssz.bellatrix.ValidatorRegistrationV1.hashTreeRoot(reg),
    });
}

// ---- containers on their own (types no request reaches in full, and edge lengths) ----
const containerTypes = {
  "phase0.BeaconBlock": ssz.phase0.BeaconBlock,
  "altair.BeaconBlock": ssz.altair.BeaconBlock,
  "phase0.BeaconBlockBody": ssz.phase0.BeaconBlockBody,
  "altair.BeaconBlockBody": ssz.altair.BeaconBlockBody,
  "phase0.BeaconBlockHeader": ssz.phase0.BeaconBlockHeader,
  "phase0.ProposerSlashing": ssz.phase0.ProposerSlashing,
  "phase0.AttesterSlashing": ssz.phase0.AttesterSlashing,
  "electra.AttesterSlashing": ssz.electra.AttesterSlashing,
  "phase0.IndexedAttestation": ssz.phase0.IndexedAttestation,
  "electra.IndexedAttestation": ssz.electra.IndexedAttestation,
  "phase0.Attestation": ssz.phase0.Attestation,
  "electra.Attestation": ssz.electra.Attestation,
  "phase0.Deposit": ssz.phase0.Deposit,
  "phase0.DepositData": ssz.phase0.DepositData,
  "phase0.DepositMessage": ssz.phase0.DepositMessage,
  "phase0.SignedVoluntaryExit": ssz.phase0.SignedVoluntaryExit,
  "phase0.Eth1Data": ssz.phase0.Eth1Data,
  "phase0.Fork": ssz.phase0.Fork,
  "phase0.ForkData": ssz.phase0.ForkData,
  "phase0.SigningData": ssz.phase0.SigningData,
  "phase0.AggregateAndProof": ssz.phase0.AggregateAndProof,
  "electra.AggregateAndProof": ssz.electra.AggregateAndProof,
  "altair.SyncAggregate": ssz.altair.SyncAggregate,
  "altair.SyncCommitteeContribution": ssz.altair.SyncCommitteeContribution,
  "altair.ContributionAndProof": ssz.altair.ContributionAndProof,
  "altair.SyncAggregatorSelectionData": ssz.altair.SyncAggregatorSelectionData,
  "bellatrix.ValidatorRegistrationV1": ssz.bellatrix.ValidatorRegistrationV1,
};
for (const [name, t] of Object.entries(containerTypes)) {
  emitContainer(`${name}#empty`, t, t.defaultValue());
  emitContainer(`${name}#random`, t, randomValue(t, {minLen: 1, maxLen: 3, maxBits: 700}));
}
// Bitlist lengths around byte and chunk edges, and at the limits.
for (const bits of [0, 1, 7, 8, 9, 255, 256, 257, 511, 512, 2047, 2048]) {
  const a = randomValue(ssz.phase0.Attestation);
  a.aggregationBits = BitArray.fromBoolArray(Array.from({length: bits}, () => (rand32() & 1) === 1));
  emitContainer(`phase0.Attestation#bits=${bits}`, ssz.phase0.Attestation, a);
}
for (const bits of [0, 256, 4096, 131071, 131072]) {
  const a = randomValue(ssz.electra.Attestation);
  a.aggregationBits = BitArray.fromBoolArray(Array.from({length: bits}, (_, i) => i % 3 === 0));
  emitContainer(`electra.Attestation#bits=${bits}`, ssz.electra.Attestation, a);
}
for (const n of [0, 1, 4, 5, 2048]) {
  const ia = randomValue(ssz.phase0.IndexedAttestation);
  ia.attestingIndices = Array.from({length: n}, () => randU53());
  emitContainer(`phase0.IndexedAttestation#indices=${n}`, ssz.phase0.IndexedAttestation, ia);
}
for (const n of [2049, 5000]) {
  const ia = randomValue(ssz.electra.IndexedAttestation);
  ia.attestingIndices = Array.from({length: n}, () => randU53());
  emitContainer(`electra.IndexedAttestation#indices=${n}`, ssz.electra.IndexedAttestation, ia);
}
const fullBody = randomValue(ssz.altair.BeaconBlockBody, {minLen: 1, maxLen: 1});
for (const k of ["proposerSlashings", "deposits", "voluntaryExits"]) {
  fullBody[k] = Array.from({length: 16}, () => randomValue(ssz.altair.BeaconBlockBody.fields[k].elementType));
}
fullBody.attesterSlashings = [0, 1].map(() => randomValue(ssz.phase0.AttesterSlashing));
emitContainer("altair.BeaconBlockBody#full-lists", ssz.altair.BeaconBlockBody, fullBody);

writeFileSync(out, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
console.log(`wrote ${lines.length} cases to ${out}`);
