#!/usr/bin/env python3
"""The corruption matrix on the real binary: `csic serve` fills an event log (small segments, two partitions)
and a mirrored audit log, then each case damages a copy of that data directory the way a bad disk, a bad
backup or an operator would. For each case: the platform starts and says exactly what is wrong in /health,
the API and the other partitions keep serving, nothing of the damaged files is changed (byte for byte),
and after `csic log repair` / `csic audit repair` the platform is healthy again with every acknowledged
record back (audit: from the mirror) or quarantined and audited (log)."""
import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from csic_process import Results, Serve, fetch, free_port, get, wait_until  # noqa: E402
from csic_process import run_csic as run  # noqa: E402

COUNT = 1500
PARTITION = "transactions/0"


def health(port):
    code, text = fetch(f"http://127.0.0.1:{port}/health")
    return code, json.loads(text) if code else {}


def snapshot(folder):
    """SHA-256 of every file under `folder`, by relative path."""
    found = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            found[os.path.relpath(path, folder)] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return found


def flip(path, where):
    os.chmod(path, 0o644)
    data = bytearray(open(path, "rb").read())
    index = {"start": 20, "middle": len(data) // 2, "end": len(data) - 3}[where]
    data[index] ^= 0x5A
    open(path, "wb").write(bytes(data))


def log_cases(partition_dir, data_dir):
    segments = sorted(name for name in os.listdir(partition_dir) if name.endswith(".log"))
    sealed, active = segments[1], segments[-1]

    def damage_flip(name, where):
        return lambda: flip(os.path.join(partition_dir, name), where) or os.path.join(partition_dir, name)

    def delete(name):
        def apply():
            os.remove(os.path.join(partition_dir, name))
            index = os.path.join(partition_dir, name[:-4] + ".index")
            if os.path.exists(index):
                os.remove(index)
            return "is missing" if name == active else "are missing"
        return apply

    def truncate_index():
        index = os.path.join(partition_dir, sealed[:-4] + ".index")
        data = open(index, "rb").read()
        open(index, "wb").write(data[:-5])
        return index

    def offsets_past_end():
        path = os.path.join(data_dir, "log", "groups", "transaction-engine.offsets")
        lines = open(path).read().splitlines()
        lines = [" ".join(line.split()[:2] + [str(int(line.split()[2]) + 50)]) if line.startswith("transactions 0 ") else line
                 for line in lines]
        open(path, "w").write("\n".join(lines) + "\n")
        return "committed offset"

    cases = [(f"flipped byte at the {where} of a sealed segment", damage_flip(sealed, where)) for where in ("start", "middle", "end")]
    cases += [(f"flipped byte at the {where} of the active segment", damage_flip(active, where)) for where in ("start", "middle", "end")]
    cases += [("deleted middle segment", delete(segments[2])), ("deleted active segment", delete(active)),
              ("truncated index", truncate_index), ("offsets file past the end", offsets_past_end)]
    return cases


def audit_segments(audit_dir):
    folder = os.path.join(audit_dir, "segments")
    return sorted(name for name in os.listdir(folder) if name.endswith(".seg")) if os.path.isdir(folder) else []


def audit_cases(pristine, data_dir):
    """Damage to the audit log's primary (the mirror intact) or to its mirror, in the fresh copy `data_dir`
    of `pristine`; each returns the damaged file and what /health must name."""
    names = audit_segments(os.path.join(pristine, "audit"))
    sealed, active = names[1], names[-1]

    def segment(copy, name):
        return os.path.join(data_dir, copy, "segments", name)

    def damage_flip(copy, name, where):
        def apply():
            flip(segment(copy, name), where)
            return segment(copy, name), os.path.join(copy, "segments", name)
        return apply

    def delete(name):
        def apply():
            os.remove(segment("audit", name))
            return segment("audit", name), name
        return apply

    cases = [(f"audit: flipped byte at the {where} of a sealed segment, intact mirror", damage_flip("audit", sealed, where))
             for where in ("start", "middle", "end")]
    cases += [(f"audit: flipped byte at the {where} of the active segment, intact mirror", damage_flip("audit", active, where))
              for where in ("start", "middle", "end")]
    cases += [("audit: deleted middle segment, intact mirror", delete(names[2])),
              ("audit: deleted active segment, intact mirror", delete(active)),
              ("audit: flipped byte in a sealed segment of the mirror", damage_flip("mirror", sealed, "middle")),
              ("audit: flipped byte in the active segment of the mirror", damage_flip("mirror", active, "middle"))]
    return cases


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    binary = args.binary
    results = Results()
    with tempfile.TemporaryDirectory() as work:
        pristine, data_dir = os.path.join(work, "pristine"), os.path.join(work, "data")
        port = free_port()
        config = os.path.join(work, "csic.yaml")

        def write_config(directory):
            with open(config, "w") as out:
                out.write(f"data_dir: {directory}\nhttp: {{ host: 127.0.0.1, port: {port} }}\ngrpc: {{ port: 0 }}\n"
                          "log: { partitions: 2, segment_bytes: 65536 }\n"
                          f"audit: {{ mirror_dir: {directory}/mirror, segment_entries: 8, checkpoint_every: 50, checkpoint_seconds: 0.3 }}\n"
                          f"simulator: {{ enabled: true, seed: 7, count: {COUNT}, rate: 5000 }}\n")

        write_config(pristine)
        server = Serve(binary, config, os.path.join(work, "csic.log"))
        server.start()
        results.check(wait_until(lambda: get(port, "/api/v1/stats")["stored"]["transactions"] >= COUNT, 120),
                      f"{COUNT} transactions through a log of 64 KiB segments")
        for _ in range(30):
            get(port, "/api/v1/stats")
        results.check(wait_until(lambda: len(audit_segments(os.path.join(pristine, "audit"))) >= 4, 30),
                      "audited requests fill sealed audit segments of 8 entries")
        server.stop()
        write_config(data_dir)

        def fresh():
            if os.path.exists(data_dir):
                for root, folders, names in os.walk(data_dir):
                    for name in folders + names:
                        os.chmod(os.path.join(root, name), 0o755)
                shutil.rmtree(data_dir)
            shutil.copytree(pristine, data_dir)
            # The mirror path in the copy's configuration is the copy's own.
        fresh()
        partition_dir = os.path.join(data_dir, "log", "topics", "transactions", "0")

        def serve_and_check(name, expected):
            server.start()
            try:
                damaged = wait_until(lambda: health(port)[0] == 503 and expected in str(health(port)[1]), 60)
                problems = health(port)[1].get("damage", [])
                results.check(damaged, f"{name}: /health names it: {str(problems)[:170]}")
                results.check(get(port, "/api/v1/stats")["stored"]["transactions"] >= 1, f"{name}: the API keeps serving")
                others = [p for p in problems if "transactions/0" not in p and "engine" not in p and "audit" not in p]
                results.check(not others, f"{name}: only the damaged part is reported ({others[:1]})")
            finally:
                server.stop()

        def healthy_after(name, action):
            server.start()
            try:
                results.check(wait_until(lambda: health(port)[0] == 200, 60), f"{name}: healthy after the repair: {health(port)[1]}")
                audited = wait_until(lambda: {"attempt", "outcome"} <= {
                    item["record"]["details"].get("phase") for item in get(port, f"/api/v1/audit/records?action={action}&limit=100")["items"]}, 30)
                results.check(audited, f"{name}: the repair's attempt and outcome are in the audit trail ({action})")
            finally:
                server.stop()

        for name, apply in log_cases(partition_dir, data_dir):
            fresh()
            expected = apply()
            before = snapshot(partition_dir)
            serve_and_check(name, expected)
            results.check(snapshot(partition_dir) == before, f"{name}: not one byte of the damaged partition changed")
            code, out = run(binary, "log", "repair", "--data-dir", data_dir)
            quarantined = os.path.join(data_dir, "log", "quarantine")
            results.check(code == 0 and "placeholders" in out or "no offset lost" in out, f"{name}: repaired: {out.strip()[:160]}")
            kept = snapshot(quarantined) if os.path.exists(quarantined) else {}
            healthy_after(name, "log.repair")
            code, out = run(binary, "log", "stats", "--data-dir", data_dir)
            results.check(code == 0, f"{name}: log stats after the repair")
            if name.startswith("flipped") or name == "truncated index":
                results.check(len(kept) >= 1, f"{name}: the damaged bytes are in quarantine ({len(kept)} file(s))")

        for name, apply in audit_cases(pristine, data_dir):
            fresh()
            damaged, expected = apply()
            before = open(damaged, "rb").read() if os.path.exists(damaged) else None
            serve_and_check(name, expected)
            after = open(damaged, "rb").read() if os.path.exists(damaged) else None
            results.check(after == before, f"{name}: not one byte of the damaged file changed")
            code, out = run(binary, "audit", "repair", "--data-dir", data_dir, "--mirror", os.path.join(data_dir, "mirror"))
            results.check(code == 0 and "restored from" in out, f"{name}: csic audit repair: {out.strip()[:160]}")
            healthy_after(name, "audit.repair")
            code, out = run(binary, "audit", "verify", "--data-dir", data_dir, "--mirror", os.path.join(data_dir, "mirror"))
            results.check(code == 0, f"{name}: audit verify with the mirror passes: {out.strip().splitlines()[-1]}")
            code, out = run(binary, "audit", "verify", "--data-dir", data_dir)
            results.check(code == 0, f"{name}: the audit trail verifies after the repair")

        fresh()
        offsets = os.path.join(data_dir, "audit", "tree", "offsets.bin")
        entries = os.path.getsize(offsets) // 8
        with open(offsets, "r+b") as out:
            out.truncate(os.path.getsize(offsets) // 2 - 3)
        server.start()
        try:
            results.check(wait_until(lambda: health(port)[0] == 200, 60),
                          f"truncated audit offsets (derived from the segments): rebuilt at start, healthy: {health(port)[1]}")
        finally:
            server.stop()
        results.check(os.path.getsize(offsets) // 8 >= entries, "truncated audit offsets: every entry's offset is back")
        code, out = run(binary, "audit", "verify", "--data-dir", data_dir, "--mirror", os.path.join(data_dir, "mirror"))
        results.check(code == 0, f"truncated audit offsets: audit verify passes: {out.strip().splitlines()[-1]}")
    return results.finish("corruption_matrix")


if __name__ == "__main__":
    sys.exit(main())
