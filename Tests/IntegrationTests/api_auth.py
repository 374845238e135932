#!/usr/bin/env python3
"""The API gateway's security on the real binary over loopback: `csic serve` refuses to run without an admin;
`csic user` makes accounts and keys; then an RBAC matrix generated from the route table (`GET /` lists every
route with its rule) — every route x every role x anonymous x a reporting_entity of another entity, each
status equal to the declared rule; forged and stale JWTs (alg none, HS256 signed with the public key,
expired, not yet valid, wrong aud/iss, tampered payload and signature, unknown kid); refresh-token reuse
revoking the family; a disabled account's token; sign-in answers and timing for an unknown user and a wrong
password, lock-out, TOTP, throttling; SQL injection and oversized values on every string filter, unknown
parameters, a body over the limit; the gRPC API (Python grpcio client, stubs generated from Protos/ now): its
methods x every role from `GET /`'s `grpc_methods`, queries equal to REST's answers, the Watch stream, audit
records of gRPC calls with their proofs; and `csic demo` printing a random admin password once."""
import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, os.path.dirname(__file__))
from csic_process import (ADMIN_PASSWORD, ADMIN_USER, CSICProcess, Results, Serve, call, free_port, run_csic,  # noqa: E402
                          sign_in, wait_until)
from grpc_client import load_stubs, metadata, status_of  # noqa: E402
import grpc  # noqa: E402

