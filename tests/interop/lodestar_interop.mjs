// A real validator client's messages against the real signer: the `containment-chamber server` binary is started
// per network (mainnet, sepolia, hoodi) with keystores written here (two by node, one by `keys generate`) and
// SQLite anti-slashing in the work directory. Every signing type of every fork the network schedules is built
// with Lodestar's types and config (messages.mjs), sent in Lodestar's Web3Signer shape and in the shapes of
// Lighthouse, Teku, Prysm and Vero (REFERENCE.md A.3), and every signature is verified with @chainsafe/blst
// against the key and the signing root computed in node (for the node-made keys it must also equal blst's own
// signature, BLS being deterministic). Then slashable messages built with Lodestar must be refused (412).
// Forks Lodestar knows that no network schedules yet (Gloas, Heze) cannot be signed for and are listed as such.
//
//   node tests/interop/lodestar_interop.mjs <work dir> <containment-chamber binary>
// Prints "<network> <type> <fork>: N passed, N failed" per group, then "N passed, N failed"; exits 1 on any
// failure. CC_INTEROP_SEED replays a run's random messages (the seed is printed first).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PublicKey, Signature, verify } from "@chainsafe/blst";
import { createBeaconConfig } from "@lodestar/config";
import { genesisData, networksChainConfig } from "@lodestar/config/networks";
import { ForkName } from "@lodestar/params";
import { Rng, forkEpochs, forkMessages, genesisMessages, hex } from "./messages.mjs";
import { writeKeystore } from "./keystores.mjs";
import { Signer } from "./signer_process.mjs";

if (process.argv.length < 4) {
  console.error("usage: node tests/interop/lodestar_interop.mjs <work dir> <containment-chamber binary>");
  process.exit(2);
}
const work = resolve(process.argv[2]);
const binary = resolve(process.argv[3]);
const seed = process.env.CC_INTEROP_SEED ?? randomBytes(8).toString("hex");
console.log(`seed ${seed} (CC_INTEROP_SEED=${seed} replays these messages)`);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// ---------------------------------------------------------------------------------------------------- keys

const keysDir = join(work, "keys");
mkdirSync(keysDir, { recursive: true, mode: 0o700 });
// The EIP-2335 test-vector password: NFKD turns the Fraktur letters into "testpassword" (the key emoji stays).
const keys = [
  writeKeystore(keysDir, "node-scrypt", "\u{1d531}\u{1d522}\u{1d530}\u{1d531}\u{1d52d}\u{1d51e}\u{1d530}\u{1d530}\u{1d534}\u{1d52c}\u{1d52f}\u{1d521}\u{1f511}", "scrypt", 0),
  writeKeystore(keysDir, "node-pbkdf2", "interop-test-password", "pbkdf2", 1),
];
{
  const pwFile = join(work, "generate-password.txt");
  writeFileSync(pwFile, "generated-key-password\n", { mode: 0o600 });
  const r = spawnSync(binary, ["keys", "generate", "--count", "1", "--out", keysDir, "--password-file", pwFile,
                               "--insecure-fast-kdf"], { encoding: "utf8" });
  const pubkey = r.stdout?.trim();
  if (r.status !== 0 || !/^0x[0-9a-f]{96}$/.test(pubkey)) {
    console.error(`keys generate failed (${r.status}): ${r.stdout}${r.stderr}${r.error ?? ""}`);
    process.exit(1);
  }
  keys.push({ name: "keys-generate", secretKey: null, publicKey: pubkey, password: "generated-key-password" });
}
for (const k of keys) k.blstKey = PublicKey.fromBytes(Buffer.from(k.publicKey.slice(2), "hex"));

// -------------------------------------------------------------------------------------------------- checks

const LODESTAR_HEADERS = { Accept: "application/json", "Content-Type": "application/json" };
const groups = new Map();  // "<network> <type> <fork>" -> {passed, failed}
const failures = [];

function record(group, label, error) {
  const g = groups.get(group) ?? { passed: 0, failed: 0 };
  groups.set(group, g);
  if (error) {
    g.failed++;
    failures.push(`${group} [${label}]: ${error}`);
  } else {
    g.passed++;
  }
}

// The media type as Lodestar's handleExternalSignerResponse reads it (parameters dropped, lower case).
const mediaType = (res) => res.contentType.split(";", 1)[0].trim().toLowerCase();

// (key, root, signature) triples already verified: the variants of one message repeat them.
const verified = new Set();

