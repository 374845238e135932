"""Helpers to run the real `csic` binary as a server and talk to it over HTTP on loopback."""
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

# The admin every test server has: `csic demo --admin-password`, or `csic user add` before `csic serve`.
ADMIN_USER = "admin"
ADMIN_PASSWORD = "integration-test admin password"
_tokens = {}
_provisioned = set()


def sign_in(port, username=ADMIN_USER, password=ADMIN_PASSWORD, totp=None, timeout=10):
    """(status, answer) of POST /api/v1/auth/token."""
    body = {"username": username, "password": password}
    if totp is not None:
        body["totp"] = totp
    return call(port, "/api/v1/auth/token", body=body, auth=False, timeout=timeout)


def authorization(port, refresh=False):
    """The admin's `Authorization` header for the server on `port`, signing in when there is no token yet."""
    if refresh or port not in _tokens:
        status, answer = sign_in(port)
        if status == 0:
            raise ConnectionError(f"nothing answers on port {port}: {answer}")
        if status != 200:
            raise RuntimeError(f"the admin could not sign in: {status} {answer}")
        _tokens[port] = answer["access_token"]
    return {"Authorization": "Bearer " + _tokens[port]}


def call(port, path, body=None, method=None, auth=True, headers=None, timeout=10, raw=False):
    """(status, decoded JSON or text) of a request to the server on `port`, errors included; status 0 when
    nothing answers. With `auth` it carries the admin's token (signing in again once if it is refused)."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    for attempt in range(2):
        request_headers = {"Content-Type": "application/json", **(headers or {})}
        if auth:
            try:
                request_headers.update(authorization(port, refresh=attempt == 1))
            except ConnectionError as error:
                return 0, str(error)
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method or ("POST" if data is not None else "GET"),
                                         headers=request_headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        except OSError as error:
            return 0, str(error)
        if status == 401 and auth and attempt == 0:
            continue
        break
    if raw:
        return status, text
    try:
        return status, json.loads(text) if text else {}
    except ValueError:
        return status, text


class CSICProcess:
    """A `csic demo` process; its bound port is read from the line it prints when the server is up."""

    def __init__(self, binary, args, log_path, env=None):
        self.log = open(log_path, "ab")
        if "--admin-password" not in args:
            args = [*args, "--admin-password", ADMIN_PASSWORD]
        if "--grpc-port" not in args:
            args = [*args, "--grpc-port", "0"]
        self.process = subprocess.Popen(
            [binary, "demo", "--host", "127.0.0.1", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=self.log, start_new_session=True, env=env)
        self.port = None

    def wait_until_serving(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.process.stdout.readline().decode()
            if not line:
                if self.process.poll() is not None:
                    raise RuntimeError(f"csic exited with {self.process.returncode} before serving")
                continue
            match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            if match:
                self.port = int(match.group(1))
                return self.port
        raise RuntimeError("csic did not start serving in time")

    def get(self, path, timeout=10):
        """(status, JSON) of an authorized GET; raises urllib's HTTPError for an error status, OSError when down."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=authorization(self.port))
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())

    def get_text(self, path, timeout=10):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=authorization(self.port))
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read().decode()

    def kill(self):
        """SIGKILL: no chance to flush or clean up, like a power cut for the process."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.log.close()

    def terminate(self, timeout=30):
        """SIGTERM and the exit code; a process still running after `timeout` is killed (it must not outlive the
        test) and the timeout raised."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise
        finally:
            self.log.close()
        return code


class Results:
    """Counts checks and prints the closing 'N passed, N failed' line."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, condition, message):
        if condition:
            self.passed += 1
            print(f"  ok   {message}", flush=True)
        else:
            self.failed += 1
            print(f"  FAIL {message}", flush=True)

    def finish(self, name):
        print(f"{name}: {self.passed} passed, {self.failed} failed", flush=True)
        return 1 if self.failed else 0


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Serve:
    def __init__(self, binary, config, log_path):
        self.binary, self.config, self.log_path = binary, config, log_path
        self.process = None

    def provision_admin(self):
        """`csic user add admin --role admin` once per configuration (csic serve refuses to run without an admin)."""
        if self.config in _provisioned:
            return
        done = subprocess.run([self.binary, "user", "add", ADMIN_USER, "--role", "admin", "--password-stdin", "--config", self.config],
                              input=ADMIN_PASSWORD + "\n", capture_output=True, text=True, timeout=120)
        if done.returncode != 0 and "already exists" not in done.stdout + done.stderr:
            raise RuntimeError(f"csic user add failed: {done.stdout} {done.stderr}")
        _provisioned.add(self.config)

    def start(self, env=None):
        """Starts `csic serve`; `env` adds variables to the environment (LD_PRELOAD for the power-loss layer)."""
        self.provision_admin()
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([self.binary, "serve", "--config", self.config], stdout=log, stderr=log,
                                        start_new_session=True, env={**os.environ, **(env or {})})

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def get(port, path):
    """The decoded answer of an authorized GET; an error status raises."""
    status, answer = call(port, path, raw=path == "/metrics")
    if status != 200:
        raise urllib.error.HTTPError(f"http://127.0.0.1:{port}{path}", status, str(answer)[:300], None, None)
    return answer


def stored(port):
    """Every stored transaction: txid -> the full view."""
    items, cursor = {}, None
    while True:
        page = get(port, "/api/v1/transactions?limit=500" + (f"&cursor={cursor}" if cursor else ""))
        for item in page["items"]:
            items[item["txid"]] = item
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def wait_until(condition, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if condition():
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def run_csic(binary, *args, timeout=300):
    """Runs a `csic` command to its end: (exit code, stdout + stderr)."""
    done = subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout + done.stderr


def fetch(url, timeout=10):
    """(status, body text) of a GET, errors included; status 0 when nothing answers. A URL of the API of a
    test server on loopback carries the admin's token."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.hostname == "127.0.0.1" and parsed.port and parsed.path.startswith("/api/"):
        return call(parsed.port, url[len(f"{parsed.scheme}://{parsed.netloc}"):], timeout=timeout, raw=True)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, str(error)
