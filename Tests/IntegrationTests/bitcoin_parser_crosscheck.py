#!/usr/bin/env python3
"""`csic chain decode-block` against python-bitcoinlib, an independent parser, on the same bytes:
real mainnet blocks (Tests/Fixtures/bitcoin) and generated segwit/taproot blocks (regtest difficulty),
as hex, raw bytes and blk*.dat records. Every block hash, merkle root, txid, wtxid, prevout, output
value and address must agree; corrupted blocks must be reported with their reason and exit status 2."""
import argparse
import glob
import json
import os
import random
import subprocess
import sys
import tempfile

import bitcoin
from bitcoin.core import CBlock, b2lx, x
from bitcoin.core.script import CScript, OP_CHECKSIG
from bitcoin.wallet import CBitcoinAddress, P2PKHBitcoinAddress

sys.path.insert(0, os.path.dirname(__file__))
from bitcoin_blocks import generated_block  # noqa: E402
from csic_process import Results  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "Fixtures", "bitcoin")
BECH32M_CONST = 0x2BC830A3
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32m_address(hrp, version, program):
    """BIP350's reference encoding, for taproot outputs (python-bitcoinlib 0.12 encodes witness v0 only)."""
    def polymod(values):
        generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
        chk = 1
        for value in values:
            top = chk >> 25
            chk = (chk & 0x1FFFFFF) << 5 ^ value
            for i in range(5):
                chk ^= generator[i] if ((top >> i) & 1) else 0
        return chk
    acc, bits, data = 0, 0, [version]
    for byte in program:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = polymod(expanded + data + [0] * 6) ^ BECH32M_CONST
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[d] for d in data + checksum)


def expected_address(script, hrp):
    raw = bytes(script)
    if len(raw) == 34 and raw[0] == 0x51 and raw[1] == 0x20:
        return bech32m_address(hrp, 1, raw[2:])
    if raw[:1] == b"\x6a":
        return None
    ops = list(script)
    if len(ops) == 2 and ops[1] == OP_CHECKSIG and isinstance(ops[0], bytes) and len(ops[0]) in (33, 65):
        # P2PK is shown as the P2PKH address of its key. python-bitcoinlib 0.12.2's own P2PK conversion
        # drops the last byte of an uncompressed key (scriptPubKey[1:65]), so the key is taken here.
        return str(P2PKHBitcoinAddress.from_pubkey(ops[0], accept_invalid=True))
    try:
        return str(CBitcoinAddress.from_scriptPubKey(script))
    except Exception:
        return None


def decode(binary, args):
    run = subprocess.run([binary, "chain", "decode-block", "--json", *args], capture_output=True, text=True, timeout=60)
    reports = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    return run.returncode, reports


