#!/usr/bin/env python3
"""An independent verifier of CSIC's audit trail, written from the public specifications only (RFC 9162
section 2.1, C2SP signed-note and tlog-checkpoint) with Python's hashlib and the `cryptography` package:
no CSIC code. It checks the output of `csic audit proof` and `csic audit consistency` and checkpoint
signatures."""
import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def parse_verifier_key(text):
    """`<name>+<hex key id>+<base64(0x01 || key)>` -> (name, key id, public key); the key id is checked."""
    name, key_id, encoded = text.strip().split("+", 2)
    blob = base64.b64decode(encoded)
    if len(blob) != 33 or blob[0] != 0x01:
        raise ValueError("not an Ed25519 verifier key")
    public = blob[1:]
    if hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4].hex() != key_id:
        raise ValueError("verifier key id does not match its key")
    return name, bytes.fromhex(key_id), public


def open_note(note, verifier_key):
    """The body of a signed note when a signature line by the key verifies; raises otherwise."""
    name, key_id, public = parse_verifier_key(verifier_key)
    body, separator, signatures = note.rpartition("\n\n")
    if not separator or not note.endswith("\n"):
        raise ValueError("not a signed note")
    body += "\n"
    for line in signatures.rstrip("\n").split("\n"):
        dash, signer, encoded = line.split(" ")
        if dash != "\u2014":
            raise ValueError("bad signature line")
        blob = base64.b64decode(encoded)
        if signer == name and blob[:4] == key_id:
            try:
                Ed25519PublicKey.from_public_bytes(public).verify(blob[4:], body.encode())
            except InvalidSignature:
                raise ValueError("signature does not verify") from None
            return body
    raise ValueError("no signature by the verifier key")


def parse_checkpoint(body):
    lines = body.split("\n")
    if len(lines) < 4 or lines[-1] != "" or str(int(lines[1])) != lines[1]:
        raise ValueError("not a checkpoint")
    root = base64.b64decode(lines[2])
    if len(root) != 32:
        raise ValueError("root is not 32 bytes")
    return lines[0], int(lines[1]), root


def verify_inclusion(leaf, index, size, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old_size, new_size, old_root, new_root, proof):
    """RFC 9162 section 2.1.4.2."""
    if old_size > new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


def verify_proof_output(output, trusted_verifier_key):
    """Checks `csic audit proof --json` output against a verifier key the checker already trusts."""
    if output["verifier_key"] != trusted_verifier_key:
        raise ValueError("the proof names another key")
    _, size, root = parse_checkpoint(open_note(output["checkpoint"], trusted_verifier_key))
    if size != output["tree_size"]:
        raise ValueError("tree size differs from the signed checkpoint")
    proof = [base64.b64decode(h) for h in output["inclusion_proof"]]
    return verify_inclusion(leaf_hash(base64.b64decode(output["record"])), output["leaf_index"], size, proof, root)


# RFC 6962 / transparency-dev test tree: the verifier checks itself before checking CSIC.
TEST_LEAVES = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
TEST_ROOT_8 = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")


def self_test():
    hashes = [leaf_hash(leaf) for leaf in TEST_LEAVES]
    level = hashes
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    assert level[0] == TEST_ROOT_8
    proof = [bytes.fromhex(h) for h in ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                                        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                                        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]]
    assert verify_inclusion(hashes[0], 0, 8, proof, TEST_ROOT_8)
    assert verify_consistency(1, 8, hashes[0], TEST_ROOT_8, proof)
    assert not verify_inclusion(hashes[1], 0, 8, proof, TEST_ROOT_8)
