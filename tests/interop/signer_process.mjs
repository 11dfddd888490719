// The real `containment-chamber server` as a child process: keystores from a directory, SQLite anti-slashing in
// the work directory, port 0 (the bound port is read from the "listening on http://" log line), and HTTP helpers
// that send requests the way validator clients do.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

// Every signer started and not yet stopped: killed if this process is told to stop (ctest's timeout), so no
// server outlives the test.
const running = new Set();
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    for (const child of running) child.kill("SIGKILL");
    process.exit(1);
  });
}

export class Signer {
  // keysDir: keystores (already written); dir: this instance's data/ (created here).
  constructor(binary, keysDir, dir, network) {
    this.binary = binary;
    this.keysDir = keysDir;
    this.dir = dir;
    this.network = network;
    this.output = "";
    this.child = null;
    this.base = null;
  }

  async start(timeoutMs = 30000) {
    mkdirSync(join(this.dir, "data"), { recursive: true });
    const args = ["server", "--network", this.network,
                  "--server-listen-address", "127.0.0.1", "--server-listen-port", "0",
                  "--metrics-listen-address", "127.0.0.1", "--metrics-listen-port", "0",
                  "--key-sources-filesystem-paths", this.keysDir,
                  "--anti-slashing-backend", "sqlite", "--anti-slashing-path", join(this.dir, "data", "slashing.sqlite"),
                  "--signer-state-path", join(this.dir, "data", "state")];
    this.child = spawn(this.binary, args, { env: { PATH: process.env.PATH, HOME: this.dir }, stdio: ["ignore", "pipe", "pipe"] });
    running.add(this.child);
    this.child.on("exit", () => running.delete(this.child));
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening on http://" within ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      const onData = (d) => {
        this.output += d;
        const m = /containment-chamber listening on http:\/\/[^:\s]+:(\d+)/.exec(this.output);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      };
      this.child.stdout.on("data", onData);
      this.child.stderr.on("data", onData);
      this.child.on("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the signer exited (${code ?? signal}) before listening:\n${this.output}`));
      });
    });
    this.base = `http://127.0.0.1:${port}`;
    // Keys load after the listener is up; /healthcheck answers 200 once the signer can serve signing traffic.
    for (const until = Date.now() + timeoutMs; Date.now() < until;) {
      const status = await fetch(`${this.base}/healthcheck`).then((r) => r.status, () => 0);
      if (status === 200) return;
      await new Promise((ok) => setTimeout(ok, 50));
    }
    throw new Error(`the signer did not become healthy:\n${this.output}`);
  }

  async stop() {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((ok) => this.child.on("exit", ok));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10000);
    await exited;
    clearTimeout(timer);
  }

  // Returns {status, contentType, text}.
  async request(method, path, { headers = {}, body } = {}) {
    // A signer that stops answering fails the request instead of hanging the test.
    const res = await fetch(this.base + path, { method, headers, body, signal: AbortSignal.timeout(20000) });
    return { status: res.status, contentType: res.headers.get("content-type") ?? "", text: await res.text() };
  }

  sign(pubkey, body, headers) {
    return this.request("POST", `/api/v1/eth2/sign/${pubkey}`, { headers, body: JSON.stringify(body) });
  }
}
