"""Valid regtest-difficulty Bitcoin blocks built with python-bitcoinlib: segwit, taproot and legacy
transactions with every common output type, a unique coinbase, and a BIP141 witness commitment."""
from bitcoin.core import (CBlock, CMutableTransaction, CMutableTxIn, CMutableTxOut, COutPoint, CTxInWitness,
                          CTxWitness, Hash)
from bitcoin.core.script import CScript, CScriptWitness, OP_0, OP_1, OP_2, OP_CHECKMULTISIG, OP_RETURN


def random_key(rng, compressed=True):
    return bytes([2 + rng.randrange(2)] + [rng.randrange(256) for _ in range(32)]) if compressed else \
        bytes([4] + [rng.randrange(256) for _ in range(64)])


def output_scripts(rng):
    def rand(n):
        return bytes(rng.randrange(256) for _ in range(n))
    return [
        CScript([OP_0, rand(20)]),                                    # P2WPKH
        CScript([OP_0, rand(32)]),                                    # P2WSH
        CScript([OP_1, rand(32)]),                                    # P2TR
        CScript(b"\x76\xa9\x14" + rand(20) + b"\x88\xac"),            # P2PKH
        CScript(b"\xa9\x14" + rand(20) + b"\x87"),                    # P2SH
        CScript([random_key(rng), 0xAC]),                             # P2PK, compressed
        CScript([random_key(rng, compressed=False), 0xAC]),           # P2PK, uncompressed
        CScript([OP_RETURN, b"csic regulator test"]),                 # data
        CScript([OP_1, random_key(rng), random_key(rng), OP_2, OP_CHECKMULTISIG]),  # bare multisig
    ]


def generated_block(rng, previous, transactions=40, spendable=(), time=1_767_225_600, extra=()):
    """A regtest-difficulty block of segwit, taproot and legacy transactions with a valid witness commitment;
    `spendable` (txid, vout, value) outputs of earlier blocks are spent by the first transactions; `extra`
    transactions (a test's own) come last."""
    reserved = bytes(32)
    spends = []
    spendable = list(spendable)
    for index in range(transactions):
        inputs = [CMutableTxIn(COutPoint(Hash(rng.randbytes(32)), rng.randrange(4))) for _ in range(1 + rng.randrange(3))]
        scripts = output_scripts(rng)
        outputs = [CMutableTxOut(rng.randrange(1, 2_100_000_000_000), scripts[(index + k) % len(scripts)])
                   for k in range(1 + rng.randrange(5))]
        if spendable:
            # Spend an output of an earlier block alone, paying out less than it holds: adapters can resolve
            # the input's value and address and compute the fee.
            txid, vout, value = spendable.pop()
            inputs = [CMutableTxIn(COutPoint(txid, vout))]
            for output in outputs:
                output.nValue = max(1, value // (len(outputs) + 1))
        segwit = index % 3 != 0
        witness = CTxWitness([CTxInWitness(CScriptWitness([rng.randbytes(71), rng.randbytes(33)] if segwit else []))
                              for _ in inputs]) if segwit else CTxWitness()
        spends.append(CMutableTransaction(inputs, outputs, nLockTime=rng.randrange(500_000), nVersion=2, witness=witness))
    coinbase_in = CMutableTxIn(COutPoint(), CScript([rng.randrange(1, 10**6), b"csic"]), 0xFFFFFFFF)
    coinbase = CMutableTransaction([coinbase_in], [CMutableTxOut(625_000_000, output_scripts(rng)[0])],
                                   witness=CTxWitness([CTxInWitness(CScriptWitness([reserved]))]))
    spends += list(extra)
    witness_root = CBlock.build_witness_merkle_tree_from_txs([coinbase] + spends)[-1]
    coinbase.vout.append(CMutableTxOut(0, CScript(b"\x6a\x24\xaa\x21\xa9\xed" + Hash(witness_root + reserved))))
    vtx = [coinbase] + spends
    root = CBlock.build_merkle_tree_from_txs(vtx)[-1]
    nonce = 0
    while True:
        block = CBlock(nVersion=0x20000000, hashPrevBlock=previous, hashMerkleRoot=root, nTime=time,
                       nBits=0x207FFFFF, nNonce=nonce, vtx=vtx)
        if block.GetHash()[::-1] < b"\x7f\xff\xff" + bytes(29):
            return block
        nonce += 1


