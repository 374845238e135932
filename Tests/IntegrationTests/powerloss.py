#!/usr/bin/env python3
"""Power loss, simulated: `csic serve` runs under an LD_PRELOAD layer (powerloss/powerloss.c) that records
what the disk would hold after a power cut — each file's data as of its last fsync, each directory's
entries as of the directory's last fsync. API traffic is audited (an answer is sent only once its audit
record is durable on the event log's `audit` topic); at a random moment the process is killed and the event
log and the audit log are rebuilt from that record, every unsynced write dropped. After each of the crash
points the platform must start healthy (nothing but a torn tail, which is cut) and the audit trail verify;
at the end every answered request must be in the WORM audit log exactly once.

Then fsync failures: the layer makes the Nth fsync and every later one fail with EIO. The write path must
stop (the partition reports it in /health; requests are no longer answered as successful), and after the
crash and a restart on a working disk everything answered is there once, and only the synced prefix."""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(__file__))
from audit_serve_crash import logged_resources  # noqa: E402
from csic_process import Results, Serve, fetch, free_port, wait_until  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def status(port, path):
    return fetch(f"http://127.0.0.1:{port}{path}", timeout=5)


def traffic(port, tag, answered, stop):
    number = 0
    while not stop.is_set():
        path = f"/api/v1/transactions/btc:{tag:08x}{number:056x}"
        number += 1
        code, _ = status(port, path)
        if code == 0:
            return
        if code in (200, 404):
            answered.append((path, time.monotonic()))


def snapshot(roots, shadow):
    """Records the current tree as fully durable: every file's data and every directory's entries."""
    for kind in ("inodes", "dirs"):
        os.makedirs(os.path.join(shadow, kind), exist_ok=True)
    for root in roots:
        for folder, folders, names in os.walk(root):
            lines = []
            for name in folders + names:
                info = os.lstat(os.path.join(folder, name))
                kind = "d" if name in folders else "f"
                lines.append(f"{kind} {info.st_ino} {name}\n")
                if kind == "f":
                    shutil.copyfile(os.path.join(folder, name), os.path.join(shadow, "inodes", str(info.st_ino)))
            with open(os.path.join(shadow, "dirs", str(os.stat(folder).st_ino)), "w") as out:
                out.write("".join(lines))


