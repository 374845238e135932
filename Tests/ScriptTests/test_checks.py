"""Tests of the house-rule checks (scripts/check-format, scripts/check-imports): each passes on a clean tree
and fails, naming the place, on a violation."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def write(root, path, text):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as handle:
        handle.write(text)


def run(*command):
    return subprocess.run(command, capture_output=True, text=True)


class FormatCheckTests(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="csic-format-")
        shutil.copy(os.path.join(ROOT, ".swift-format"), self.root)
        write(self.root, "Sources/Core/Sample/Good.swift", "/// A value.\npublic struct Good {\n    public var value: Int\n}\n")

    def tearDown(self):
        shutil.rmtree(self.root)

    def test_a_formatted_tree_passes(self):
        result = run(os.path.join(ROOT, "scripts/check-format"), self.root)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_a_misformatted_file_fails_and_is_named(self):
        write(self.root, "Sources/Core/Sample/Bad.swift", "struct Bad {\n  var value:Int\n}\n")
        result = run(os.path.join(ROOT, "scripts/check-format"), self.root)
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("Bad.swift", result.stdout)

    def test_a_line_over_140_characters_fails(self):
        long_call = "let total = [" + ", ".join(str(n) for n in range(60)) + "]"
        write(self.root, "Sources/Core/Sample/Long.swift", "func sum() -> Int {\n    " + long_call + "\n    return total.count\n}\n")
        result = run(os.path.join(ROOT, "scripts/check-format"), self.root)
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("Long.swift", result.stdout)


class ImportCheckTests(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="csic-imports-")
        self.targets = {
            "CSICCore": ("Sources/Core/CSICCore", []),
            "CSICProtos": ("Sources/Core/CSICProtos", ["CSICCore"]),
            "EventLog": ("Sources/MessageQueue/EventLog", ["CSICCore"]),
            "AuditTrail": ("Sources/Processing/AuditTrail", ["CSICCore", "EventLog"]),
            "Adapters": ("Sources/Ingestion/Adapters", ["CSICCore", "EventLog"]),
            "APIGateway": ("Sources/Services/APIGateway", ["CSICCore", "EventLog"]),
        }
        self.imports = {
            "CSICCore": ["Foundation"],
            "CSICProtos": ["CSICCore"],
            "EventLog": ["CSICCore", "Glibc"],
            "AuditTrail": ["CSICCore", "EventLog"],
            "Adapters": ["CSICCore", "EventLog"],
            "APIGateway": ["CSICCore", "EventLog"],
        }

    def tearDown(self):
        shutil.rmtree(self.root)

    def check(self):
        manifest = {"targets": []}
        for name, (path, dependencies) in self.targets.items():
            manifest["targets"].append({
                "name": name, "path": path, "type": "regular",
                "dependencies": [{"byName": [dependency, None]} for dependency in dependencies],
            })
            write(self.root, f"{path}/{name}.swift", "".join(f"import {module}\n" for module in self.imports[name]) + "struct Placeholder {}\n")
        manifest_file = os.path.join(self.root, "manifest.json")
        with open(manifest_file, "w", encoding="utf-8") as handle:
            json.dump(manifest, handle)
        return run(os.path.join(ROOT, "scripts/check-imports"), self.root, "--manifest", manifest_file)

    def test_a_downward_graph_passes(self):
        result = self.check()
        self.assertEqual(result.returncode, 0, result.stdout)

    def test_an_upward_import_fails(self):
        self.targets["EventLog"][1].append("AuditTrail")
        self.imports["EventLog"].append("AuditTrail")
        result = self.check()
        self.assertEqual(result.returncode, 1)
        self.assertIn("EventLog (MessageQueue) imports AuditTrail (Processing), a higher layer", result.stdout)

    def test_an_engine_importing_an_engine_fails(self):
        self.targets["AuditTrail"][1].append("Adapters")
        self.imports["AuditTrail"].append("Adapters")
        result = self.check()
        self.assertEqual(result.returncode, 1)
        self.assertIn("imports its peer Adapters", result.stdout)

    def test_the_gateway_importing_an_engine_fails(self):
        self.targets["APIGateway"][1].append("AuditTrail")
        self.imports["APIGateway"].append("AuditTrail")
        result = self.check()
        self.assertEqual(result.returncode, 1)
        self.assertIn("imports the engine AuditTrail", result.stdout)

    def test_an_undeclared_import_fails(self):
        self.imports["Adapters"].append("NIOCore")
        result = self.check()
        self.assertEqual(result.returncode, 1)
        self.assertIn("imports NIOCore, which Adapters does not declare", result.stdout)


if __name__ == "__main__":
    unittest.main()
