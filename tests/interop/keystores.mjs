// EIP-2335 keystores written by node (node:crypto + @chainsafe/blst), independently of the signer's own
// `keys generate`: the signer must decrypt what another implementation encrypted. Each key is written as
// <name>.json with its password in <name>.txt, the layout key_sources.filesystem reads.
import { createCipheriv, createHash, pbkdf2Sync, randomBytes, randomUUID, scryptSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { SecretKey } from "@chainsafe/blst";

// EIP-2335 "Password requirements": NFKD, then the C0, C1 and Delete control codes are removed.
export function processPassword(password) {
  return Buffer.from(password.normalize("NFKD").replace(/[\u0000-\u001f\u007f-\u009f]/g, ""), "utf8");
}

function deriveKey(kdf, password) {
  const pw = processPassword(password);
  const salt = Buffer.from(kdf.params.salt, "hex");
  if (kdf.function === "scrypt") {
    const { n, r, p, dklen } = kdf.params;
    return scryptSync(pw, salt, dklen, { N: n, r, p, maxmem: 256 * n * r + (1 << 20) });
  }
  return pbkdf2Sync(pw, salt, kdf.params.c, kdf.params.dklen, "sha256");
}

// Writes one keystore; returns {name, secretKey, publicKey (0x hex), password}.
//   kdf: "scrypt" (n = 2^14: cheap, a test key) or "pbkdf2" (c = 2^13)
export function writeKeystore(dir, name, password, kdfName, index) {
  const secretKey = SecretKey.fromKeygen(randomBytes(32));
  const publicKey = "0x" + Buffer.from(secretKey.toPublicKey().toBytes()).toString("hex");
  const salt = randomBytes(32).toString("hex");
  const kdf = kdfName === "scrypt"
    ? { function: "scrypt", params: { dklen: 32, n: 16384, r: 8, p: 1, salt }, message: "" }
    : { function: "pbkdf2", params: { dklen: 32, c: 8192, prf: "hmac-sha256", salt }, message: "" };
  const dk = deriveKey(kdf, password);
  const iv = randomBytes(16);
  const cipher = createCipheriv("aes-128-ctr", dk.subarray(0, 16), iv);
  const ciphertext = Buffer.concat([cipher.update(Buffer.from(secretKey.toBytes())), cipher.final()]);
  const checksum = createHash("sha256").update(Buffer.concat([dk.subarray(16, 32), ciphertext])).digest("hex");
  const keystore = {
    crypto: {
      kdf,
      checksum: { function: "sha256", params: {}, message: checksum },
      cipher: { function: "aes-128-ctr", params: { iv: iv.toString("hex") }, message: ciphertext.toString("hex") },
    },
    description: `interop test key ${name} (${kdfName})`,
    pubkey: publicKey.slice(2),
    path: `m/12381/3600/${index}/0/0`,
    uuid: randomUUID(),
    version: 4,
  };
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(keystore, null, 2));
  writeFileSync(join(dir, `${name}.txt`), password, { mode: 0o600 });
  return { name, secretKey, publicKey, password };
}
