"""Helpers to run the real `csic` binary as a server and talk to it over HTTP on loopback."""
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request


class CSICProcess:
    """A `csic demo` process; its bound port is read from the line it prints when the server is up."""

    def __init__(self, binary, args, log_path):
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [binary, "demo", "--host", "127.0.0.1", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=self.log, start_new_session=True)
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
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=timeout) as response:
            return response.status, json.loads(response.read())

    def get_text(self, path, timeout=10):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=timeout) as response:
            return response.read().decode()

    def kill(self):
        """SIGKILL: no chance to flush or clean up, like a power cut for the process."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.log.close()

    def terminate(self, timeout=30):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
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

    def start(self, env=None):
        """Starts `csic serve`; `env` adds variables to the environment (LD_PRELOAD for the power-loss layer)."""
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
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        body = response.read()
        return json.loads(body) if path != "/metrics" else body.decode()


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
    """(status, body text) of a GET, errors included; status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, str(error)
