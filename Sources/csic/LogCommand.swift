import ArgumentParser
import CSICCore
import CSICPlatform
import EventLog
import Foundation
import StreamRuntime

/// `csic log ...`: inspect the embedded event log, and repair a damaged partition knowingly.
struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "Inspect and repair the embedded event log.", subcommands: [Stats.self, Repair.self])

    /// `csic log stats`: topics, offsets and consumer lag, read-only.
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print topics, partitions, offsets, sizes and group lag.")

        @Option(name: .customLong("data-dir"), help: "The data directory.") var dataDirectory: String = "./csic-data"

        func run() async throws {
            let inspection = try LogInspection(directory: "\(dataDirectory)/log")
            print(LogStatsReport(inspection).text, terminator: "")
        }
    }

    /// `csic log repair`: for a stopped platform. Each damaged stretch is recorded in the audit trail before
    /// anything changes (a repair that cannot be audited does not run) and what was done after.
    struct Repair: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Repair damaged partitions of a stopped log: damaged bytes to quarantine, placeholders keep their offsets; audited.")

        @Option(name: .customLong("data-dir"), help: "The data directory.") var dataDirectory: String = "./csic-data"

        func run() async throws {
            let directory = "\(dataDirectory)/log"
            let actor = "operator:" + (ProcessInfo.processInfo.environment["USER"] ?? "unknown")
            let before = try EmbeddedEventLog(directory: directory)
            let damage = await before.damage()
            guard !damage.isEmpty else {
                try await before.close()
                print("nothing to repair")
                return
            }
            for place in damage {
                try await before.appendAudit(
                    .system(actor: actor, action: "log.repair", resource: "log", details: ["phase": "attempt", "damage": place]))
            }
            try await before.close()
            let actions = try LogRepair.repair(directory: directory)
            let after = try EmbeddedEventLog(directory: directory)
            for action in actions {
                print(action)
                try await after.appendAudit(
                    .system(
                        actor: actor, action: "log.repair", resource: "log/\(action.topic)/\(action.partition)",
                        details: [
                            "phase": "outcome", "segment": action.segment, "damaged_at": "\(action.damagedAt)",
                            "damaged_bytes": "\(action.damagedBytes)",
                            "placeholder_offsets": "\(action.lostOffsets.lowerBound)..<\(action.lostOffsets.upperBound)",
                            "quarantine": action.quarantine ?? "none", "reason": action.reason,
                        ]))
            }
            try await after.close()
        }
    }
}
