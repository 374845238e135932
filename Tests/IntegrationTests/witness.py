#!/usr/bin/env python3
"""Witness cosigning with two real processes: `csic witness serve` cosigns the checkpoints of `csic serve`'s
audit log (C2SP tlog-witness); the cosignatures are checked here with `cryptography` alone (tlog-cosignature
v1). Then the operator rolls the log back to an earlier copy of the data directory and restarts: the
witness refuses (409/422), `/health` says so, and `csic audit verify --witness --witness-key` fails, while
`csic audit verify` on the rolled-back files alone passes."""
import argparse
import base64
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

sys.path.insert(0, os.path.dirname(__file__))
from csic_process import Results, Serve, fetch, free_port, wait_until  # noqa: E402
from csic_process import run_csic as run  # noqa: E402

ORIGIN = "witness-test.csic/audit"
WITNESS = "witness.test/w1"


def parse_vkey(vkey, key_type):
    name, key_id, blob = vkey.strip().split("+", 2)
    raw = base64.b64decode(blob)
    assert raw[0] == key_type, f"{vkey}: type {raw[0]}, expected {key_type}"
    expected = hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + raw[1:]).digest()[:4]
    assert expected.hex() == key_id, "key id"
    return name, expected, Ed25519PublicKey.from_public_bytes(raw[1:])


def check_note(note, log_vkey, witness_vkey):
    """Verifies the log's signature (type 0x01) and the witness's cosignature (type 0x04, cosignature/v1)
    independently; returns (tree size, cosignature time)."""
    body, signatures = note.split("\n\n", 1)
    body += "\n"
    log_name, log_id, log_key = parse_vkey(log_vkey, 0x01)
    witness_name, witness_id, witness_key = parse_vkey(witness_vkey, 0x04)
    signed = cosigned = None
    for line in signatures.strip("\n").split("\n"):
        dash, name, blob = line.split(" ")
        raw = base64.b64decode(blob)
        if name == log_name and raw[:4] == log_id:
            log_key.verify(raw[4:], body.encode())
            signed = True
        if name == witness_name and raw[:4] == witness_id:
            timestamp = int.from_bytes(raw[4:12], "big")
            witness_key.verify(raw[12:], f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode())
            cosigned = timestamp
    assert signed and cosigned, "both signatures present"
    return int(body.split("\n")[1]), cosigned


def health(port):
    status, text = fetch(f"http://127.0.0.1:{port}/health")
    return status, text


def traffic(port, count):
    for number in range(count):
        fetch(f"http://127.0.0.1:{port}/api/v1/stats?n={number}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    binary = args.binary
    results = Results()
    with tempfile.TemporaryDirectory() as work:
        data_dir, witness_dir = os.path.join(work, "data"), os.path.join(work, "witness")
        key_file = os.path.join(work, "operator-keys", "signing.key")
        os.makedirs(os.path.dirname(key_file))
        code, out = run(binary, "audit", "rotate-key", "--data-dir", data_dir, "--origin", ORIGIN, "--signing-key", key_file)
        log_vkey = re.search(r"new verifier key: (\S+)", out).group(1)
        results.check(code == 0 and os.path.exists(key_file) and not os.path.exists(os.path.join(data_dir, "audit", "keys", "signing.key")),
                      "the log's signing key lives outside the data directory (audit.signing_key)")
        code, out = run(binary, "witness", "key", "--data-dir", witness_dir, "--name", WITNESS, "--log-key", log_vkey)
        witness_vkey = out.strip()
        witness_port, port = free_port(), free_port()
        witness_log = open(os.path.join(work, "witness.log"), "ab")
        witness = subprocess.Popen(
            [binary, "witness", "serve", "--data-dir", witness_dir, "--name", WITNESS, "--log-key", log_vkey,
             "--port", str(witness_port)], stdout=witness_log, stderr=witness_log, start_new_session=True)
        witness_url = f"http://127.0.0.1:{witness_port}"
        config = os.path.join(work, "csic.yaml")
        with open(config, "w") as out:
            out.write(f"data_dir: {data_dir}\nhttp: {{ host: 127.0.0.1, port: {port} }}\ngrpc: {{ port: 0 }}\n"
                      f"audit: {{ origin: {ORIGIN}, signing_key: {key_file}, checkpoint_every: 20, checkpoint_seconds: 0.3,\n"
                      f"         witnesses: [\"{witness_url} {witness_vkey}\"] }}\n")
        server = Serve(binary, config, os.path.join(work, "csic.log"))
        try:
            server.start()
            results.check(wait_until(lambda: health(port)[0] == 200, 60), "csic serve is up with a witness configured")
            traffic(port, 30)

            def cosigned_size():
                status, note = fetch(f"{witness_url}/latest?origin={ORIGIN}")
                return check_note(note, log_vkey, witness_vkey)[0] if status == 200 else 0

            results.check(wait_until(lambda: cosigned_size() >= 30, 30), "the witness cosigned the log's checkpoints")
            status, note = fetch(f"{witness_url}/latest?origin={ORIGIN}")
            size, timestamp = check_note(note, log_vkey, witness_vkey)
            results.check(abs(timestamp - time.time()) < 120,
                          f"log signature and witness cosignature verify independently (size {size}, time {timestamp})")
            server.stop()
            backup = os.path.join(work, "backup")
            shutil.copytree(data_dir, backup)
            before = cosigned_size()

            server.start()
            results.check(wait_until(lambda: health(port)[0] == 200, 60), "restarted")
            traffic(port, 60)
            results.check(wait_until(lambda: cosigned_size() > before + 40, 30), "the witness follows the log as it grows")
            server.stop()
            witnessed = cosigned_size()
            code, out = run(binary, "audit", "verify", "--data-dir", data_dir, "--origin", ORIGIN, "--key", log_vkey,
                            "--witness", witness_url, "--witness-key", witness_vkey)
            results.check(code == 0, f"verify against the witness passes on the real log: {out.strip().splitlines()[-1]}")

            # The operator rolls the whole data directory back to the earlier copy and restarts.
            shutil.rmtree(data_dir)
            shutil.copytree(backup, data_dir)
            code, out = run(binary, "audit", "verify", "--data-dir", data_dir)
            results.check(code == 0, "the rolled-back files verify on their own (the log's own word cannot catch it)")
            code, out = run(binary, "audit", "verify", "--data-dir", data_dir, "--origin", ORIGIN, "--key", log_vkey,
                            "--witness", witness_url, "--witness-key", witness_vkey)
            results.check(code == 1 and f"covers {witnessed} entries but the log verifies only" in out,
                          "csic audit verify --witness --witness-key catches the rollback: "
                          + next((line for line in out.splitlines() if "PROBLEM" in line), out[-200:])[:150])
            server.start()

            def refused():
                status, text = health(port)
                return status == 503 and ("rolled back" in text or "rewritten" in text)

            results.check(wait_until(refused, 30), "the witness refuses the rolled-back log and /health says so: "
                          + health(port)[1][:200])
            witness_text = open(os.path.join(work, "witness.log"), errors="replace").read()
            results.check('status=409' in witness_text or 'status=422' in witness_text,
                          "the witness answered 409 or 422 to the rolled-back log")
            results.check(cosigned_size() == witnessed, "the witness never cosigned the rolled-back tree")
            server.stop()
        finally:
            if server.process and server.process.poll() is None:
                server.kill()
            os.killpg(witness.pid, signal.SIGTERM)
            witness.wait(timeout=30)
    return results.finish("witness")


if __name__ == "__main__":
    sys.exit(main())
