#!/usr/bin/env python3
"""The risk engine and the alert service against the real binary and the Bitcoin adapter: a JSON-RPC test node
(Tests/IntegrationTests/bitcoin_test_node.py) whose chain carries funds of a sanctioned address walked two hops
on; `csic import sanctions` (an SDN.CSV naming the address) and `csic import tags` (a TagPack) run by the test
on the stopped platform; `csic serve` follows the chain: the sanctioned-exposure findings match the chain (hop 1
and hop 2, with the path), alerts are raised for them, and after a reorg orphaning the second hop its finding is
withdrawn and its alert resolved while the first stays."""
import argparse
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from bitcoin.core import CMutableTransaction, CMutableTxIn, CMutableTxOut, COutPoint, Hash, b2lx  # noqa: E402
from bitcoin.core.script import CScript, OP_0  # noqa: E402
from bitcoin_test_node import BitcoinTestNode  # noqa: E402
from csic_process import Results, Serve, free_port, get, wait_until  # noqa: E402

START = 2
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_address(hrp, program):
    """A version-0 segwit address (BIP 173), e.g. `bcrt1q...` for a 20-byte program."""
    def polymod(values):
        generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
        check = 1
        for value in values:
            top = check >> 25
            check = (check & 0x1FFFFFF) << 5 ^ value
            for i in range(5):
                check ^= generator[i] if (top >> i) & 1 else 0
        return check
    data, accumulator, bits = [0], 0, 0
    for byte in program:
        accumulator, bits = (accumulator << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            data.append((accumulator >> bits) & 31)
    if bits:
        data.append((accumulator << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    check = polymod(expanded + data + [0] * 6) ^ 1
    return hrp + "1" + "".join(CHARSET[d] for d in data + [(check >> 5 * (5 - i)) & 31 for i in range(6)])


def findings(port, query=""):
    return get(port, f"/api/v1/findings?limit=1000{query}")["items"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    results = Results()
    rng = random.Random(20261206)
    workdir = tempfile.mkdtemp(prefix="csic-risk-")
    node = BitcoinTestNode(seed=14).start()
    node.mine(6)
    programs = {name: rng.randbytes(20) for name in ("sanctioned", "first", "second", "exchange")}
    address = {name: bech32_address("bcrt", program) for name, program in programs.items()}
    script = {name: CScript([OP_0, program]) for name, program in programs.items()}

    with open(os.path.join(workdir, "SDN.CSV"), "w") as out:
        out.write(f'36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'
                  f'90010,"TEST MIXER OPERATOR","-0- ","CYBER2",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
                  f'"Digital Currency Address - XBT {address["sanctioned"]}; alt. Digital Currency Address - ETH '
                  f'0x098B716B8Aaf21512996dC57EB0615e2383E2f96"\n')
    with open(os.path.join(workdir, "exchange.yaml"), "w") as out:
        out.write(f"title: Test exchange\ncreator: integration\nlastmod: 2026-12-06\ncategory: exchange\nconfidence: ownership\n"
                  f"currency: BTC\nlabel: Test exchange\nsource: https://exchange.example.org\ntags:\n  - address: {address['exchange']}\n")
    port = free_port()
    config = os.path.join(workdir, "csic.yaml")
    with open(config, "w") as out:
        out.write(node.serve_config(workdir, port, START))
    serve = Serve(args.binary, config, os.path.join(workdir, "csic.log"))
    try:
        for kind, files in (("sanctions", ["SDN.CSV"]), ("tags", ["exchange.yaml"])):
            done = subprocess.run([args.binary, "import", kind, *[os.path.join(workdir, f) for f in files], "--config", config],
                                  capture_output=True, text=True, timeout=120)
            results.check(done.returncode == 0 and ("2 tags imported" if kind == "sanctions" else "1 tags imported") in done.stdout,
                          f"csic import {kind} on the stopped platform: {done.stdout.strip()[:200]} {done.stderr.strip()[-300:]}")

        # Hop 1 (block 7): the sanctioned address pays `first`. Hop 2 (block 8): `first` pays `second`.
        funding = (Hash(rng.randbytes(32)), 0)
        node.fund(funding[0], funding[1], 100_000_000, bytes(script["sanctioned"]))
        hop1 = CMutableTransaction([CMutableTxIn(COutPoint(*funding))], [CMutableTxOut(90_000_000, script["first"])], nVersion=2)
        node.mine(1, extra=[hop1])
        hop2 = CMutableTransaction([CMutableTxIn(COutPoint(hop1.GetTxid(), 0))], [CMutableTxOut(80_000_000, script["second"])],
                                   nVersion=2)
        node.mine(1, extra=[hop2])
        serve.start()
        results.check(wait_until(lambda: get(port, "/health")["status"] == "ok", 60), "csic serve is up")

        def exposure():
            return {f["subject"]: f for f in findings(port, "&typology=sanctioned_exposure")}
        results.check(wait_until(lambda: set(exposure()) >= {address["first"], address["second"]}, 60),
                      f"sanctioned_exposure findings for both hops: {sorted(exposure())}")
        found = exposure()
        first, second = found.get(address["first"], {}), found.get(address["second"], {})
        results.check(first.get("evidence", {}).get("hops") == "1" and first.get("severity") == "critical"
                      and first.get("txids") == [b2lx(hop1.GetTxid())] and first.get("amount") == "90000000",
                      f"hop 1: direct, critical, the paying transaction and amount: {first.get('evidence')}")
        results.check(second.get("evidence", {}).get("path") == f"{address['sanctioned']} -> {address['first']} -> {address['second']}"
                      and second.get("txids") == [b2lx(hop1.GetTxid()), b2lx(hop2.GetTxid())]
                      and second.get("evidence", {}).get("list") == "ofac-sdn" and second.get("evidence", {}).get("label") == "TEST MIXER OPERATOR",
                      f"hop 2: the path, both transactions and the SDN entry cited: {second.get('evidence')}")
        results.check(set(found) == {address["first"], address["second"]}, "no exposure finding for any other address")

        # Every transaction scored by the committed model: hop 1 (a sanctioned payer) severe with the tag among its
        # reasons; hop 2 raised to the two-hop exposure's floor; the model's activation in the audit trail.
        def risk(txid):
            return get(port, f"/api/v1/transactions/btc:{b2lx(txid)}").get("risk") or {}
        results.check(wait_until(lambda: risk(hop1.GetTxid()) and risk(hop2.GetTxid()), 30), "both hops assessed")
        hop1_risk, hop2_risk = risk(hop1.GetTxid()), risk(hop2.GetTxid())
        results.check(hop1_risk.get("score", 0) >= 90 and hop1_risk.get("band") == "severe"
                      and "rule:sanctioned_exposure" in [r["name"] for r in hop1_risk.get("reasons", [])]
                      and hop1_risk.get("model_version", "").startswith("scenario-gbtree-"),
                      f"hop 1 severe, the rule among its reasons, the committed model's version: {hop1_risk}")
        results.check(hop2_risk.get("score", 0) >= 75 and hop2_risk.get("band") in ("high", "severe"),
                      f"hop 2 at least the two-hop exposure's floor: {hop2_risk.get('score')} {hop2_risk.get('band')}")
        listed = {t["txid"]: t for t in get(port, "/api/v1/transactions?limit=1000")["items"]}
        results.check(listed.get(b2lx(hop1.GetTxid()), {}).get("risk_score") == hop1_risk.get("score"),
                      "the transaction list carries the same score")
        def activations():
            return get(port, "/api/v1/audit/records?action=risk_model.activate&limit=10").get("items", [])
        wait_until(lambda: len(activations()) >= 2, 30)
        results.check(len(activations()) == 2 and all(r["record"]["resource"] == f"risk_models/{hop1_risk.get('model_version')}"
                                                        for r in activations()),
                      f"the model's activation audited (attempt, outcome): {[r['record']['resource'] for r in activations()]}")

        def alerts():
            return {a["subject"]: a for a in get(port, "/api/v1/alerts?typology=sanctioned_exposure&limit=100")["items"]}
        results.check(wait_until(lambda: set(alerts()) == {address["first"], address["second"]}, 30),
                      f"an alert per exposed address: {sorted(alerts())}")

        # The block with hop 2 is orphaned (a competing branch of two blocks without it).
        node.reorg(1, 2)
        results.check(wait_until(lambda: exposure().get(address["second"], {}).get("withdrawn") is True, 60),
                      "after the reorg, hop 2's finding is withdrawn")
        results.check(wait_until(lambda: alerts()[address["second"]]["status"] == "resolved", 30),
                      f"its alert is resolved as withdrawn: {alerts().get(address['second'], {}).get('resolution')}")
        results.check(exposure()[address["first"]].get("withdrawn") is False and alerts()[address["first"]]["status"] == "open",
                      "hop 1 (still in the best chain) stands, its alert open")
        detail = get(port, f"/api/v1/alerts/{alerts()[address['second']]['id']}")
        results.check([h["action"] for h in detail["history"]] == ["raised", "finding_withdrawn"],
                      f"the withdrawn alert's history: {[h['action'] for h in detail['history']]}")
        metrics = get(port, "/metrics")
        results.check('csic_findings_total{typology="sanctioned_exposure"}' in metrics and "csic_findings_withdrawals_total 1" in metrics
                      and 'csic_risk_assessments_total{band="severe"}' in metrics,
                      "findings, the withdrawal and the assessments counted in /metrics")
    finally:
        if serve.process:
            serve.stop()
        node.stop()
    sys.exit(results.finish("risk engine"))


if __name__ == "__main__":
    main()
