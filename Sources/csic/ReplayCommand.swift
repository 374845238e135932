import ArgumentParser
import CSICCore
import CSICPlatform
import Foundation
import TransactionAnalysis

/// `csic replay`: the analysis re-run over the stored `transactions` log with the configured rules, model and the
/// tag lists in force, on a stopped platform; reports what changed and, with `--apply`, writes it (audited).
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-run the analysis over the stored transactions log (new rules, model, lists) and report what changed.",
        discussion: """
            Starts with empty windows and clustering at --from: from offset 0 it sees what the live risk engine saw. \
            Without --apply nothing is written. With --apply the new findings are published on `compliance` (the \
            alert service raises their alerts when the platform runs), assessments by a model version not yet \
            stored for their transaction are recorded, and the replay is an audit record (analysis.replay). Findings \
            no longer made are listed for review, never withdrawn.
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: "The topic replayed (the risk engine reads transactions).") var topic: String = Topic.transactions.rawValue
    @Option(help: "The first offset replayed, in every partition.") var from: Int64 = 0
    @Option(help: "Stop before this offset, in every partition (default: the end).") var to: Int64?
    @Flag(help: "Publish the new findings and record the new assessments (audited).") var apply = false
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Findings listed per kind (new, gone) in the text report.") var show: Int = 20

    func validate() throws {
        guard topic == Topic.transactions.rawValue else { throw ValidationError("only the transactions topic is analysed") }
        guard from >= 0 else { throw ValidationError("--from must be 0 or more") }
        if let to, to < from { throw ValidationError("--to must not be below --from") }
        guard show >= 0 else { throw ValidationError("--show must be 0 or more") }
    }

    func run() async throws {
        try await store.withPlatform { platform in
            let (replay, analysis) = try Self.replay(on: platform)
            let report = try await replay.run(from: from, to: to, apply: apply, by: StoreOptions.origin)
            if json {
                let encoder = JSONEncoder()
                encoder.keyEncodingStrategy = .convertToSnakeCase
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(Self.text(report, analysis: analysis, show: show))
            }
        }
    }

    /// The replay of `platform`'s log with its configured analysis.
    static func replay(on platform: Platform) throws -> (AnalysisReplay, TransactionAnalysisComponent) {
        guard let analysis = platform.components.lazy.compactMap({ $0 as? TransactionAnalysisComponent }).first else {
            throw ValidationError("the platform has no transaction analysis")
        }
        return (analysis.replay(log: platform.log, store: platform.store, database: platform.database), analysis)
    }

    static func text(_ report: AnalysisReplay.Report, analysis: TransactionAnalysisComponent, show: Int) -> String {
        let totals = report.findings.values.reduce(into: AnalysisReplay.Counts()) {
            $0.reproduced += $1.reproduced
            $0.new += $1.new
            $0.gone += $1.gone
        }
        var lines = [
            "replayed \(report.transactions) transactions (\(report.ranges.joined(separator: ", "))), \(report.skippedRecords) records skipped; rules \(analysis.typologies.ruleVersion), model \(analysis.scorer?.version ?? "none")",
            "findings: \(totals.reproduced) reproduced, \(totals.new) new, \(totals.gone) gone",
        ]
        for (typology, counts) in report.findings.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(typology): \(counts.reproduced) reproduced, \(counts.new) new, \(counts.gone) gone")
        }
        for (kind, findings) in [("new", report.newFindings), ("gone", report.goneFindings)] where !findings.isEmpty {
            for finding in findings.prefix(show) {
                lines.append("\(kind) \(finding.typology) \(finding.subject) (\(finding.time.iso8601)): \(finding.summary)")
            }
            if findings.count > show { lines.append("  ... and \(findings.count - show) more \(kind)") }
        }
        let bands = report.bandChanges.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        lines.append(
            "assessments: \(report.assessmentsCompared) compared, \(report.assessmentsChanged) changed\(bands.isEmpty ? "" : " (\(bands))"), "
                + "\(report.assessmentsNew) without a stored one")
        lines.append(
            report.applied
                ? "applied: \(report.newFindings.count) findings published on compliance, \(report.assessmentsRecorded) assessments recorded"
                : "not applied (--apply publishes the new findings and records the assessments of a new model)")
        return lines.joined(separator: "\n")
    }
}
