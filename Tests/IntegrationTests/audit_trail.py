#!/usr/bin/env python3
"""The audit trail end to end with the real binary: `csic bench audit` writes a log (25,000 entries in
segments of 4,000, checkpoints every 10,000); an independent verifier (audit_verifier.py: hashlib and
cryptography only) checks `csic audit proof` and `csic audit consistency` output and the checkpoint
signatures, and rejects mutated proofs; a tamper matrix (flipped bytes, truncation, reordered, deleted and
inserted entries, swapped and deleted segments, an older checkpoint log restored, a checkpoint forged with
another key, an altered tree file, a well-chained record of a purge before expiry) must each make
`csic audit verify` fail and name the place; SIGKILL
during appends (20 times) must lose no acknowledged entry and leave a log that verifies."""
import argparse
import base64
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

sys.path.insert(0, os.path.dirname(__file__))
import audit_verifier as independent  # noqa: E402
from csic_process import Results  # noqa: E402

ENTRIES, SEGMENT = 25_000, 4_000


def csic(binary, *args):
    done = subprocess.run([binary, *args], capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout + done.stderr


def segments(data_dir):
    folder = os.path.join(data_dir, "audit", "segments")
    return [os.path.join(folder, name) for name in sorted(os.listdir(folder)) if name.endswith(".seg")]


def entries(path):
    """(offset, length of the whole entry) of each entry in a segment file."""
    data = open(path, "rb").read()
    offset, found = 48, []
    while offset + 4 <= len(data):
        length = int.from_bytes(data[offset:offset + 4], "big")
        found.append((offset, 4 + length + 32))
        offset += 4 + length + 32
    return data, found


def writable(path):
    os.chmod(path, 0o644)
    return path


def rewrite(path, data):
    writable(path)
    open(path, "wb").write(data)


def notes(data_dir):
    data = open(os.path.join(data_dir, "audit", "checkpoints.log"), "rb").read()
    found, offset = [], 0
    while offset + 4 <= len(data):
        length = int.from_bytes(data[offset:offset + 4], "big")
        found.append(data[offset + 4:offset + 4 + length].decode())
        offset += 4 + length
    return found


def tamper_cases(pristine):
    segs = segments(pristine)

    def flip(index, where):
        def apply(d):
            path = segments(d)[index]
            data, found = entries(path)
            data = bytearray(data)
            position = {"header": 20, "length": found[3][0] + 1, "record": found[3][0] + 40, "hash": found[3][0] + found[3][1] - 5}[where]
            data[position] ^= 0x10
            rewrite(path, bytes(data))
        return apply

    def truncate(d):
        path = segments(d)[1]
        data, _ = entries(path)
        rewrite(path, data[:len(data) // 2])

    def reorder(d):
        path = segments(d)[2]
        data, found = entries(path)
        (a, la), (b, lb) = found[10], found[11]
        rewrite(path, data[:a] + data[b:b + lb] + data[a:a + la] + data[b + lb:])

    def delete_entry(d):
        path = segments(d)[0]
        data, found = entries(path)
        a, la = found[100]
        rewrite(path, data[:a] + data[a + la:])

    def insert_entry(d):
        path = segments(d)[0]
        data, found = entries(path)
        a, la = found[100]
        rewrite(path, data[:a + la] + data[a:a + la] + data[a + la:])

    def swap_segments(d):
        first, second = segments(d)[1], segments(d)[2]
        a, b = open(first, "rb").read(), open(second, "rb").read()
        rewrite(first, b)
        rewrite(second, a)

    def delete_segment(d):
        os.remove(writable(segments(d)[2]))

    def older_checkpoints(d):
        path = os.path.join(d, "audit", "checkpoints.log")
        first = notes(d)[0].encode()
        open(path, "wb").write(len(first).to_bytes(4, "big") + first)

    def forged_checkpoint(d):
        key = Ed25519PrivateKey.generate()
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        origin, _, _ = independent.parse_checkpoint(notes(d)[-1].rpartition("\n\n")[0] + "\n")
        key_id = __import__("hashlib").sha256(origin.encode() + b"\n\x01" + public).digest()[:4]
        body = f"{origin}\n{ENTRIES}\n{base64.b64encode(bytes(32)).decode()}\n"
        note = (body + "\n\u2014 " + origin + " " + base64.b64encode(key_id + key.sign(body.encode())).decode() + "\n").encode()
        with open(os.path.join(d, "audit", "checkpoints.log"), "ab") as out:
            out.write(len(note).to_bytes(4, "big") + note)

    def tree_file(d):
        path = os.path.join(d, "audit", "tree", "level-00.bin")
        data = bytearray(open(path, "rb").read())
        data[32 * 777] ^= 1
        open(path, "wb").write(bytes(data))

    def early_purge(d):
        # A whole, correctly chained entry appended by someone with write access: a record of a purge of
        # transactions up to a year ago, which a seven-year period does not allow. Only the retention rules
        # can tell it from an honest entry.
        path = segments(d)[-1]
        data, found = entries(path)
        previous = data[-32:].hex()
        record = {"action": "retention.purge", "actor": "system:retention", "details": {
            "phase": "outcome", "record_class": "transactions", "period": "7y", "cutoff": "2025-11-25T00:00:00.000000Z",
            "ran_at": "2026-11-25T00:00:00.000000Z", "purged": "1000", "held": "0"}, "id": "forged-purge",
            "outcome": "success", "requestID": "forged-purge", "resource": "store/transactions", "sourceAddress": "local",
            "time": "2026-11-25T00:00:01.000000Z"}
        leaf = (f'{{"previous_hash":"{previous}","seq":{ENTRIES},"record":'
                + json.dumps(record, sort_keys=True, separators=(",", ":")) + "}").encode()
        current = __import__("hashlib").sha256(leaf).digest()
        rewrite(path, data + len(leaf).to_bytes(4, "big") + leaf + current)

    name = lambda index: os.path.basename(segs[index])  # noqa: E731
    return [
        ("flip a byte of a segment header", flip(1, "header"), name(1)),
        ("flip a byte of an entry's length", flip(2, "length"), name(2)),
        ("flip a byte inside a record", flip(3, "record"), "entry 12003"),
        ("flip a byte of a stored current_hash", flip(0, "hash"), "entry 3"),
        ("truncate a sealed segment", truncate, name(1)),
        ("reorder two entries", reorder, "entry 8010"),
        ("delete an entry", delete_entry, "entry 100"),
        ("insert a copy of an entry", insert_entry, "entry 101"),
        ("swap two segments", swap_segments, name(1)),
        ("delete a segment", delete_segment, name(3)),
        ("restore an older checkpoint log", older_checkpoints, "covered by no checkpoint"),
        ("append a checkpoint forged with another key", forged_checkpoint, "checkpoint 3"),
        ("alter the stored Merkle tree", tree_file, "entry 777"),
        ("append a correctly chained record of a purge before expiry", early_purge, "retention rule broken"),
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    results = Results()
    independent.self_test()
    workdir = tempfile.mkdtemp(prefix="csic-audit-")
    pristine = os.path.join(workdir, "pristine")
    code, out = csic(args.binary, "bench", "audit", "--records", str(ENTRIES), "--batch", "500",
                     "--segment-entries", str(SEGMENT), "--data-dir", pristine, "--json")
    results.check(code == 0, f"csic bench audit wrote {ENTRIES} entries: {out.strip()[-200:]}")
    code, out = csic(args.binary, "audit", "verify", "--data-dir", pristine, "--checkpoint-interval", "10000")
    results.check(code == 0 and "audit trail verified" in out, f"the untouched log verifies: {out.strip().splitlines()[0]}")

    code, out = csic(args.binary, "audit", "checkpoint", "--data-dir", pristine)
    trusted = out.strip().splitlines()[-1].removeprefix("verifier key: ")
    published = [open(os.path.join(pristine, "audit", "keys", f)).read().strip()
                 for f in os.listdir(os.path.join(pristine, "audit", "keys")) if f.endswith(".pub")]
    results.check(trusted in published, f"the verifier key is the one kept in keys/: {trusted[:40]}...")
    signed = [independent.parse_checkpoint(independent.open_note(note, trusted)) for note in notes(pristine)]
    results.check([size for _, size, _ in signed] == [10_000, 20_000, ENTRIES],
                  f"every checkpoint's Ed25519 signature verifies independently: sizes {[size for _, size, _ in signed]}")

    proofs_ok, mutations_caught = True, True
    for index in [0, 1, SEGMENT - 1, SEGMENT, 12_345, ENTRIES - 1]:
        code, out = csic(args.binary, "audit", "proof", "--index", str(index), "--data-dir", pristine, "--json")
        proof = json.loads(out)
        proofs_ok &= code == 0 and proof["leaf_index"] == index and independent.verify_proof_output(proof, trusted)
        proofs_ok &= f'"seq":{index},'.encode() in base64.b64decode(proof["record"])
        for mutate in ["record", "hash", "index", "truncate", "extend"]:
            bad = json.loads(out)
            if mutate == "record":
                bad["record"] = base64.b64encode(base64.b64decode(bad["record"])[:-2] + b" }").decode()
            elif mutate == "hash":
                first = bytearray(base64.b64decode(bad["inclusion_proof"][0]))
                first[0] ^= 1
                bad["inclusion_proof"][0] = base64.b64encode(bytes(first)).decode()
            elif mutate == "index":
                bad["leaf_index"] = (index + 1) % ENTRIES
            elif mutate == "truncate":
                bad["inclusion_proof"] = bad["inclusion_proof"][:-1]
            else:
                bad["inclusion_proof"].append(bad["inclusion_proof"][0])
            mutations_caught &= not independent.verify_proof_output(bad, trusted)
    results.check(proofs_ok, "csic audit proof output verifies with the independent verifier (6 entries across segments)")
    results.check(mutations_caught, "every mutated proof (record, hash, index, truncated, extended) is rejected independently")
    code, out = csic(args.binary, "audit", "proof", "bench-777", "--data-dir", pristine)
    results.check(code == 0 and json.loads(out)["leaf_index"] == 777, "a proof is found by record id")

    code, out = csic(args.binary, "audit", "consistency", "10000", str(ENTRIES), "--data-dir", pristine, "--json")
    consistency = json.loads(out)
    proof = [base64.b64decode(h) for h in consistency["consistency_proof"]]
    results.check(code == 0 and independent.verify_consistency(10_000, ENTRIES, signed[0][2], signed[2][2], proof)
                  and not independent.verify_consistency(10_000, ENTRIES, signed[2][2], signed[0][2], proof),
                  "the consistency proof 10,000 -> 25,000 verifies independently between the two signed roots (and not swapped)")

    for name, apply, place in tamper_cases(pristine):
        copy = os.path.join(workdir, re.sub(r"\W+", "-", name))
        shutil.copytree(pristine, copy)
        apply(copy)
        code, out = csic(args.binary, "audit", "verify", "--data-dir", copy, "--checkpoint-interval", "10000")
        problems = [line for line in out.splitlines() if line.startswith("PROBLEM")]
        results.check(code != 0 and problems and place in problems[0], f"tamper: {name} -> {problems[0][9:130] if problems else out[-200:]}")

    crashdir = os.path.join(workdir, "crash")
    acknowledged, rng = 0, random.Random(20261125)
    verified_every_time = True
    for _ in range(20):
        process = subprocess.Popen([args.binary, "bench", "audit", "--records", "5000000", "--batch", "200", "--segment-entries", "50000",
                                    "--data-dir", crashdir, "--progress"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   text=True, start_new_session=True)
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
        reader.start()
        time.sleep(rng.uniform(0.4, 1.6))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        reader.join(10)
        counts = [int(line.split()[1]) for line in lines if line.startswith("acknowledged ") and line.split()[1].isdigit()]
        acknowledged = max([acknowledged] + counts)
        code, out = csic(args.binary, "audit", "verify", "--data-dir", crashdir)
        found = re.search(r"entries (\d+)", out)
        verified_every_time &= code == 0 and found is not None and int(found.group(1)) >= acknowledged
    results.check(verified_every_time and acknowledged > 0,
                  f"20 SIGKILLs during appends: every acknowledged entry kept ({acknowledged} acknowledged), the log verifies after each")
    shutil.rmtree(workdir, ignore_errors=True)
    return results.finish("audit_trail")


if __name__ == "__main__":
    sys.exit(main())