// Checks one answer of the signer: a signature over `root` by `key` (JSON or bare hex), or a refusal.
function judge(res, key, expect) {
  if (expect.status) {
    if (res.status !== expect.status) return `expected ${expect.status}, got ${res.status}: ${res.text.slice(0, 300)}`;
    if (expect.match && !expect.match.test(res.text)) return `the ${res.status} body does not match ${expect.match}: ${res.text}`;
    if (/"signature"/.test(res.text)) return `a refusal carried a signature: ${res.text}`;
    if (mediaType(res) !== "application/json") return `the ${res.status} answer is ${res.contentType}, not JSON`;
    try {
      if (typeof JSON.parse(res.text).message !== "string") return `the ${res.status} body has no message: ${res.text}`;
    } catch (e) {
      return `the ${res.status} body is not JSON: ${res.text}`;
    }
    return null;
  }
  if (res.status !== 200) return `HTTP ${res.status}: ${res.text.slice(0, 400)}`;
  let signature;
  if (expect.text) {
    if (mediaType(res) !== "text/plain") return `Accept: text/plain answered with ${res.contentType}`;
    signature = res.text.trim();
  } else {
    if (mediaType(res) !== "application/json") return `expected a JSON answer, got ${res.contentType}: ${res.text}`;
    try {
      signature = JSON.parse(res.text).signature;
    } catch (e) {
      return `invalid JSON: ${res.text}`;
    }
  }
  if (!/^0x[0-9a-f]{192}$/.test(signature ?? "")) return `not a 96-byte hex signature: ${signature}`;
  const proven = `${key.publicKey}/${hex(expect.root)}/${signature}`;
  if (verified.has(proven)) return null;
  let valid = false;
  try {
    valid = verify(expect.root, key.blstKey, Signature.fromBytes(Buffer.from(signature.slice(2), "hex")));
  } catch (e) {
    return `signature does not decode: ${e.message}`;
  }
  if (!valid) return `signature does not verify against ${key.publicKey} over the root ${hex(expect.root)}`;
  if (key.secretKey && hex(key.secretKey.sign(expect.root).toBytes()) !== signature) {
    return "signature differs from blst's deterministic signature with the same key";
  }
  verified.add(proven);
  return null;
}

async function attempt(signer, group, label, key, body, headers, expect) {
  let error;
  try {
    error = judge(await signer.sign(key.publicKey, body, headers), key, expect);
  } catch (e) {
    error = `request failed: ${e.message}`;
  }
  record(group, label, error);
}

// The same request in the spellings and response formats clients use; one key each, rotating.
const VARIANTS = [
  { label: "signing_root spelling", edit: (b) => { b.signing_root = b.signingRoot; delete b.signingRoot; } },
  { label: "no signing root", edit: (b) => { delete b.signingRoot; } },
  { label: "text response (Teku/Prysm)", headers: { Accept: "text/plain", "Content-Type": "application/json" }, text: true },
  { label: "no Accept header", headers: { "Content-Type": "application/json" } },
  { label: "fork_info of the state (Lighthouse/Teku/Prysm: activation epoch)",
    edit: (b, msg) => { if (b.fork_info) b.fork_info = msg.stateForkInfo; } },
  { label: "mismatching signingRoot is refused", edit: (b) => { b.signingRoot = hex(randomBytes(32)); },
    refuse: { status: 400, match: /signing.?root/i } },
];

// All requests for one message go out at once: they carry the same object, so whichever reaches the
// anti-slashing database first records it and the others are identical re-signings (allowed).
async function exercise(signer, network, msg, extras, rotation, where = "") {
  const group = `${network} ${msg.type} ${msg.fork}`;
  const at = (label) => [msg.note, label, where].filter(Boolean).join(", ");
  const pending = [];
  for (const key of keys) {
    pending.push(attempt(signer, group, at(`Lodestar shape, key ${key.name}`), key, msg.body(key), LODESTAR_HEADERS,
                         { root: msg.rootFor(key) }));
  }
  for (const v of VARIANTS) {
    const key = keys[rotation.next++ % keys.length];
    const body = msg.body(key);
    v.edit?.(body, msg);
    pending.push(attempt(signer, group, at(`${v.label}, key ${key.name}`), key, body, v.headers ?? LODESTAR_HEADERS,
                         v.refuse ?? { root: msg.rootFor(key), text: v.text }));
  }
  for (const x of extras.filter((e) => e.of === msg)) {
    const key = keys[rotation.next++ % keys.length];
    const lodestarBody = msg.body(key);
    const body = { type: x.type ?? msg.type, ...x.payload, signingRoot: lodestarBody.signingRoot };
    if (lodestarBody.fork_info) body.fork_info = lodestarBody.fork_info;
    pending.push(attempt(signer, `${network} ${body.type} ${msg.fork}`, at(`${x.label}, key ${key.name}`), key, body,
                         LODESTAR_HEADERS, x.refuse ?? { root: msg.rootFor(key) }));
  }
  await Promise.all(pending);
}

