import ArgumentParser
import AuditTrail
import CSICCore
import EventLog
import Foundation
import StreamRuntime

/// `csic audit ...`: proofs and verification of the audit trail, read-only.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Verify the audit trail and print proofs anyone can check.",
        subcommands: [Verify.self, Proof.self, Consistency.self, CheckpointCommand.self, RotateKey.self, Repair.self])

    struct Location: ParsableArguments {
        @Option(name: .customLong("data-dir"), help: "The data directory.") var dataDirectory: String = "./csic-data"
        @Option(help: "The checkpoint origin (and key name) of the log.") var origin: String = AuditDefaults.origin

        func open() throws -> AuditLog {
            try AuditLog(directory: "\(dataDirectory)/audit", settings: .init(origin: origin, readOnly: true))
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-verify the whole audit trail; exit 1 and name the first problem if any.")
        @Option(name: .customLong("data-dir"), help: "The data directory.") var dataDirectory: String = "./csic-data"
        @Option(help: "The mirror directory the log is copied to, to compare.") var mirror: String?
        @Option(help: "Report entries newer than the last checkpoint by more than this.") var checkpointInterval: UInt64?
        @Option(
            name: .customLong("key"), help: "A verifier key of the log to trust (repeatable); without it, the keys in the data directory.")
        var keys: [String] = []
        @Option(name: .customLong("trusted-checkpoint"), help: "A signed checkpoint kept outside the data directory (repeatable).")
        var trustedCheckpoints: [String] = []
        @Option(name: .customLong("witness-key"), help: "A witness's cosignature verifier key (repeatable).") var witnessKeys: [String] = []
        @Option(name: .customLong("witness"), help: "A witness URL: its latest cosigned checkpoint of this log is pinned (repeatable).")
        var witnesses: [String] = []
        @Option(help: "The checkpoint origin of the log (for --witness).") var origin: String = AuditDefaults.origin
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            var trust = AuditVerifier.Trust(
                logKeys: keys.isEmpty ? nil : try keys.map { try NoteVerifier(verifierKey: $0) },
                pinned: try trustedCheckpoints.map { path in
                    (path, String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self))
                },
                witnessKeys: try witnessKeys.map { try CosignatureVerifier(verifierKey: $0) })
            if !witnesses.isEmpty, trust.witnessKeys.isEmpty { throw ValidationError("--witness needs the witness's --witness-key") }
            for url in witnesses {
                guard let note = try await WitnessClient.latest(url: url, origin: origin) else {
                    throw ValidationError("\(url) has cosigned no checkpoint of \(origin)")
                }
                trust.pinned.append(("\(url)/latest", note))
            }
            let started = ContinuousClock.now
            let report = AuditVerifier(
                directory: "\(dataDirectory)/audit", mirror: mirror, checkpointInterval: checkpointInterval, trust: trust
            ).verify()
            let seconds = (ContinuousClock.now - started).seconds
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(
                    "entries \(report.entries), segments \(report.segments), checkpoints \(report.checkpoints), \(Int(Double(report.entries) / max(seconds, 1e-9))) entries/s"
                )
                print("trust: \(report.trust)")
                if let tail = report.unacknowledgedTail { print("note: \(tail)") }
                for problem in report.problems { print("PROBLEM: \(problem)") }
                print(report.ok ? "audit trail verified" : "audit trail FAILED verification")
            }
            if !report.ok { throw ExitCode(1) }
        }
    }

    struct Proof: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a record's inclusion proof against the newest signed checkpoint.")
        @OptionGroup var location: Location
        @Argument(help: "The audit record's id (or, with --index, its leaf index).") var record: String
        @Flag(help: "Treat the argument as a leaf index.") var index = false
        @Flag(help: "Print JSON (the default form).") var json = false

        func run() async throws {
            let log = try location.open()
            let leafIndex: UInt64
            if index {
                guard let parsed = UInt64(record) else { throw ValidationError("\(record) is not a leaf index") }
                leafIndex = parsed
            } else {
                let indexed = try? AuditIndex(path: "\(location.dataDirectory)/audit/index.sqlite", readOnly: true).index(ofRecord: record)
                guard let found = try indexed ?? log.index(ofRecord: record) else { throw ValidationError("no audit record \(record)") }
                leafIndex = found
            }
            try AuditDefaults.printJSON(try log.proof(index: leafIndex))
        }
    }

    struct Consistency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the consistency proof between two tree sizes.")
        @OptionGroup var location: Location
        @Argument var oldSize: UInt64
        @Argument var newSize: UInt64
        @Flag(help: "Print JSON (the default form).") var json = false

        func run() async throws {
            try AuditDefaults.printJSON(try location.open().consistency(old: oldSize, new: newSize))
        }
    }

    struct CheckpointCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint", abstract: "Print the newest signed checkpoint and the verifier key.")
        @OptionGroup var location: Location

        func run() async throws {
            let log = try location.open()
            guard let (_, note) = try log.latestCheckpoint() else { throw ValidationError("no checkpoint yet") }
            print(note, terminator: "")
            print("verifier key: \(log.verifierKey)")
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract:
                "Make a new checkpoint signing key; the old public key stays for verifying older checkpoints. Restart csic serve to use it."
        )
        @OptionGroup var location: Location
        @Option(
            name: .customLong("signing-key"), help: "The signing key's file when it lives outside the data directory (audit.signing_key).")
        var signingKey: String?

        func run() async throws {
            let signer = try AuditKeys.rotate(in: "\(location.dataDirectory)/audit/keys", name: location.origin, path: signingKey)
            print("new verifier key: \(signer.verifier.verifierKey)")
        }
    }

    /// `csic audit repair`: for a stopped platform whose audit log does not open (damage in one copy). Each
    /// file is restored from its intact copy (the old copy kept in quarantine); audited before and after.
    struct Repair: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore damaged or missing audit files from the intact copy (primary or mirror) of a stopped log; audited.")
        @Option(name: .customLong("data-dir"), help: "The data directory.") var dataDirectory: String = "./csic-data"
        @Option(help: "The mirror directory (audit.mirror_dir).") var mirror: String

        func run() async throws {
            let actor = "operator:" + (ProcessInfo.processInfo.environment["USER"] ?? "unknown")
            let log = try EmbeddedEventLog(directory: "\(dataDirectory)/log")
            let before = AuditVerifier(directory: "\(dataDirectory)/audit", mirror: mirror).verify()
            try await log.appendAudit(
                .system(
                    actor: actor, action: "audit.repair", resource: "audit",
                    details: ["phase": "attempt", "mirror": mirror, "problems": before.problems.joined(separator: "\n")]))
            let outcome = try AuditRepair.repair(directory: "\(dataDirectory)/audit", mirror: mirror)
            for action in outcome.actions {
                print(action)
                try await log.appendAudit(
                    .system(
                        actor: actor, action: "audit.repair", resource: "audit",
                        details: [
                            "phase": "outcome", "file": action.file, "source": action.source, "quarantine": action.quarantine ?? "none",
                            "reason": action.reason,
                        ]))
            }
            try await log.close()
            for problem in outcome.unresolved { print("UNRESOLVED: \(problem)") }
            if outcome.actions.isEmpty, outcome.unresolved.isEmpty { print("nothing to repair") }
            if !outcome.unresolved.isEmpty { throw ExitCode(1) }
        }
    }
}