ROLES = ["admin", "supervisor", "analyst", "auditor"]
PASSWORD = "role password for the matrix"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def totp(secret, at=None, step=30, digits=6):
    """RFC 6238 with HMAC-SHA1; the key is the secret's bytes (what the platform's otpauth URL encodes)."""
    counter = int((at or time.time()) // step)
    mac = hmac.new(secret.encode(), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 10 ** digits
    return f"{value:0{digits}d}"


class Forge:
    """Tokens signed with the platform's own key (read from its data directory), to test each claim alone."""

    def __init__(self, key_dir):
        name = sorted(n for n in os.listdir(key_dir) if n.endswith(".json"))[0]
        key = json.load(open(os.path.join(key_dir, name)))
        self.kid = key["kid"]
        self.private = Ed25519PrivateKey.from_private_bytes(unb64url(key["private_key"]))
        self.public = self.private.public_key().public_bytes_raw()

    def claims(self, **changes):
        now = int(time.time())
        claims = {"iss": "csic", "aud": ["csic-api"], "sub": ADMIN_USER, "role": "admin", "jti": "forged",
                  "iat": now, "nbf": now, "exp": now + 600}
        claims.update(changes)
        return claims

    @staticmethod
    def encode(obj):
        return b64url(json.dumps(obj, separators=(",", ":")).encode())

    def signed(self, claims, header=None):
        head = self.encode(header or {"alg": "EdDSA", "typ": "at+jwt", "kid": self.kid})
        body = self.encode(claims)
        return f"{head}.{body}.{b64url(self.private.sign(f'{head}.{body}'.encode()))}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    results = Results()
    with tempfile.TemporaryDirectory() as work:
        data_dir = os.path.join(work, "data")
        port, grpc_port = free_port(), free_port()
        config = os.path.join(work, "csic.yaml")
        with open(config, "w") as out:
            out.write(f"data_dir: {data_dir}\nhttp: {{ host: 127.0.0.1, port: {port} }}\ngrpc: {{ port: {grpc_port} }}\n"
                      "simulator: { enabled: true, rate: 200, seed: 7 }\n"
                      "audit: { checkpoint_every: 20, checkpoint_seconds: 0.5 }\n"
                      "auth: { bcrypt_cost: 10, lockout_failures: 3, lockout_seconds: 600, login_attempts_per_minute: 60 }\n")

        # First start: no admin, no service.
        refused = subprocess.run([args.binary, "serve", "--config", config], capture_output=True, text=True, timeout=120)
        results.check(refused.returncode != 0 and "csic user add" in refused.stderr + refused.stdout,
                      f"csic serve on an empty store refuses to start without an admin (exit {refused.returncode})")

        def user(*arguments, password=None):
            done = subprocess.run([args.binary, "user", *arguments, "--config", config], capture_output=True, text=True, timeout=120,
                                  input=(password + "\n") if password else None)
            return done.returncode, done.stdout + done.stderr

        code, _ = user("add", ADMIN_USER, "--role", "admin", "--password-stdin", password=ADMIN_PASSWORD)
        results.check(code == 0, "csic user add admin --role admin --password-stdin")
        for role in ROLES[1:]:
            user("add", role[:3], "--role", role, "--password", PASSWORD)
        user("add", "locked", "--role", "analyst", "--password", PASSWORD)
        user("add", "vasp1", "--role", "reporting_entity", "--entity", "vasp-1")
        user("add", "vasp2", "--role", "reporting_entity", "--entity", "vasp-2")
        keys = {}
        for name in ("vasp1", "vasp2"):
            code, output = user("add-key", name, "--label", "reporting")
            match = re.search(r"(csic_[0-9a-f]{16}_[A-Za-z0-9_-]{43})", output)
            keys[name] = match.group(1) if match else ""
        results.check(all(keys.values()), "csic user add-key prints a key once")
        bad = [user("add", "x", "--role", "wizard", "--password", PASSWORD)[0], user("add", "y", "--role", "analyst", "--password", "short")[0],
               user("add", "z", "--role", "reporting_entity")[0], user("add", ADMIN_USER, "--role", "admin", "--password", PASSWORD)[0],
               user("disable", "nobody")[0]]
        results.check(all(code != 0 for code in bad), f"bad user commands fail: unknown role, weak password, entity missing, "
                                                       f"existing name, unknown user ({bad})")
        code, listing = user("list")
        results.check(code == 0 and all(name in listing for name in ("admin", "sup", "ana", "aud", "vasp1")) and "$2" not in listing,
                      "csic user list shows the accounts and no hashes")

        server = Serve(args.binary, config, os.path.join(work, "csic.log"))
        server.start()
        try:
            if not wait_until(lambda: call(port, "/health", auth=False)[0] == 200, 60):
                results.check(False, "csic serve came up with an admin")
                return results.finish("api_auth")
            run_checks(args, results, port, data_dir, keys, grpc_port)
        finally:
            server.stop()
            if results.failed:
                # What the server logged about it (a 500's error goes to the log, not to the client).
                with open(os.path.join(work, "csic.log"), errors="replace") as log:
                    print("".join(line for line in log if " error " in line or "internal" in line)[-4000:], flush=True)
        verify = subprocess.run([args.binary, "audit", "verify", "--data-dir", data_dir], capture_output=True, text=True)
        results.check(verify.returncode == 0, "the audit trail verifies after the security tests")
        demo_password_is_printed(args, results, work)
    return results.finish("api_auth")


def run_checks(args, results, port, data_dir, keys, grpc_port):
    tokens = {}
    for role in ROLES:
        name = ADMIN_USER if role == "admin" else role[:3]
        status, answer = sign_in(port, name, ADMIN_PASSWORD if role == "admin" else PASSWORD)
        tokens[role] = answer.get("access_token", "") if status == 200 else ""
    results.check(all(tokens.values()), "each role signs in at POST /api/v1/auth/token")
    tokens["reporting_entity_key"] = keys["vasp1"]
    grant = sign_in(port, "ana", PASSWORD)[1]
    results.check(grant.get("token_type") == "Bearer" and grant.get("expires_in") == 900 and grant.get("refresh_token", "").startswith("rt_"),
                  f"the answer has token_type, expires_in and a refresh token ({sorted(grant)})")
    wait_until(lambda: call(port, "/api/v1/stats", headers={"Authorization": "Bearer " + tokens["admin"]}, auth=False)[1]
               .get("stored", {}).get("transactions", 0) > 0, 60)

    rbac_matrix(results, port, tokens, keys)
    grpc_api(results, port, grpc_port, tokens, keys)
    jwt_attacks(results, port, data_dir, tokens)
    audit_paging(results, port, tokens)
    refresh_rotation(results, port)
    sign_in_answers(results, port, tokens)
    hostile_input(results, port, tokens)
    live_feed(results, port, tokens)
    throttling(results, port)


def headers_for(credential):
    return {"Authorization": "Bearer " + credential} if credential else {}


def rbac_matrix(results, port, tokens, keys):
    status, index = call(port, "/", auth=False)
    routes = index.get("routes", []) if status == 200 else []
    results.check(len(routes) >= 20, f"GET / lists {len(routes)} routes with their rules")
    principals = {"anonymous": ("", None), **{role: (tokens[role], role) for role in ROLES},
                  "reporting_entity": (keys["vasp1"], "reporting_entity"), "reporting_entity of another entity": (keys["vasp2"], "reporting_entity")}
    wrong = []
    cells = 0
    for route in routes:
        path = re.sub(r"\{username\}", "nobody-matrix", route["path"])
        path = re.sub(r"\{entity\}", "vasp-1", path)
        path = re.sub(r"\{[a-z_]+\}", "x-matrix", path)
        if route["method"] == "POST" and route["path"] == "/api/v1/auth/keys/rotate":
            continue  # checked below once: rotating in every cell would retire nothing but adds keys
        for name, (credential, role) in principals.items():
            if route["is_public"] or (route["open_on_loopback"] and not credential):
                expected_allowed = True
            elif role is None:
                expected_allowed = False
            else:
                expected_allowed = role in route["roles"]
                if role == "reporting_entity" and route.get("entity_parameter") and name.endswith("another entity"):
                    expected_allowed = False
            body = {} if route["method"] in ("POST", "PUT", "PATCH") else None
            if path == "/api/v1/events":  # a stream: only its status is read
                code = read_events(port, credential, count=0)[0]
            else:
                code, _ = call(port, path, body=body, method=route["method"], auth=False, headers=headers_for(credential))
            cells += 1
            if expected_allowed and code in (401, 403) or not expected_allowed and code != (401 if role is None else 403) or code >= 500:
                wrong.append(f"{route['method']} {route['path']} as {name}: {code}")
    results.check(not wrong and cells > 100, f"RBAC matrix: {cells} cells (routes x roles x anonymous x other entity) match the "
                                              f"declared rules ({len(wrong)} differ: {wrong[:4]})")
    rotations = [call(port, "/api/v1/auth/keys/rotate", body={}, auth=False, headers=headers_for(tokens[role]))[0] for role in ROLES]
    results.check(rotations == [200, 403, 403, 403], f"only an admin rotates the signing key ({rotations})")
    results.check(call(port, "/api/v1/stats", auth=False, headers=headers_for(tokens["analyst"]))[0] == 200,
                  "a token issued before the rotation is still valid")
    _, jwks = call(port, "/.well-known/jwks.json", auth=False)
    results.check(len(jwks.get("keys", [])) == 2 and all(k["kty"] == "OKP" and k["crv"] == "Ed25519" for k in jwks["keys"]),
                  "/.well-known/jwks.json publishes the old and the new Ed25519 key")


def grpc_api(results, port, grpc_port, tokens, keys):
    pb, rpc = load_stubs()
    stub = rpc.QueryServiceStub(grpc.insecure_channel(f"127.0.0.1:{grpc_port}"))
    methods = call(port, "/", auth=False)[1].get("grpc_methods", [])
    results.check(len(methods) == 5, f"GET / lists {len(methods)} gRPC methods with their rules")
    requests = {
        "GetTransaction": lambda md: stub.GetTransaction(pb.GetTransactionRequest(id="x-matrix"), metadata=md, timeout=10),
        "ListTransactions": lambda md: stub.ListTransactions(pb.ListTransactionsRequest(limit=5), metadata=md, timeout=10),
        "GetStats": lambda md: stub.GetStats(pb.GetStatsRequest(), metadata=md, timeout=10),
        "GetAuditRecord": lambda md: stub.GetAuditRecord(pb.GetAuditRecordRequest(id="x-matrix"), metadata=md, timeout=10),
        "Watch": lambda md: next(iter(stub.Watch(pb.WatchRequest(after="0-0"), metadata=md, timeout=10))),
    }
    principals = {"anonymous": ("", None), **{role: (tokens[role], role) for role in ROLES},
                  "reporting_entity": (keys["vasp1"], "reporting_entity"), "reporting_entity of another entity": (keys["vasp2"], "reporting_entity"),
                  "a forged token": ("eyJhbGciOiJub25lIn0.e30.", None)}
    wrong, cells = [], 0
    for method in methods:
        request = requests.get(method["method"].split("/")[-1])
        for name, (credential, role) in principals.items():
            expected = "allowed" if role in method["roles"] else ("UNAUTHENTICATED" if role is None else "PERMISSION_DENIED")
            code = status_of(lambda: request(metadata(credential))) if request else "no request for this method"
            cells += 1
            if (code not in ("OK", "NOT_FOUND")) if expected == "allowed" else code != expected:
                wrong.append(f"{method['method']} as {name}: {code}")
    results.check(not wrong and cells == 40, f"gRPC RBAC matrix: {cells} cells (methods x roles x anonymous x other entity x forged) "
                                             f"match the declared rules ({wrong[:4]})")

    admin = metadata(tokens["admin"])
    _, page = call(port, "/api/v1/transactions?limit=20", auth=False, headers=headers_for(tokens["admin"]))
    first = page["items"][0]
    stored = stub.GetTransaction(pb.GetTransactionRequest(id=first["id"]), metadata=admin, timeout=10)
    results.check(stored.id == first["id"] and stored.transaction.txid == first["txid"] and len(stored.transaction.outputs) == len(first["outputs"]),
                  "GetTransaction answers the transaction REST answers, as its published message")
    address = first["addresses"][0]
    listed = stub.ListTransactions(pb.ListTransactionsRequest(address=address, limit=1000), metadata=metadata(tokens["analyst"]), timeout=10)
    _, rest = call(port, "/api/v1/transactions?limit=1000&address=" + urllib.parse.quote(address), auth=False, headers=headers_for(tokens["admin"]))
    results.check([item.id for item in listed.items] == [item["id"] for item in rest["items"]] and len(listed.items) >= 1,
                  f"ListTransactions by address equals the REST page ({len(listed.items)} transactions)")
    stats = stub.GetStats(pb.GetStatsRequest(), metadata=admin, timeout=10)
    results.check(stats.stored["transactions"] > 0 and "transactions" in stats.log, "GetStats: stored rows and the log per topic")
    events = []
    for event in stub.Watch(pb.WatchRequest(after="0-0"), metadata=metadata(tokens["auditor"]), timeout=20):
        events.append(event)
        if len(events) == 30:
            break
    positions = [tuple(int(part) for part in event.position.split("-")) for event in events]
    results.check(len(events) == 30 and positions == sorted(positions) and all(event.HasField("transaction") for event in events[:5]),
                  "Watch streams stored transactions in order from a position")
    resumed = next(iter(stub.Watch(pb.WatchRequest(after=events[9].position), metadata=admin, timeout=20)))
    results.check(resumed.position == events[10].position, "Watch resumes right after the position it is given")
    bad = [status_of(lambda: stub.ListTransactions(pb.ListTransactionsRequest(cursor="nonsense"), metadata=admin, timeout=10)),
           status_of(lambda: next(iter(stub.Watch(pb.WatchRequest(after="1-2-3-4"), metadata=admin, timeout=10)))),
           status_of(lambda: stub.ListTransactions(pb.ListTransactionsRequest(limit=5000), metadata=admin, timeout=10)),
           status_of(lambda: stub.GetTransaction(pb.GetTransactionRequest(id="' OR 1=1 --"), metadata=admin, timeout=10)),
           status_of(lambda: stub.GetTransaction(pb.GetTransactionRequest(id="x" * 40_000), metadata=admin, timeout=10))]
    results.check(bad[:4] == ["INVALID_ARGUMENT", "INVALID_ARGUMENT", "INVALID_ARGUMENT", "NOT_FOUND"] and bad[4] not in ("OK", "INTERNAL", "UNKNOWN"),
                  f"bad gRPC input: bad cursor, bad position, limit too large, SQL in an id, a 40 KB message ({bad})")

    def recorded(**query):
        status, found = call(port, "/api/v1/audit/records?" + urllib.parse.urlencode(query), auth=False, headers=headers_for(tokens["admin"]))
        return found.get("items", []) if status == 200 else []
    wait_until(lambda: recorded(action="grpc.csic.v1.QueryService/GetStats", actor="vasp1"), 30)
    denied = recorded(action="grpc.csic.v1.QueryService/GetStats", actor="vasp1")
    results.check(denied and denied[0]["record"]["outcome"] == "denied" and denied[0]["record"]["details"].get("rule") == "stats.read",
                  "a denied gRPC call is in the audit trail with its actor, rule and decision")
    # The analyst's query by address (the matrix's own ListTransactions call by the analyst has none).
    wait_until(lambda: recorded(action="grpc.csic.v1.QueryService/ListTransactions", actor="ana", q=address), 30)
    mine = recorded(action="grpc.csic.v1.QueryService/ListTransactions", actor="ana", q=address)
    proven = stub.GetAuditRecord(pb.GetAuditRecordRequest(id=mine[0]["record"]["id"]), metadata=metadata(tokens["auditor"]), timeout=10) if mine else None
    results.check(proven is not None and proven.record.actor == "ana" and address in proven.record.details["request"]
                  and proven.tree_size > proven.leaf_index and len(proven.inclusion_proof) > 0 and proven.checkpoint,
                  "GetAuditRecord: the analyst's gRPC query is on record with its request, with an inclusion proof and checkpoint")


def jwt_attacks(results, port, data_dir, tokens):
    forge = Forge(os.path.join(data_dir, "auth", "keys"))
    now = int(time.time())
    good = forge.signed(forge.claims())
    code, _ = call(port, "/api/v1/stats", auth=False, headers=headers_for(good))
    results.check(code == 200, f"a token signed with the platform's key and valid claims is accepted ({code})")
    head, body, signature = tokens["analyst"].split(".")
    hs_head = forge.encode({"alg": "HS256", "typ": "at+jwt", "kid": forge.kid})
    hs_body = forge.encode(forge.claims())
    hs_signature = b64url(hmac.new(forge.public, f"{hs_head}.{hs_body}".encode(), hashlib.sha256).digest())
    flipped = bytearray(unb64url(signature))
    flipped[0] ^= 1
    payload = json.loads(unb64url(body))
    payload["role"], payload["sub"] = "admin", ADMIN_USER
    attacks = {
        "alg none": (forge.encode({"alg": "none", "typ": "at+jwt", "kid": forge.kid}) + "." + forge.encode(forge.claims()) + ".",
                     "algorithm_not_allowed"),
        "HS256 signed with the public key": (f"{hs_head}.{hs_body}.{hs_signature}", "algorithm_not_allowed"),
        "expired": (forge.signed(forge.claims(exp=now - 120)), "expired"),
        "not yet valid": (forge.signed(forge.claims(nbf=now + 300)), "not_yet_valid"),
        "wrong aud": (forge.signed(forge.claims(aud=["another-api"])), "wrong_audience"),
        "wrong iss": (forge.signed(forge.claims(iss="https://attacker.example")), "wrong_issuer"),
        "tampered payload": (f"{head}.{forge.encode(payload)}.{signature}", "bad_signature"),
        "tampered signature": (f"{head}.{body}.{b64url(bytes(flipped))}", "bad_signature"),
        "unknown kid": (forge.signed(forge.claims(), {"alg": "EdDSA", "typ": "at+jwt", "kid": "00112233aabbccdd"}), "unknown_key"),
    }
    refused = {name: call(port, "/api/v1/stats", auth=False, headers=headers_for(token))[0] for name, (token, _) in attacks.items()}
    results.check(all(code == 401 for code in refused.values()), f"forged and stale tokens get 401: {refused}")

    def recorded():
        _, found = call(port, "/api/v1/audit/records?action=http.GET%20/api/v1/stats&outcome=denied&limit=500")
        return {item["record"]["details"].get("credential_rejected") for item in found.get("items", [])} if isinstance(found, dict) else set()
    reasons = {reason for _, reason in attacks.values()}
    results.check(wait_until(lambda: reasons <= recorded(), 30),
                  f"each refusal is audited as denied with its reason ({sorted(reasons - recorded())} missing)")


def audit_paging(results, port, tokens):
    """The audit search walked three records a page by its cursor, both ways, equals one page of all of them."""
    def page(**query):
        query = urllib.parse.urlencode({"action": "http.GET /api/v1/stats", "outcome": "denied", **query}, quote_via=urllib.parse.quote)
        status, found = call(port, "/api/v1/audit/records?" + query, auth=False, headers=headers_for(tokens["auditor"]))
        return found if status == 200 else {}
    time.sleep(2)  # the newest checkpoint covers the refusals above by now
    whole = [item["leaf_index"] for item in page(limit=500).get("items", [])]
    walked = {}
    for sort in ("-time", "time"):
        indexes, cursor = [], None
        for _ in range(200):
            found = page(limit=3, sort=sort, **({"cursor": cursor} if cursor else {}))
            indexes += [item["leaf_index"] for item in found.get("items", [])]
            cursor = found.get("next_cursor")
            if not cursor:
                break
        walked[sort] = indexes
    results.check(len(whole) >= 9 and walked["-time"] == whole and walked["time"] == whole[::-1],
                  f"audit search pages by cursor newest and oldest first equal one whole page ({len(whole)} records)")
    bad = [call(port, "/api/v1/audit/records?" + query, auth=False, headers=headers_for(tokens["auditor"]))
           for query in ("cursor=abc", "sort=newest", "cursor=1&cursor=2")]
    results.check([(status, answer.get("code")) for status, answer in bad] == [(400, "invalid_cursor"), (400, "invalid_parameter"), (400, "repeated_parameter")],
                  f"a bad audit cursor or sort, or a repeated parameter, is a 400 ({[status for status, _ in bad]})")


def refresh_rotation(results, port):
    first = sign_in(port, "ana", PASSWORD)[1]
    code, second = call(port, "/api/v1/auth/refresh", body={"refresh_token": first["refresh_token"]}, auth=False)
    results.check(code == 200 and second.get("refresh_token") != first["refresh_token"], "a refresh token gives a new pair")
    reuse, _ = call(port, "/api/v1/auth/refresh", body={"refresh_token": first["refresh_token"]}, auth=False)
    after, _ = call(port, "/api/v1/auth/refresh", body={"refresh_token": second.get("refresh_token", "")}, auth=False)
    results.check(reuse == 401 and after == 401, f"reusing a refresh token is refused and revokes its family ({reuse}, {after})")
    third = sign_in(port, "ana", PASSWORD)[1]
    out, _ = call(port, "/api/v1/auth/logout", body={"refresh_token": third["refresh_token"]}, auth=False)
    gone, _ = call(port, "/api/v1/auth/refresh", body={"refresh_token": third["refresh_token"]}, auth=False)
    results.check(out == 204 and gone == 401, f"logout revokes the refresh token ({out}, {gone})")


def sign_in_answers(results, port, tokens):
    unknown = [sign_in(port, "no-such-user", "whatever password") for _ in range(1)]
    wrong = [sign_in(port, "aud", "not the password at all") for _ in range(1)]
    results.check(unknown[0] == wrong[0] and unknown[0][0] == 401,
                  f"an unknown user and a wrong password get the same answer: {unknown[0]} / {wrong[0]}")

    def timed(name, password):
        started = time.perf_counter()
        sign_in(port, name, password)
        return time.perf_counter() - started
    unknown_times, wrong_times = [], []
    for n in range(6):
        unknown_times.append(timed(f"ghost-{n}", "whatever password"))
        wrong_times.append(timed("ana" if n % 2 else "sup", "not the password at all"))
    a, b = statistics.median(unknown_times), statistics.median(wrong_times)
    results.check(abs(a - b) < 0.3 * max(a, b), f"and the same time: median {a * 1000:.1f} ms unknown, {b * 1000:.1f} ms wrong password")

    for _ in range(3):
        sign_in(port, "locked", "not the password at all")
    locked = sign_in(port, "locked", PASSWORD)
    results.check(locked[0] == 401 and locked[1].get("code") == "invalid_credentials",
                  "after 3 wrong passwords the right one is refused too (lock-out), with the same answer")

    code, enrolled = call(port, "/api/v1/users/aud/totp", body={}, auth=False, headers=headers_for(tokens["admin"]))
    secret = enrolled.get("secret", "") if code == 200 else ""
    without = sign_in(port, "aud", PASSWORD)
    wrong_code = sign_in(port, "aud", PASSWORD, totp="000000" if totp(secret) != "000000" else "111111")
    right = sign_in(port, "aud", PASSWORD, totp=totp(secret))
    results.check(code == 200 and without[1].get("code") == "totp_required" and wrong_code[0] == 401 and right[0] == 200,
                  f"TOTP: required once enrolled, a wrong code refused, the right one accepted ({without[0]}, {wrong_code[0]}, {right[0]})")

    before = call(port, "/api/v1/auth/me", auth=False, headers=headers_for(tokens["supervisor"]))[0]
    disabled = call(port, "/api/v1/users/sup/disable", body={}, auth=False, headers=headers_for(tokens["admin"]))[0]
    after = call(port, "/api/v1/auth/me", auth=False, headers=headers_for(tokens["supervisor"]))[0]
    results.check(before == 200 and disabled == 204 and after == 401, f"a disabled user's token stops working ({before}, {disabled}, {after})")


def hostile_input(results, port, tokens):
    admin = headers_for(tokens["admin"])
    _, stats = call(port, "/api/v1/stats", auth=False, headers=admin)
    before = stats.get("stored", {}).get("transactions", 0)
    _, index = call(port, "/", auth=False)
    values = ["' OR '1'='1", "'; DROP TABLE transactions; --", "\" OR 1=1 --", "%27%20OR%201%3D1", "x" * 10_000, "\u00e9\u4e2d\U0001F600"]
    statuses, server_errors = {}, []
    for route in index.get("routes", []):
        if route["method"] != "GET" or not route["query"]:
            continue
        for parameter in route["query"]:
            for value in values:
                code, _ = call(port, f"{route['path']}?{parameter}={urllib.parse.quote(value)}", auth=False, headers=admin)
                statuses[code] = statuses.get(code, 0) + 1
                if code >= 500 or code in (401, 403):
                    server_errors.append(f"{route['path']}?{parameter}: {code}")
    results.check(not server_errors and statuses,
                  f"SQL injection and oversized values on every string filter: no 5xx ({statuses}; refused or failed: {server_errors[:5]})")
    _, stats = call(port, "/api/v1/stats", auth=False, headers=admin)
    results.check(stats.get("stored", {}).get("transactions", 0) >= before, "and the store is intact")
    code, answer = call(port, "/api/v1/transactions?limit=5&colour=red", auth=False, headers=admin)
    results.check(code == 400 and answer.get("code") == "unknown_parameter", "an unknown query parameter is a 400")
    code, answer = call(port, "/api/v1/users", body={"username": "u", "role": "analyst", "password": PASSWORD, "admin": True},
                        auth=False, headers=admin)
    results.check(code == 400 and answer.get("code") == "unknown_field", "an unknown JSON field is a 400")
    code, _ = call(port, "/api/v1/auth/token", body=b"{\"username\": \"" + b"a" * 40_000 + b"\"}", auth=False)
    results.check(code == 413, f"a body over the limit is refused ({code})")


def read_events(port, token, last_event_id=None, count=20, timeout=20):
    """(status, [(id, event)]) of the first `count` events of GET /api/v1/events."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = headers_for(token)
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    connection.request("GET", "/api/v1/events", headers=headers)
    response = connection.getresponse()
    found, block = [], {}
    if response.status != 200:
        connection.close()
        return response.status, found
    deadline = time.time() + timeout
    while len(found) < count and time.time() < deadline:
        line = response.fp.readline().decode().rstrip("\n")
        if not line:
            if "id" in block and "event" in block:
                found.append((block["id"], block["event"]))
            block = {}
            continue
        name, _, value = line.partition(": ")
        block[name] = value
    connection.close()
    return 200, found


def live_feed(results, port, tokens):
    status, first = read_events(port, tokens["analyst"], last_event_id="0-0", count=30)
    results.check(status == 200 and len(first) == 30 and all(event == "transaction" for _, event in first[:5]),
                  f"GET /api/v1/events streams stored transactions as server-sent events ({status}, {len(first)})")
    if len(first) < 30:
        return
    status, resumed = read_events(port, tokens["analyst"], last_event_id=first[9][0], count=10)
    results.check([event_id for event_id, _ in resumed] == [event_id for event_id, _ in first[10:20]],
                  f"reconnecting with Last-Event-ID {first[9][0] if first else '?'} resumes right after it")
    status, live = read_events(port, tokens["analyst"], count=2, timeout=20)
    results.check(status == 200 and len(live) == 2 and int(live[0][0].split("-")[0]) > int(first[-1][0].split("-")[0]),
                  f"without Last-Event-ID it streams what is stored from now on ({live[:1]})")
    results.check(read_events(port, "")[0] == 401 and read_events(port, keys_for_feed(tokens))[0] == 403,
                  "the feed needs a token of a role that may read it")


def keys_for_feed(tokens):
    return tokens.get("reporting_entity_key", "")


def throttling(results, port):
    codes = []
    retry_after = None
    for _ in range(80):
        code, answer = sign_in(port, "ghost", "whatever password")
        codes.append(code)
        if code == 429:
            retry_after = answer
            break
    results.check(codes[-1] == 429 and isinstance(retry_after, dict) and retry_after.get("code") == "rate_limited",
                  f"sign-ins from one address are throttled: 429 after {len(codes)} attempts")


def demo_password_is_printed(args, results, work):
    process = subprocess.Popen([args.binary, "demo", "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0", "--data-dir", os.path.join(work, "demo"),
                                "--duration", "30"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port, password = None, None
    deadline = time.time() + 60
    while time.time() < deadline and (port is None or password is None):
        line = process.stdout.readline()
        if not line:
            break
        port = port or (re.search(r"http://127\.0\.0\.1:(\d+)/", line) and int(re.search(r"http://127\.0\.0\.1:(\d+)/", line).group(1)))
        found = re.search(r"password (\S+) \(printed only now\)", line)
        password = password or (found and found.group(1))
    signed = sign_in(port, "admin", password)[0] if port and password else 0
    process.terminate()
    process.wait(timeout=30)
    results.check(signed == 200, f"csic demo without --admin-password prints a random admin password once, and it signs in ({signed})")


if __name__ == "__main__":
    sys.exit(main())
