@testable import AuditTrail
import CSICCore
import CSICTestSupport
import Foundation
import Testing

/// `csic audit verify` checks every recorded purge against the retention rules.
@Suite struct RetentionRulesTests {
    private let ranAt = Timestamp(iso8601: "2026-11-25T12:00:00Z")!

    private func purge(_ recordClass: RecordClass, period: String, cutoff: String) -> AuditRecord {
        RetentionAudit.purgeOutcome(
            PurgeReport(
                recordClass: recordClass, period: period, cutoff: Timestamp(iso8601: cutoff)!, ranAt: ranAt, purged: 3, held: 0),
            time: ranAt.adding(microseconds: 1_000))
    }

    private func verify(_ records: [AuditRecord]) throws -> AuditVerifier.Report {
        let directory = try TemporaryDirectory()
        let log = try AuditLog(directory: directory.path, settings: AuditLog.Settings(origin: "test/audit"))
        try log.append(records)
        try log.issueCheckpoint()
        return AuditVerifier(directory: directory.path).verify()
    }

    @Test func purgesWithinTheirPeriodAndPolicyVerify() throws {
        let report = try verify([
            RetentionAudit.policy(RecordRetention(), time: ranAt),
            RetentionAudit.purgeAttempt(.transactions, period: .years(7), time: ranAt),
            purge(.transactions, period: "7y", cutoff: "2019-11-25T12:00:00Z"),
            purge(.alerts, period: "7y", cutoff: "2018-01-01T00:00:00Z"),
        ])
        #expect(report.ok, "\(report.problems)")
    }

    @Test func aPurgeBeyondItsPeriodOrThePolicyOrOfTheAuditTrailIsNamed() throws {
        let early = try verify([
            RetentionAudit.policy(RecordRetention(), time: ranAt),
            purge(.transactions, period: "7y", cutoff: "2020-01-01T00:00:00Z"),
        ])
        #expect(early.problems.count == 1)
        #expect(early.problems.first?.hasPrefix("entry 1 (") == true)
        #expect(
            early.problems.first?.contains("retention rule broken: a purge of transactions records up to 2020-01-01") == true,
            "\(early.problems)")
        // A record claiming a shorter period than the recorded policy still breaks the policy.
        let shorter = try verify([
            RetentionAudit.policy(RecordRetention(), time: ranAt), purge(.alerts, period: "1y", cutoff: "2025-11-25T12:00:00Z"),
        ])
        #expect(shorter.problems.count == 1 && shorter.problems[0].contains("the recorded policy's 7y"), "\(shorter.problems)")
        // A policy change is itself recorded, after which the shorter period is the rule.
        let changed = try verify([
            RetentionAudit.policy(try RecordRetention(overrides: [.alerts: .years(1)]), time: ranAt),
            purge(.alerts, period: "1y", cutoff: "2025-11-25T12:00:00Z"),
        ])
        #expect(changed.ok, "\(changed.problems)")
        let audit = try verify([purge(.audit, period: "7y", cutoff: "2010-01-01T00:00:00Z")])
        #expect(audit.problems.count == 1 && audit.problems[0].contains("a purge of audit records"), "\(audit.problems)")
    }
}
