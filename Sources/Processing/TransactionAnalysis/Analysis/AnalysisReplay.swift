import CSICCore
import CSICProtos
import EventLog
import Storage
import StreamRuntime

/// The analysis re-run over a range of the stored `transactions` log with the rules, model and tag lists in force
/// now (`csic replay`), compared with what the live risk engine stored: findings made now and not then (new),
/// stored then and not made now (gone), and assessments whose score, band or model differ.
///
/// The replay starts with empty state (detector windows, clustering) at the range's first offset: from offset
/// 0 it sees what the live engine saw. It writes nothing unless applied; then the new findings go to
/// `compliance` (the alert service raises their alerts), each transaction's assessment by a model version not yet
/// stored for it is recorded (the store keeps one assessment per transaction and model version: a differing one
/// of the same version is reported, the stored one stands), and the run is an audit record (`analysis.replay`).
/// Findings gone are reported for review, never withdrawn: only a reorganisation withdraws a finding.
public struct AnalysisReplay: Sendable {
    /// What the replay found, by typology.
    public struct Counts: Sendable, Hashable, Codable {
        public var reproduced: Int
        public var new: Int
        public var gone: Int

        public init(reproduced: Int = 0, new: Int = 0, gone: Int = 0) {
            self.reproduced = reproduced
            self.new = new
            self.gone = gone
        }
    }

    /// What the replay read and what changed.
    public struct Report: Sendable, Codable {
        /// Offsets read per partition: `<partition>: <from>..<to>` (`to` exclusive).
        public var ranges: [String] = []
        public var transactions = 0
        /// Records that were not valid transactions (dead-lettered by the transaction engine).
        public var skippedRecords = 0
        public var findings: [String: Counts] = [:]
        /// Made by the replay, not stored.
        public var newFindings: [ComplianceFinding] = []
        /// Stored, resting on a replayed transaction, not made by the replay.
        public var goneFindings: [ComplianceFinding] = []
        /// Replayed transactions that had an assessment stored, and of those the ones that differ.
        public var assessmentsCompared = 0
        public var assessmentsChanged = 0
        /// Replayed transactions without a stored assessment.
        public var assessmentsNew = 0
        /// `<stored band> -> <replayed band>`: how many.
        public var bandChanges: [String: Int] = [:]
        /// Assessments recorded (applied only).
        public var assessmentsRecorded = 0
        public var applied = false
    }

    let log: any EventLog
    let tags: any TagStore
    let findings: any AlertStore
    let assessments: any RiskAssessmentStore
    let settings: TypologySettings
    let scorer: RiskScorer?
    /// Records analysed at a time (an append is not cut below four times as many).
    let chunk: Int

    public init(
        log: any EventLog, tags: any TagStore, findings: any AlertStore, assessments: any RiskAssessmentStore,
        settings: TypologySettings, scorer: RiskScorer?, chunk: Int = 2_000
    ) {
        self.log = log
        self.tags = tags
        self.findings = findings
        self.assessments = assessments
        self.settings = settings
        self.scorer = scorer
        self.chunk = max(1, chunk)
    }

    /// Replays offsets `from` up to `to` (exclusive; default the end) of every partition of `transactions`; with
    /// `apply`, writes what changed (audited as `origin`'s).
    public func run(from: Int64, to: Int64?, apply: Bool, by origin: ChangeOrigin) async throws -> Report {
        guard apply else { return try await replay(from: from, to: to, apply: false) }
        return try await log.audited(
            "analysis.replay", resource: "topics/\(Topic.transactions.rawValue)", by: origin,
            details: [
                "from": String(from), "to": to.map(String.init) ?? "end", "rule_version": settings.ruleVersion,
                "model_version": scorer?.version ?? "none",
            ],
            outcome: { report in
                [
                    "transactions": String(report.transactions), "new_findings": String(report.newFindings.count),
                    "gone_findings": String(report.goneFindings.count), "assessments_recorded": String(report.assessmentsRecorded),
                ]
            }
        ) { try await replay(from: from, to: to, apply: true) }
    }

