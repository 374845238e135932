#!/usr/bin/env python3
"""Every typology through the real Bitcoin adapter. `csic scenario` writes a labelled scenario set: the simulated
benign economy with one instance of each of the twelve typologies injected, the tags of its known services and
of the injected illicit parties. The test turns it into real regtest blocks on a JSON-RPC test node
(Tests/IntegrationTests/bitcoin_test_node.py): each address a P2WPKH script, each spend of an earlier scenario
transaction the real outpoint, the scenario's times as block times. It imports the sanctioned parties with
`csic import sanctions` (an SDN.CSV) and the rest with `csic import tags` (a TagPack), runs `csic serve` on the
chain, and checks that the findings and alerts are exactly the labels: every instance found, nothing else (the
benign economy raises nothing); the model alone (`high_risk_score`) flags only injected transactions. A reorg then
orphans the last blocks: the findings resting on their
transactions are withdrawn, the others stand."""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime

sys.path.insert(0, os.path.dirname(__file__))
from bitcoin.core import CMutableTransaction, CMutableTxIn, CMutableTxOut, COutPoint, b2lx  # noqa: E402
from bitcoin.core.script import CScript, OP_0  # noqa: E402
from bitcoin.segwit_addr import encode as segwit_encode  # noqa: E402
from bitcoin_test_node import BitcoinTestNode  # noqa: E402
from csic_process import Results, Serve, free_port, get, wait_until  # noqa: E402

# Never used to tune the detectors (3, 4, 5) or to train the model (101-105).
SEED = 1414
BACKGROUND = 3_000
BLOCK_SECONDS = 600
HIGH_RISK = "high_risk_score"
COINBASE = "0" * 64


def program(address):
    """The 20-byte witness program standing for a scenario address (the detectors read addresses, not scripts)."""
    return hashlib.sha256(address.encode()).digest()[:20]


def regtest(address):
    return segwit_encode("bcrt", 0, program(address))


def seconds(text):
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def build_blocks(node, transactions):
    """The scenario's transactions as real ones, in blocks of BLOCK_SECONDS by time: (block time, [tx]).
    Coinbase transactions are left out (the node mines its own); a spend of an output outside the set is funded
    on the node (a pre-chain output with the scenario's address and value)."""
    real, blocks = {}, []
    for tx in transactions:
        if not tx["inputs"] or any(i["previousTxid"] == COINBASE for i in tx["inputs"]):
            continue
        inputs = []
        for spent in tx["inputs"]:
            if spent["previousTxid"] in real:
                outpoint = COutPoint(real[spent["previousTxid"]], spent["previousIndex"])
            else:
                outpoint = COutPoint(hashlib.sha256(f"{spent['previousTxid']}:{spent['previousIndex']}".encode()).digest(),
                                     spent["previousIndex"])
                node.fund(outpoint.hash, outpoint.n, int(spent["value"]), bytes(CScript([OP_0, program(spent["address"])])))
            inputs.append(CMutableTxIn(outpoint))
        outputs = [CMutableTxOut(int(out["value"]), CScript([OP_0, program(out["address"])])) for out in tx["outputs"]]
        built = CMutableTransaction(inputs, outputs, nVersion=2)
        real[tx["txid"]] = built.GetTxid()
        at = seconds(tx["block"]["time"]) // BLOCK_SECONDS * BLOCK_SECONDS + BLOCK_SECONDS - 1
        if blocks and blocks[-1][0] == at:
            blocks[-1][1].append(built)
        else:
            blocks.append((at, [built]))
    return blocks, {txid: b2lx(built) for txid, built in real.items()}


def tagged(scenario):
    return {regtest(t["address"]) for t in scenario["tags"]}


