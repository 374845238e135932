import ArgumentParser
import CSICCore
import CSICPlatform
import EventLog
import Foundation
import KafkaEventLog
import StreamRuntime

/// `csic log ...`: inspect the embedded event log, and repair a damaged partition knowingly.
struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "Inspect the event log (embedded or Kafka) and repair the embedded one.",
        subcommands: [Stats.self, Repair.self])

    /// `csic log stats`: topics, offsets and consumer lag, read-only.
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print topics, partitions, offsets, sizes and group lag.")

        @OptionGroup var location: StoreOptions

        func run() async throws {
            let loaded = try await location.load()
            let platform = loaded.platform
            let inspection: LogInspection
            switch platform.logBackend {
            case .embedded:
                inspection = try LogInspection(directory: "\(platform.dataDirectory)/log")
            case .kafka:
                #if Kafka
                    let log = try KafkaEventLog(
                        options: KafkaLogOptions(settings: platform.logKafka, knownGroups: loaded.components.flatMap(\.consumers.keys)))
                    inspection = try await LogInspection(log: log)
                    try await log.close()
                #else
                    throw ValidationError("log.backend: kafka needs a build with the Kafka trait (swift build --traits Kafka)")
                #endif
            }
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