// ---------------------------------------------------------------------------------------------- per network

async function runNetwork(network) {
  const config = createBeaconConfig(networksChainConfig[network],
                                    Buffer.from(genesisData[network].genesisValidatorsRoot.slice(2), "hex"));
  const rng = new Rng(`${seed}/${network}`);
  const { tested, unscheduled, shadowed } = forkEpochs(config);
  const notes = [`${network}: forks ${tested.map((t) => `${t.fork}@${t.epoch}`).join(" ")}`];
  if (shadowed.length) notes.push(`${network}: ${shadowed.join(", ")} share their activation epoch with a later fork (no epoch of their own)`);
  if (unscheduled.length) notes.push(`${network}: ${unscheduled.join(", ")} not scheduled in @lodestar/config (no message can be built for them)`);

  const signer = new Signer(binary, keysDir, join(work, network), network);
  const rotation = { next: 0 };
  try {
    await signer.start();
    await probes(signer, network, config);
    for (const msg of genesisMessages(config, rng)) await exercise(signer, network, msg, [], rotation);
    // Ascending epochs: every attestation and block is new to the anti-slashing database and not slashable.
    // Around each activation: the last slot before it, the fork's first slot, then a slot inside the fork.
    let signedEpoch = -1;
    const signAt = async (fork, epoch, slotInEpoch) => {
      const { messages, extra } = forkMessages(config, fork, epoch, rng, slotInEpoch);
      const where = `slot ${epoch * 32 + slotInEpoch}`;
      for (const msg of messages) await exercise(signer, network, msg, extra, rotation, where);
      signedEpoch = epoch;
    };
    for (const { fork, epoch } of tested) {
      const start = config.forks[fork].epoch;
      if (start > 0 && start - 1 > signedEpoch) await signAt(config.getForkName((start - 1) * 32), start - 1, 31);
      if (start > signedEpoch && start < epoch) await signAt(fork, start, 0);
      await signAt(fork, epoch, 5);
    }
    const last = tested.at(-1);
    await slashing(signer, network, config, last.fork, last.epoch + 10, rng);
  } finally {
    await signer.stop();
  }
  // Secrets never reach the log: neither a keystore password nor a secret key (hex, with or without 0x).
  const secrets = keys.flatMap((k) => [k.password, k.secretKey && hex(k.secretKey.toBytes()).slice(2)]).filter(Boolean);
  const leaked = secrets.filter((secret) => signer.output.toLowerCase().includes(secret.toLowerCase()));
  record(`${network} api probes`, "no password or secret key in the server's output",
         leaked.length ? `the server's output contains ${leaked.length} secret(s)` : null);
  return notes;
}

// /upcheck as text and as JSON (Lodestar parses {"status":"OK"}), the key list, an unknown key and type.
async function probes(signer, network, config) {
  const group = `${network} api probes`;
  const check = async (label, fn) => {
    try {
      record(group, label, await fn());
    } catch (e) {
      record(group, label, e.message);
    }
  };
  await check("/upcheck as JSON for Accept: application/json", async () => {
    const r = await signer.request("GET", "/upcheck", { headers: { Accept: "application/json" } });
    if (r.status !== 200 || mediaType(r) !== "application/json") return `${r.status} ${r.contentType}`;
    return JSON.parse(r.text).status === "OK" ? null : `body ${r.text}`;
  });
  await check("/upcheck as text by default", async () => {
    const r = await signer.request("GET", "/upcheck");
    return r.status === 200 && mediaType(r) === "text/plain" && r.text.trim() === "OK" ? null
      : `${r.status} ${r.contentType} ${r.text}`;
  });
  await check("publicKeys lists every keystore", async () => {
    const r = await signer.request("GET", "/api/v1/eth2/publicKeys", { headers: { Accept: "application/json" } });
    const listed = new Set(JSON.parse(r.text).map((k) => k.toLowerCase()));
    const missing = keys.filter((k) => !listed.has(k.publicKey));
    return missing.length ? `missing ${missing.map((k) => k.name).join(", ")}: ${r.text}` : null;
  });
  await check("unknown key is 404", async () => {
    const stranger = { publicKey: hex(randomBytes(48)) };
    const body = genesisMessages(config, new Rng(seed)).find((m) => m.type === "VALIDATOR_REGISTRATION").body(stranger);
    const r = await signer.sign(stranger.publicKey, body, LODESTAR_HEADERS);
    return r.status === 404 ? null : `${r.status} ${r.text}`;
  });
  await check("Lodestar's non-spec BLS_TO_EXECUTION_CHANGE is a 400 naming the type", async () => {
    const r = await signer.sign(keys[0].publicKey, { type: "BLS_TO_EXECUTION_CHANGE", BLS_TO_EXECUTION_CHANGE: {} },
                                LODESTAR_HEADERS);
    return r.status === 400 && /BLS_TO_EXECUTION_CHANGE/.test(r.text) ? null : `${r.status} ${r.text}`;
  });
}

