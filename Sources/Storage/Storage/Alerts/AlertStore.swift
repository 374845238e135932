import CSICCore

/// Which alerts a list shows; `nil` fields do not filter.
public struct AlertQuery: Sendable, Hashable {
    public var typology: String?
    public var status: AlertStatus?
    public var severity: Severity?
    public var subject: String?

    public init(typology: String? = nil, status: AlertStatus? = nil, severity: Severity? = nil, subject: String? = nil) {
        self.typology = typology
        self.status = status
        self.severity = severity
        self.subject = subject
    }
}

/// Which findings a list shows; `nil` fields do not filter. Times bound the finding's own time (`from`
/// inclusive, `to` exclusive).
public struct FindingQuery: Sendable, Hashable {
    public var typology: String?
    /// The finding's key subject.
    public var subject: String?
    public var from: Timestamp?
    public var to: Timestamp?
    /// Only the findings of this alert's episode.
    public var alertID: String?

    public init(typology: String? = nil, subject: String? = nil, from: Timestamp? = nil, to: Timestamp? = nil, alertID: String? = nil) {
        self.typology = typology
        self.subject = subject
        self.from = from
        self.to = to
        self.alertID = alertID
    }
}

/// Findings and the alerts raised from them: episodes per typology and subject (``AlertEpisodes``), their
/// lifecycle (``AlertLifecycle``) and the history of every change.
public protocol AlertStore: Sendable {
    /// Inserts or updates `alerts` by id, atomically.
    func upsert(_ alerts: [Alert]) async throws
    /// Stores `findings` and folds each into its alert, in one transaction; a finding already stored is passed
    /// over, so a replayed batch changes nothing. A withdrawal (`withdrawn`, with the orphaned txids) withdraws
    /// every stored finding resting on those txids. Returns the alert changes made, in order.
    func record(_ findings: [ComplianceFinding], at time: Timestamp) async throws -> [AlertChange]
    /// An analyst's `action` on alert `id`, kept in its history; throws ``AlertChangeError``.
    func change(alert id: String, _ action: AlertAction, detail: String?, by actor: String, at time: Timestamp) async throws -> Alert
    func alert(id: String) async throws -> Alert?
    /// Newest first.
    func alerts(_ query: AlertQuery, limit: Int, cursor: String?) async throws -> Page<Alert>
    /// Alert `id`'s changes, oldest first.
    func history(alert id: String) async throws -> [AlertChange]
    /// Newest first, withdrawn findings marked.
    func findings(_ query: FindingQuery, limit: Int, cursor: String?) async throws -> Page<ComplianceFinding>
}

extension AlertStore {
    /// Newest first; only those in `status` when given.
    public func alerts(status: AlertStatus?, limit: Int, cursor: String?) async throws -> Page<Alert> {
        try await alerts(AlertQuery(status: status), limit: limit, cursor: cursor)
    }
}

/// The columns of `alerts` in the order both backends read them.
enum AlertColumns {
    static let list =
        "seq, id, title, subject, severity, status, finding_ids, created_at_us, updated_at_us, typology, assignee, resolution, finding_count, active_findings, last_finding_at_us"
}
