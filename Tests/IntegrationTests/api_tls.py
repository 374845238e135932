#!/usr/bin/env python3
"""The API over TLS on the real binary over loopback: `csic serve` with `http.tls_certificate` and `http.tls_key`
(a certificate made now for 127.0.0.1) serves REST over HTTPS with HSTS and gRPC over TLS on the same
certificate; a client that trusts the certificate signs in and queries both; plain HTTP and plaintext gRPC
on the TLS ports get nothing; a client that does not trust it is refused the handshake; a key file that is
missing keeps `csic serve` from starting, with a message naming it."""
import argparse
import datetime
import http.client
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

sys.path.insert(0, os.path.dirname(__file__))
from csic_process import ADMIN_PASSWORD, ADMIN_USER, Results, Serve, free_port, wait_until  # noqa: E402
from grpc_client import load_stubs, metadata, status_of  # noqa: E402
import grpc  # noqa: E402


def make_certificate(directory):
    """A self-signed P-256 certificate for 127.0.0.1 and localhost: (certificate path, key path)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "csic test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    certificate_path, key_path = os.path.join(directory, "tls.crt"), os.path.join(directory, "tls.key")
    with open(certificate_path, "wb") as out:
        out.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    os.chmod(key_path, 0o600)
    return certificate_path, key_path


def https(port, context, path, body=None, token=None):
    """(status, headers, decoded JSON or text) of a request over TLS; status 0 and the error when it fails."""
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    headers = {"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})}
    try:
        connection.request("POST" if body is not None else "GET", path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        try:
            return response.status, response.headers, json.loads(text)
        except ValueError:
            return response.status, response.headers, text
    except (OSError, http.client.HTTPException) as error:
        return 0, {}, str(error)
    finally:
        connection.close()


def plain_http_status(port):
    """The status plain HTTP gets from the port, 0 when the exchange fails."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        connection.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    results = Results()
    with tempfile.TemporaryDirectory() as work:
        certificate, key = make_certificate(work)
        port, grpc_port = free_port(), free_port()

        def configure(name, key_path):
            config = os.path.join(work, name)
            with open(config, "w") as out:
                out.write(f"data_dir: {os.path.join(work, 'data')}\n"
                          f"http: {{ host: 127.0.0.1, port: {port}, tls_certificate: {certificate}, tls_key: {key_path} }}\n"
                          f"grpc: {{ port: {grpc_port} }}\nsimulator: {{ enabled: true, rate: 100, seed: 3 }}\n"
                          "auth: { bcrypt_cost: 10 }\n")
            return config

        missing = configure("missing-key.yaml", os.path.join(work, "no-such.key"))
        Serve(args.binary, missing, os.path.join(work, "missing.log")).provision_admin()
        refused = subprocess.run([args.binary, "serve", "--config", missing], capture_output=True, text=True, timeout=120)
        results.check(refused.returncode != 0 and "no-such.key" in refused.stdout + refused.stderr,
                      f"csic serve with a missing TLS key does not start and names the file (exit {refused.returncode})")

        server = Serve(args.binary, configure("csic.yaml", key), os.path.join(work, "csic.log"))
        server.start()
        trusted = ssl.create_default_context(cafile=certificate)
        try:
            if not wait_until(lambda: https(port, trusted, "/health")[0] == 200, 60):
                results.check(False, "csic serve came up over TLS")
                return results.finish("api_tls")
            status, headers, _ = https(port, trusted, "/health")
            results.check(status == 200 and "max-age=" in (headers.get("Strict-Transport-Security") or ""),
                          f"HTTPS /health answers with HSTS ({headers.get('Strict-Transport-Security')})")
            status, _, grant = https(port, trusted, "/api/v1/auth/token", body={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
            token = grant.get("access_token", "") if isinstance(grant, dict) else ""
            results.check(status == 200 and token, f"sign-in over HTTPS gives a token ({status})")
            status, _, stats = https(port, trusted, "/api/v1/stats", token=token)
            results.check(status == 200 and "stored" in stats, f"an authorized query over HTTPS ({status})")
            status, _, _ = https(port, trusted, "/api/v1/stats")
            results.check(status == 401, f"the same query over HTTPS without a token is refused ({status})")
            results.check(plain_http_status(port) == 0, "plain HTTP on the TLS port gets no answer")
            untrusted = https(port, ssl.create_default_context(), "/health")
            results.check(untrusted[0] == 0 and "CERTIFICATE_VERIFY_FAILED" in untrusted[2],
                          f"a client that does not trust the certificate fails the handshake ({untrusted[2][:80]})")

            pb, rpc = load_stubs()
            secure = grpc.secure_channel(f"127.0.0.1:{grpc_port}", grpc.ssl_channel_credentials(root_certificates=open(certificate, "rb").read()))
            stub = rpc.QueryServiceStub(secure)
            answer = stub.GetStats(pb.GetStatsRequest(), metadata=metadata(token), timeout=10)
            results.check("transactions" in answer.log, "gRPC over TLS: GetStats with the token")
            denied = status_of(lambda: stub.GetStats(pb.GetStatsRequest(), timeout=10))
            results.check(denied == "UNAUTHENTICATED", f"gRPC over TLS without a token ({denied})")
            plaintext = rpc.QueryServiceStub(grpc.insecure_channel(f"127.0.0.1:{grpc_port}"))
            refused = status_of(lambda: plaintext.GetStats(pb.GetStatsRequest(), metadata=metadata(token), timeout=5))
            results.check(refused == "UNAVAILABLE", f"plaintext gRPC on the TLS port is refused ({refused})")
        finally:
            server.stop()
    return results.finish("api_tls")


if __name__ == "__main__":
    sys.exit(main())