def replay(binary, config):
    done = subprocess.run([binary, "replay", "--config", config, "--json"], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"csic replay failed: {done.stderr[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_reference_data(workdir, tags, extra_sanctioned=()):
    """The sanctioned parties as an OFAC SDN.CSV entry, every other tag in one TagPack."""
    sanctioned = [regtest(t["address"]) for t in tags if t["category"] == "sanction"] + list(extra_sanctioned)
    with open(os.path.join(workdir, "SDN.CSV"), "w") as out:
        remarks = "; ".join(f"{'alt. ' if n else ''}Digital Currency Address - XBT {a}" for n, a in enumerate(sanctioned))
        out.write(f'90011,"SCENARIO SANCTIONED PARTY","-0- ","CYBER2",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"{remarks}"\n')
    with open(os.path.join(workdir, "scenario.yaml"), "w") as out:
        out.write("title: Scenario services and parties\ncreator: integration\nlastmod: 2026-12-06\ncurrency: BTC\n"
                  "confidence: ownership\nsource: https://scenario.example.org\ntags:\n")
        for tag in tags:
            if tag["category"] != "sanction":
                out.write(f"  - address: {regtest(tag['address'])}\n    label: {tag['label']}\n    category: {tag['category']}\n")
    return len(sanctioned), len(tags) - len(sanctioned)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    results = Results()
    workdir = tempfile.mkdtemp(prefix="csic-typologies-")
    path = os.path.join(workdir, "scenario.json")
    made = subprocess.run([args.binary, "scenario", "--seed", str(SEED), "--background", str(BACKGROUND), "--out", path],
                          capture_output=True, text=True, timeout=120)
    results.check(made.returncode == 0, f"csic scenario wrote the labelled set {made.stderr.strip()[-300:]}")
    with open(path) as source:
        scenario = json.load(source)
    expected = {(label["typology"], regtest(label["subject"])) for label in scenario["labels"]}
    results.check(len({typology for typology, _ in expected}) == 12, f"the set labels all twelve typologies: {len(expected)} labels")

    node = BitcoinTestNode(seed=SEED, transactions=0).start()
    blocks, regtest_txids = build_blocks(node, scenario["transactions"])
    injected = {regtest_txids[txid] for txid in scenario["injected"] if txid in regtest_txids}
    node.mine(2, at=blocks[0][0] - 10)
    for at, transactions in blocks:
        node.mine(1, extra=transactions, at=at)
    carried = sum(len(transactions) for _, transactions in blocks)
    results.check(carried > BACKGROUND, f"the node carries {carried} scenario transactions in {len(blocks)} blocks")

    sanctioned, listed = write_reference_data(workdir, scenario["tags"])
    port = free_port()
    config = os.path.join(workdir, "csic.yaml")
    with open(config, "w") as out:
        out.write(node.serve_config(workdir, port, 1))
    serve = Serve(args.binary, config, os.path.join(workdir, "csic.log"))
    try:
        for kind, name, count in (("sanctions", "SDN.CSV", sanctioned), ("tags", "scenario.yaml", listed)):
            done = subprocess.run([args.binary, "import", kind, os.path.join(workdir, name), "--config", config],
                                  capture_output=True, text=True, timeout=120)
            results.check(done.returncode == 0 and f"{count} tags imported" in done.stdout,
                          f"csic import {kind}: {done.stdout.strip()[:200]} {done.stderr.strip()[-300:]}")
        serve.start()
        results.check(wait_until(lambda: get(port, "/health")["status"] == "ok", 60), "csic serve is up")
        last = b2lx(blocks[-1][1][-1].GetTxid())
        results.check(wait_until(lambda: get(port, f"/api/v1/transactions/btc:{last}").get("risk"), 180),
                      "the adapter reached the node's tip, the last transaction stored and assessed")

        def findings():
            items = get(port, "/api/v1/findings?limit=1000")["items"]
            return [f for f in items if not f["id"].startswith("withdrawal:")]

        def standing():
            return {(f["typology"], f["subject"]) for f in findings() if not f["withdrawn"] and f["typology"] != HIGH_RISK}
        wait_until(lambda: standing() >= expected, 120)
        found = standing()
        results.check(expected <= found, f"every injected instance found; missed: {sorted(expected - found)}")
        results.check(found <= expected, f"nothing else found (the benign economy raises nothing): {sorted(found - expected)}")

        # The model alone (no rule hit, score at least analysis.risk_model.alert_score, 100 by default) flags
        # transactions of the injected instances that no rule completed on, and none of the benign economy.
        high_risk = [f for f in findings() if f["typology"] == HIGH_RISK]
        results.check(high_risk and all(set(f["txids"]) <= injected for f in high_risk),
                      f"{len(high_risk)} high_risk_score findings, all on injected transactions: "
                      f"{[f['txids'] for f in high_risk if not set(f['txids']) <= injected][:5]}")
        results.check(all(int(f["evidence"]["score"]) >= 100 and f["evidence"]["model_version"] and f["evidence"]["reasons"]
                          for f in high_risk), "each with its score, model version and reasons")

        def alerts():
            return {(a["typology"], a["subject"]) for a in get(port, "/api/v1/alerts?limit=1000")["items"]
                    if a["typology"] != HIGH_RISK}
        results.check(wait_until(lambda: alerts() == expected, 60), f"one alert per instance: {len(alerts())} of {len(expected)}")
        risky_payers = {f["subject"] for f in high_risk}
        results.check(wait_until(lambda: {a["subject"] for a in get(port, f"/api/v1/alerts?typology={HIGH_RISK}&limit=1000")["items"]}
                                 == risky_payers, 60), f"one high_risk_score alert per flagged payer: {len(risky_payers)}")

        # The last two blocks are orphaned by a competing branch of three empty blocks.
        orphaned = {b2lx(tx.GetTxid()) for block in node.chain[-2:] for tx in block.vtx}
        node.reorg(2, 3, at=blocks[-1][0] + BLOCK_SECONDS)
        resting = {f["id"] for f in findings() if set(f["txids"]) & orphaned}
        results.check(resting, f"findings rest on the orphaned blocks' transactions: {sorted(resting)}")

        def settled():
            return all(f["withdrawn"] == (f["id"] in resting) for f in findings())
        results.check(wait_until(settled, 60),
                      f"after the reorg exactly those findings are withdrawn: {[(f['typology'], f['withdrawn']) for f in findings()]}")
        stored_standing = len([f for f in findings() if not f["withdrawn"]])
        withdrawn = ({(f["typology"], f["subject"]) for f in findings() if f["withdrawn"]}
                     - {(f["typology"], f["subject"]) for f in findings() if not f["withdrawn"]})
        results.check(wait_until(lambda: all(a["status"] == "resolved" for a in get(port, "/api/v1/alerts?limit=1000")["items"]
                                             if (a["typology"], a["subject"]) in withdrawn), 30),
                      f"their alerts resolved: {sorted(withdrawn)}")

        # Stopped, the platform replays its log with the same rules, model and lists: the findings it stored are
        # exactly those the replay makes (the orphaned ones withdrawn in both).
        serve.stop()
        replayed = replay(args.binary, config)
        totals = {kind: sum(c[kind] for c in replayed["findings"].values()) for kind in ("reproduced", "new", "gone")}
        results.check(totals["new"] == 0 and totals["gone"] == 0 and totals["reproduced"] == stored_standing,
                      f"csic replay reproduces the live findings: {totals}, {stored_standing} stored")

        # A new SDN version names a benign payer too: `--reevaluate` replays the stored history against it and
        # publishes the exposure it finds; served again, the findings and their alerts are there.
        payer = next(regtest(tx["inputs"][0]["address"]) for tx in scenario["transactions"][200:]
                     if len(tx["inputs"]) == 1 and regtest(tx["inputs"][0]["address"]) not in tagged(scenario)
                     and tx["inputs"][0]["previousTxid"] != COINBASE)
        write_reference_data(workdir, scenario["tags"], extra_sanctioned=[payer])
        done = subprocess.run([args.binary, "import", "sanctions", os.path.join(workdir, "SDN.CSV"), "--config", config, "--reevaluate"],
                              capture_output=True, text=True, timeout=300)
        results.check(done.returncode == 0 and f"{sanctioned + 1} tags imported" in done.stdout and "new sanctioned_exposure" in done.stdout,
                      f"csic import sanctions --reevaluate: {done.stdout.strip()[-600:]} {done.stderr.strip()[-300:]}")
        serve.start()

        def reevaluated():
            return [f for f in findings() if f["typology"] == "sanctioned_exposure" and f["evidence"].get("path", "").startswith(payer)]
        results.check(wait_until(lambda: reevaluated(), 60),
                      f"the re-evaluated exposure is served: {[(f['subject'], f['evidence'].get('path')) for f in reevaluated()]}")
        results.check(wait_until(lambda: {f["subject"] for f in reevaluated()}
                                 <= {a["subject"] for a in get(port, "/api/v1/alerts?typology=sanctioned_exposure&limit=1000")["items"]}, 30),
                      "with its alerts")
    finally:
        if serve.process:
            serve.stop()
        node.stop()
    sys.exit(results.finish("risk typologies"))


if __name__ == "__main__":
    main()