def compare(results, name, report, block, hrp):
    results.check(report["hash"] == b2lx(block.GetHash()), f"{name}: block hash {report['hash'][:16]}…")
    results.check(report["merkle_root"] == b2lx(block.hashMerkleRoot), f"{name}: merkle root")
    results.check(report["verification"] == "ok", f"{name}: checks {report['verification']}")
    mismatches = []
    if len(report["transactions"]) != len(block.vtx):
        mismatches.append(f"{len(report['transactions'])} transactions, python-bitcoinlib {len(block.vtx)}")
    outputs = 0
    for ours, theirs in zip(report["transactions"], block.vtx):
        if ours["txid"] != b2lx(theirs.GetTxid()):
            mismatches.append(f"txid {ours['txid']} != {b2lx(theirs.GetTxid())}")
        if ours["wtxid"] != b2lx(theirs.GetHash()):
            mismatches.append(f"wtxid of {ours['txid']}")
        for our_input, their_input in zip(ours["inputs"], theirs.vin):
            if not our_input["coinbase"] and (our_input["previous_txid"] != b2lx(their_input.prevout.hash)
                                              or our_input["previous_index"] != their_input.prevout.n):
                mismatches.append(f"prevout of {ours['txid']}")
        if len(ours["outputs"]) != len(theirs.vout):
            mismatches.append(f"output count of {ours['txid']}")
        for our_output, their_output in zip(ours["outputs"], theirs.vout):
            outputs += 1
            if our_output["value"] != their_output.nValue:
                mismatches.append(f"value of {ours['txid']}:{our_output['index']}")
            if our_output.get("address") != expected_address(their_output.scriptPubKey, hrp):
                mismatches.append(f"address of {ours['txid']}:{our_output['index']}: {our_output.get('address')} "
                                  f"!= {expected_address(their_output.scriptPubKey, hrp)}")
    results.check(not mismatches, f"{name}: {len(block.vtx)} txids, wtxids, prevouts and {outputs} outputs agree"
                  + ("" if not mismatches else f" — {mismatches[:3]}"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    results = Results()
    workdir = tempfile.mkdtemp(prefix="csic-btc-")

    bitcoin.SelectParams("mainnet")
    for path in sorted(glob.glob(os.path.join(FIXTURES, "mainnet-*.hex"))):
        name = os.path.basename(path)
        block = CBlock.deserialize(x(open(path).read().strip()))
        code, reports = decode(args.binary, ["--file", path])
        results.check(code == 0 and len(reports) == 1, f"{name}: decoded (exit {code})")
        if reports:
            compare(results, name, reports[0], block, "bc")

    bitcoin.SelectParams("regtest")
    rng = random.Random(20261124)
    blocks = []
    previous = bytes(32)
    for _ in range(3):
        block = generated_block(rng, previous)
        blocks.append(block)
        previous = block.GetHash()
    raw = blocks[0].serialize()
    raw_path = os.path.join(workdir, "block.bin")
    open(raw_path, "wb").write(raw)
    code, reports = decode(args.binary, ["--file", raw_path, "--network", "regtest"])
    results.check(code == 0 and len(reports) == 1, f"generated segwit block as raw bytes: decoded (exit {code})")
    if reports:
        compare(results, "generated block 0", reports[0], blocks[0], "bcrt")
        witnessed = sum(1 for t in reports[0]["transactions"] if t["txid"] != t["wtxid"])
        results.check(witnessed >= 20, f"generated block 0 has {witnessed} witness transactions")

    records = b"".join(bytes.fromhex("fabfb5da") + len(b.serialize()).to_bytes(4, "little") + b.serialize() for b in blocks)
    blk_path = os.path.join(workdir, "blk00000.dat")
    open(blk_path, "wb").write(records + bytes(4096))
    code, reports = decode(args.binary, ["--file", blk_path])
    results.check(code == 0 and len(reports) == 3, f"blk*.dat with 3 regtest records and zero padding: {len(reports)} blocks")
    for index, (report, block) in enumerate(zip(reports, blocks)):
        results.check(report["network"] == "regtest", f"record {index}: network from the record magic")
        compare(results, f"record {index}", report, block, "bcrt")

    corrupt = bytearray(raw)
    witness_byte = raw.rfind(bytes(blocks[0].vtx[2].wit.vtxinwit[0].scriptWitness.stack[0]))
    corrupt[witness_byte + 5] ^= 0xFF
    code, reports = decode(args.binary, ["--hex", corrupt.hex()])
    results.check(code == 2 and reports and reports[0]["verification"].startswith("witnessCommitmentMismatch"),
                  f"a flipped witness byte: exit {code}, {reports[0]['verification'] if reports else 'no report'}")
    code, reports = decode(args.binary, ["--hex", raw[:-3].hex()])
    results.check(code == 2 and reports == [] or (reports and "error" in reports[0]),
                  f"a truncated block: exit {code}, {reports[0] if reports else 'no report'}")
    return results.finish("bitcoin_parser_crosscheck")


if __name__ == "__main__":
    sys.exit(main())