    private func replay(from: Int64, to: Int64?, apply: Bool) async throws -> Report {
        var report = Report()
        var (reader, ranges) = try await AppendOrderReader.open(
            log, topic: Topic.transactions.rawValue, from: from, to: to, batchSize: chunk)
        report.ranges = ranges
        var analyzer = TransactionAnalyzer(settings: settings, scorer: scorer)
        let inForce = try await TagsInForce.load(from: tags)
        analyzer.useEntityDefiningTags(inForce.entityDefining(chain: .bitcoin))
        var made: [String: ComplianceFinding] = [:]
        var replayed = Set<String>()
        var times: ClosedRange<Timestamp>?
        while true {
            let batch = try await reader.nextBatch()
            if batch.isEmpty { break }
            let (transactions, skipped) = AnalysisEngine.transactions(in: batch)
            report.transactions += transactions.count
            report.skippedRecords += skipped
            for finding in analyzer.analyze(AnalysisOrder.arrange(transactions), tags: inForce.tags(of: transactions)) {
                if finding.withdrawn {
                    made = made.filter { Set($0.value.txids).isDisjoint(with: finding.txids) }
                } else {
                    made[finding.id] = finding
                }
            }
            for transaction in transactions where transaction.status != .reverted {
                replayed.insert(transaction.txid)
                let time = transaction.block?.time ?? transaction.seenAt
                times = times.map { min($0.lowerBound, time)...max($0.upperBound, time) } ?? time...time
            }
            try await compare(analyzer.takeAssessments(), into: &report, apply: apply)
        }
        let stored = try await storedFindings(restingOn: replayed, in: times)
        for finding in made.values.sorted(by: { ($0.time, $0.id) < ($1.time, $1.id) }) {
            if stored[finding.id] != nil {
                report.findings[finding.typology, default: Counts()].reproduced += 1
            } else {
                report.findings[finding.typology, default: Counts()].new += 1
                report.newFindings.append(finding)
            }
        }
        for finding in stored.values.sorted(by: { ($0.time, $0.id) < ($1.time, $1.id) }) where made[finding.id] == nil {
            report.findings[finding.typology, default: Counts()].gone += 1
            report.goneFindings.append(finding)
        }
        if apply {
            for first in stride(from: 0, to: report.newFindings.count, by: 1_000) {
                let records = report.newFindings[first..<min(first + 1_000, report.newFindings.count)].map(AnalysisEngine.record(of:))
                _ = try await log.append(.compliance, records: records)
            }
            report.applied = true
        }
        return report
    }

    /// Counts how the replayed assessments differ from the latest stored ones; when applying, records those of a
    /// model version the store does not hold for the transaction.
    private func compare(_ replayed: [RiskAssessment], into report: inout Report, apply: Bool) async throws {
        guard !replayed.isEmpty else { return }
        var stored: [Chain: [String: RiskAssessment]] = [:]
        for (chain, group) in Dictionary(grouping: replayed, by: \.chain) {
            stored[chain] = try await assessments.latest(chain: chain, txids: group.map(\.txid))
        }
        var recording: [RiskAssessment] = []
        for assessment in replayed {
            guard let previous = stored[assessment.chain]?[assessment.txid] else {
                report.assessmentsNew += 1
                recording.append(assessment)
                continue
            }
            report.assessmentsCompared += 1
            if previous.band != assessment.band {
                report.bandChanges["\(previous.band.rawValue) -> \(assessment.band.rawValue)", default: 0] += 1
            }
            if previous.score != assessment.score || previous.band != assessment.band || previous.modelVersion != assessment.modelVersion {
                report.assessmentsChanged += 1
            }
            if previous.modelVersion != assessment.modelVersion { recording.append(assessment) }
        }
        if apply, !recording.isEmpty {
            try await assessments.record(recording)
            report.assessmentsRecorded += recording.count
        }
    }

    /// The risk engine's stored findings, not withdrawn, triggered by one of `txids` (the last part of the id), found
    /// within `times`.
    private func storedFindings(restingOn txids: Set<String>, in times: ClosedRange<Timestamp>?) async throws -> [String: ComplianceFinding]
    {
        guard let times else { return [:] }
        var found: [String: ComplianceFinding] = [:]
        var cursor: String?
        repeat {
            let page = try await findings.findings(
                FindingQuery(from: times.lowerBound, to: times.upperBound.adding(microseconds: 1)), limit: 1_000, cursor: cursor)
            for finding in page.items where finding.source == TransactionAnalyzer.findingSource && !finding.withdrawn {
                guard let trigger = finding.id.split(separator: ":").last, txids.contains(String(trigger)) else { continue }
                found[finding.id] = finding
            }
            cursor = page.nextCursor
        } while cursor != nil
        return found
    }
}
