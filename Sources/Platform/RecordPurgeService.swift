import StreamRuntime
import CSICCore
import EventLog
import Logging
import ServiceLifecycle
import Storage

/// Purges the records whose retention period has passed, once at start and then every `interval`, except
/// those under an active legal hold; the audit trail itself is never purged. Everything is audited: the
/// policy in force at every start, each purge before it runs (a purge whose record cannot be written does
/// not run) and what it removed. `csic audit verify` checks every recorded purge against the policy.
struct RecordPurgeService: Service {
    let store: any RetentionStore
    let log: any EventLog
    let retention: RecordRetention
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var policyRecorded = false
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                if !policyRecorded {
                    try await log.appendAudit(RetentionAudit.policy(retention))
                    policyRecorded = true
                }
                try await purgeExpired()
            } catch {
                logger.error("retention purge not run: the audit trail cannot record it", metadata: ["error": "\(error)"])
            }
            let pause = policyRecorded ? interval : .seconds(60)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
        }
    }

    /// One purge of every class that is not permanent.
    func purgeExpired() async throws {
        for recordClass in RecordClass.allCases where retention[recordClass] != .permanent {
            guard !Task.isShuttingDownGracefully else { return }
            let period = retention[recordClass]
            try await log.appendAudit(RetentionAudit.purgeAttempt(recordClass, period: period))
            let report: PurgeReport
            do {
                report = try await store.purgeExpired(recordClass, retention: retention)
            } catch {
                logger.error("purge failed", metadata: ["class": "\(recordClass.rawValue)", "error": "\(error)"])
                try await log.appendAudit(RetentionAudit.purgeFailure(recordClass, period: period, error: "\(error)"))
                continue
            }
            try await log.appendAudit(RetentionAudit.purgeOutcome(report))
        }
    }
}