// Double vote, surround vote and double proposal built with Lodestar at `epoch` (after everything signed so far).
async function slashing(signer, network, config, fork, epoch, rng) {
  const group = `${network} slashing ${fork}`;
  const key = keys[0];
  const first = forkMessages(config, fork, epoch, rng).messages;
  const second = forkMessages(config, fork, epoch, rng).messages;
  const find = (list, type) => list.find((m) => m.type === type);
  const refused = { status: 412 };

  const vote = find(first, "ATTESTATION");
  await attempt(signer, group, "attestation", key, vote.body(key), LODESTAR_HEADERS, { root: vote.rootFor(key) });
  const otherVote = find(second, "ATTESTATION");
  await attempt(signer, group, "double vote (same target, other data) is refused", key, otherVote.body(key),
                LODESTAR_HEADERS, refused);
  await attempt(signer, group, "the same attestation again is signed", key, vote.body(key), LODESTAR_HEADERS,
                { root: vote.rootFor(key) });
  const surrounding = find(forkMessages(config, fork, epoch + 1, rng).messages, "ATTESTATION").body(key);
  surrounding.attestation.source.epoch = String(epoch - 2);
  delete surrounding.signingRoot;  // the source moved: let the signer compute the root
  await attempt(signer, group, "surrounding vote is refused", key, surrounding, LODESTAR_HEADERS, refused);

  const block = find(first, "BLOCK_V2");
  await attempt(signer, group, "block", key, block.body(key), LODESTAR_HEADERS, { root: block.rootFor(key) });
  await attempt(signer, group, "double proposal (same slot, other block) is refused", key,
                find(second, "BLOCK_V2").body(key), LODESTAR_HEADERS, refused);
  await attempt(signer, group, "the same block again is signed", key, block.body(key), LODESTAR_HEADERS,
                { root: block.rootFor(key) });

  // Conflicting messages at once (another key, later epoch): of 8 different votes for one target, and of 8
  // different blocks for one slot, exactly one may be signed.
  const racer = keys[1];
  const rivals = Array.from({ length: 8 }, () => forkMessages(config, fork, epoch + 5, rng).messages);
  for (const type of ["ATTESTATION", "BLOCK_V2"]) {
    const contenders = rivals.map((list) => find(list, type));
    const answers = await Promise.all(contenders.map((m) => signer.sign(racer.publicKey, m.body(racer), LODESTAR_HEADERS)
      .catch((e) => ({ status: 0, text: e.message }))));
    const winners = answers.flatMap((res, i) => (res.status === 200 ? [i] : []));
    const others = answers.filter((res) => res.status !== 200 && res.status !== 412);
    let error = null;
    if (winners.length !== 1) error = `${winners.length} of 8 conflicting ${type} requests were signed`;
    else if (others.length) error = `unexpected answers: ${others.map((r) => `${r.status} ${r.text}`).join("; ")}`;
    else error = judge(answers[winners[0]], racer, { root: contenders[winners[0]].rootFor(racer) });
    record(group, `8 conflicting ${type} requests at once: exactly one signed`, error);
  }
}

// ------------------------------------------------------------------------------------------------------ run

const started = Date.now();
let notes = [];
for (const r of await Promise.allSettled(["mainnet", "sepolia", "hoodi"].map(runNetwork))) {
  if (r.status === "fulfilled") notes = notes.concat(r.value);
  else record("setup", "signer", r.reason?.stack ?? String(r.reason));
}
for (const n of notes) console.log(n);
// Groups by network and type, forks in activation order.
const forkRank = (group) => ["genesis", ...Object.values(ForkName)].indexOf(group.split(" ").at(-1));
const byName = ([a], [b]) => a.replace(/ \S+$/, "").localeCompare(b.replace(/ \S+$/, "")) || forkRank(a) - forkRank(b);
for (const [group, g] of [...groups].sort(byName)) {
  console.log(`${group}: ${g.passed} passed, ${g.failed} failed`);
}
for (const f of failures) console.log(`FAIL ${f}`);
const passed = [...groups.values()].reduce((n, g) => n + g.passed, 0);
const failed = [...groups.values()].reduce((n, g) => n + g.failed, 0);
console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || passed === 0 ? 1 : 0);