def rebuild(root, root_inode, shadow):
    """Replaces `root` with what the disk holds after the power cut, from the layer's record."""
    shutil.rmtree(root)

    def build(inode, path):
        os.makedirs(path)
        listing = os.path.join(shadow, "dirs", str(inode))
        if not os.path.exists(listing):
            return
        for line in open(listing).read().splitlines():
            kind, entry_inode, name = line.split(" ", 2)
            target = os.path.join(path, name)
            if kind == "d":
                build(entry_inode, target)
                continue
            data = os.path.join(shadow, "inodes", entry_inode)
            if os.path.exists(data):
                shutil.copyfile(data, target)
            else:
                open(target, "wb").close()  # the entry was synced, the data never was
    build(root_inode, root)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--crashes", type=int, default=100)
    parser.add_argument("--fsync-failures", type=int, default=5)
    args = parser.parse_args()
    results = Results()
    rng = random.Random(20261205)
    with tempfile.TemporaryDirectory() as work:
        if os.environ.get("POWERLOSS_KEEP"):
            work = os.environ["POWERLOSS_KEEP"]
            os.makedirs(work, exist_ok=True)
        layer = os.path.join(work, "powerloss.so")
        subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", layer, os.path.join(HERE, "powerloss", "powerloss.c"), "-ldl"],
                       check=True)
        data_dir = os.path.join(work, "data")
        os.makedirs(data_dir)
        roots = [os.path.join(data_dir, "log"), os.path.join(data_dir, "audit")]
        port = free_port()
        config = os.path.join(work, "csic.yaml")
        with open(config, "w") as out:
            out.write(f"data_dir: {data_dir}\nhttp: {{ host: 127.0.0.1, port: {port} }}\ngrpc: {{ port: 0 }}\n"
                      "log: { segment_bytes: 131072 }\naudit: { checkpoint_every: 40, checkpoint_seconds: 0.2 }\n")
        server = Serve(args.binary, config, os.path.join(work, "csic.log"))
        server.start()
        results.check(wait_until(lambda: status(port, "/health")[0] == 200, 60), "csic serve created its data directory")
        server.stop()

        answered, unhealthy, unverified = [], [], []

        def crash_round(number, fail_after=None):
            shadow = os.path.join(work, f"shadow-{number}")
            snapshot(roots, shadow)
            inodes = [os.stat(root).st_ino for root in roots]
            env = {"LD_PRELOAD": layer, "CSIC_POWERLOSS_DIRS": ":".join(roots), "CSIC_POWERLOSS_SHADOW": shadow}
            if fail_after:
                env["CSIC_POWERLOSS_FAIL_AFTER"] = str(fail_after)
            server.start(env)
            if not wait_until(lambda: server.process.poll() is not None or status(port, "/health")[0] in (200, 503), 60) \
                    or server.process.poll() is not None:
                unhealthy.append(f"round {number}: csic serve did not come up (exit {server.process.poll()})")
            code, text = status(port, "/health")
            if code != 200 and not fail_after:
                unhealthy.append(f"round {number}: {text[:300]}")
            stop = threading.Event()
            mine = []
            worker = threading.Thread(target=traffic, args=(port, number, mine, stop))
            worker.start()
            stopped_at = None
            if fail_after:
                # The disk starts failing: the write path must stop and say so.
                wait_until(lambda: status(port, "/health")[0] == 503, 10)
                stopped_at = time.monotonic()
                time.sleep(0.5)
            else:
                time.sleep(rng.uniform(0.05, 0.6))
            if server.process.poll() is None:
                server.kill()
            stop.set()
            worker.join()
            answered.extend(path for path, _ in mine)
            for root, inode in zip(roots, inodes):
                rebuild(root, inode, shadow)
            shutil.rmtree(shadow)
            verify = subprocess.run([args.binary, "audit", "verify", "--data-dir", data_dir], capture_output=True, text=True)
            if verify.returncode != 0:
                unverified.append(f"round {number}: {verify.stdout[-300:]}")
            return mine, stopped_at

        for number in range(args.crashes):
            crash_round(number)
        results.check(not unhealthy, f"{args.crashes} power cuts: the platform starts healthy after each ({unhealthy[:2]})")
        results.check(not unverified, f"the audit trail verifies after each power cut ({unverified[:1]})")
        results.check(len(answered) > args.crashes * 3, f"{len(answered)} requests answered between the power cuts")

        stops = []
        for number in range(args.crashes, args.crashes + args.fsync_failures):
            mine, stopped_at = crash_round(number, fail_after=rng.randint(40, 160))
            late = [path for path, at in mine if stopped_at and at > stopped_at + 0.2]
            stops.append(stopped_at is not None and not late)
        results.check(all(stops), f"an fsync failure stops the write path: /health says so and nothing more is answered ({stops})")

        server.start()
        try:
            wanted = set(answered)
            caught_up = wait_until(lambda: wanted <= set(logged_resources(data_dir)), 180)
            missing = wanted - set(logged_resources(data_dir))
            by_round = Counter(int(path.split("btc:")[1][:8], 16) for path in missing)
            results.check(caught_up, f"every answered request survived the power cuts ({len(missing)} missing of {len(wanted)}, "
                          f"by round: {dict(sorted(by_round.items()))})")
            results.check(status(port, "/health")[0] == 200, "healthy at the end")
        finally:
            server.stop()
        logged = Counter(logged_resources(data_dir))
        twice = [path for path in set(answered) if logged[path] != 1]
        results.check(not twice, f"each answered request is recorded exactly once ({len(twice)} otherwise)")
        verify = subprocess.run([args.binary, "audit", "verify", "--data-dir", data_dir], capture_output=True, text=True)
        results.check(verify.returncode == 0, "the final audit trail verifies: " + (verify.stdout.strip().splitlines() or ["?"])[-1])
    return results.finish("powerloss")


if __name__ == "__main__":
    sys.exit(main())
