import CSICCore

/// Re-evaluations of the stored history started through the API after an import (`"reevaluate": true`): the
/// analysis replayed from the log's start with the lists in force and what changed applied, as
/// `csic import --reevaluate` does, in the background and one at a time. The replay is audited
/// (`analysis.replay`, an attempt and an outcome record); its status is kept in memory for
/// `GET /api/v1/reference-data/reevaluation` — after a restart the audit trail is the record. A process stopped
/// mid-run leaves an attempt without an outcome; running it again is safe (findings are published by their
/// deterministic ids, assessments recorded once per model version).
public actor Reevaluations {
    let replay: AnalysisReplay
    /// The running re-evaluation, else the last one.
    public private(set) var latest: ReevaluationStatus?
    private var started = 0

    public init(replay: AnalysisReplay) {
        self.replay = replay
    }

    /// Starts one, unless one is running.
    public func start(by origin: ChangeOrigin) throws(ReevaluationError) -> ReevaluationStatus {
        if let latest, latest.state == .running { throw .running(latest) }
        started += 1
        let status = ReevaluationStatus(id: started, state: .running, requestedBy: origin.actor, startedAt: .now())
        latest = status
        let replay = replay
        Task {
            do {
                let report = try await replay.run(from: 0, to: nil, apply: true, by: origin)
                self.finish(status.id, report: report, error: nil)
            } catch {
                self.finish(status.id, report: nil, error: "\(error)")
            }
        }
        return status
    }

    private func finish(_ id: Int, report: AnalysisReplay.Report?, error: String?) {
        guard var status = latest, status.id == id else { return }
        status.finishedAt = .now()
        status.state = report == nil ? .failed : .completed
        status.transactions = report?.transactions
        status.newFindings = report?.newFindings.count
        status.goneFindings = report?.goneFindings.count
        status.error = error.map { String($0.prefix(1_000)) }
        latest = status
    }
}
