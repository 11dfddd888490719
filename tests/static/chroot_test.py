#!/usr/bin/env python3
"""The release binary (scripts/build-static.sh) in an empty root, as in the scratch image.

A directory holds only the static binary, a CA bundle, the configuration, one EIP-2335 keystore (its password
beside it), an /etc/hosts (as Kubernetes mounts one) and an empty /data and /tmp. The signer runs there under
chroot as uid 65532 with an empty environment: /upcheck answers, /healthcheck reports ready, the key is listed, an
attestation is signed (the same one again gives the same signature, per EIP-3076 re-signing), a double vote is
refused with 412 — the SQLite anti-slashing database lives in the empty root's /data — and a client run in the
same root finds the signer by a name in /etc/hosts.

  tests/static/chroot_test.py <static binary> <work dir>
Exit 77 (skipped) when the binary has not been built or the test does not run as root (chroot needs it).
Ends with "N passed, M failed".
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

SKIP = 77
GVR = "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95"
UID = 65532


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def attestation(source, target, block_root_byte):
    root = lambda b: "0x" + ("%02x" % b) * 32
    return {
        "type": "ATTESTATION",
        "fork_info": {"fork": {"previous_version": "0x04000000", "current_version": "0x05000000", "epoch": "364032"},
                      "genesis_validators_root": GVR},
        "attestation": {"slot": str(target * 32), "index": "0", "beacon_block_root": root(block_root_byte),
                        "source": {"epoch": str(source), "root": root(2)},
                        "target": {"epoch": str(target), "root": root(3)}},
    }


def request(port, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if not os.path.isfile(binary):
        print(f"SKIPPED: {binary} is not built (scripts/build-static.sh builds it; CC_STATIC_TEST=1 makes ctest build it)")
        return SKIP
    if os.geteuid() != 0:
        print("SKIPPED: chroot needs root")
        return SKIP

    passed, failed = 0, 0

    def check(name, ok, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f"ok   {name}")
        else:
            failed += 1
            print(f"FAIL {name}: {detail}")

    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True)
    check("the binary is statically linked", ldd.returncode != 0 or "not a dynamic executable" in ldd.stdout + ldd.stderr,
          ldd.stdout)

    root = os.path.join(work, "root")
    shutil.rmtree(work, ignore_errors=True)
    for d in ("usr/local/bin", "etc/ssl/certs", "etc/containment-chamber", "keys", "data", "tmp"):
        os.makedirs(os.path.join(root, d))
    shutil.copy2(binary, os.path.join(root, "usr/local/bin/containment-chamber"))
    shutil.copy2("/etc/ssl/certs/ca-certificates.crt", os.path.join(root, "etc/ssl/certs/ca-certificates.crt"))
    # Kubernetes mounts /etc/hosts into every container; the static binary resolves names through it.
    with open(os.path.join(root, "etc/hosts"), "w") as f:
        f.write("127.0.0.1 localhost signer.test\n")
    # The keystore is written by the same static binary (a fast KDF: this tests the root, not scrypt).
    gen = subprocess.run([binary, "keys", "generate", "--count", "1", "--out", os.path.join(root, "keys"),
                          "--password", "chroot-test-password", "--kdf", "pbkdf2", "--insecure-fast-kdf"],
                         capture_output=True, text=True, env={})
    check("keys generate", gen.returncode == 0, gen.stderr)
    http_port, metrics_port = free_port(), free_port()
    with open(os.path.join(root, "etc/containment-chamber/config.yaml"), "w") as f:
        json.dump({"network": "mainnet",
                   "server": {"listen_address": "127.0.0.1", "listen_port": http_port},
                   "metrics": {"listen_address": "127.0.0.1", "listen_port": metrics_port},
                   "key_sources": {"filesystem": {"paths": ["/keys"]}},
                   "anti_slashing": {"backend": "sqlite", "path": "/data/slashing.sqlite"},
                   "signer_state": {"backend": "file", "path": "/data/state"}}, f)
    for d in ("data", "keys"):
        for base, dirs, files in os.walk(os.path.join(root, d)):
            for n in [base] + [os.path.join(base, x) for x in dirs + files]:
                os.chown(n, UID, UID)
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    everything = sorted(os.path.relpath(os.path.join(b, n), root) for b, ds, fs in os.walk(root) for n in ds + fs)
    print("root holds: " + " ".join(everything))

    log = open(os.path.join(work, "server.log"), "w")
    chroot = shutil.which("chroot") or "/usr/sbin/chroot"
    server = subprocess.Popen([chroot, f"--userspec={UID}:{UID}", root, "/usr/local/bin/containment-chamber", "server",
                               "--config", "/etc/containment-chamber/config.yaml"],
                              env={}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 60
        status = None
        while time.time() < deadline and server.poll() is None:
            try:
                status, _ = request(http_port, "GET", "/upcheck")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        check("/upcheck answers 200 in the empty root", status == 200,
              f"status {status}, exit {server.poll()}, log:\n" + open(os.path.join(work, "server.log")).read())
        if status != 200:
            return 1

        deadline = time.time() + 30
        while time.time() < deadline:
            status, _ = request(http_port, "GET", "/healthcheck")
            if status == 200:
                break
            time.sleep(0.2)
        check("/healthcheck answers 200", status == 200, status)

        status, body = request(http_port, "GET", "/api/v1/eth2/publicKeys")
        keys = json.loads(body) if status == 200 else []
        check("the mounted keystore is loaded", status == 200 and len(keys) == 1, f"{status} {body}")
        if not keys:
            return 1
        sign = f"/api/v1/eth2/sign/{keys[0]}"

        status, body = request(http_port, "POST", sign, attestation(10, 11, 1))
        sig = json.loads(body).get("signature", "") if status == 200 else ""
        check("an attestation is signed", status == 200 and len(sig) == 2 + 192, f"{status} {body}")
        status, body = request(http_port, "POST", sign, attestation(10, 11, 1))
        check("the same attestation again: the same signature", status == 200 and json.loads(body)["signature"] == sig,
              f"{status} {body}")
        status, body = request(http_port, "POST", sign, attestation(10, 11, 9))
        check("a double vote is refused with 412", status == 412, f"{status} {body}")
        status_cmd = subprocess.run([chroot, f"--userspec={UID}:{UID}", root, "/usr/local/bin/containment-chamber",
                                     "operator", "status", "--signer-url", f"http://signer.test:{http_port}",
                                     "--allow-plaintext-signer"], capture_output=True, text=True, env={}, timeout=30)
        check("a client in the root resolves a name through /etc/hosts and reads the status",
              status_cmd.returncode == 0 and status_cmd.stdout.lstrip().startswith("{"),
              f"exit {status_cmd.returncode}: {status_cmd.stdout} {status_cmd.stderr}")
        check("the anti-slashing database is in the empty root's /data",
              os.path.exists(os.path.join(root, "data/slashing.sqlite")), os.listdir(os.path.join(root, "data")))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    check("SIGTERM stops it cleanly", server.returncode == 0, f"exit {server.returncode}")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
