/// What the API asks of reference data: the tag lists' versions, and imports while the platform runs. The
/// transaction analysis module provides it (`ReferenceDataImporter`); the gateway depends on this protocol
/// alone.
public protocol ReferenceDataService: Sendable {
    /// Every version of every tag list, by name, newest version first.
    func lists() async throws -> [TagListVersion]
    /// Imports `files` as `kind`, each import a new list version between two audit records naming `origin`.
    /// Throws ``ReferenceDataError`` when a file cannot be read at all (then nothing is imported).
    func importFiles(_ kind: ReferenceDataKind, files: [[UInt8]], by origin: ChangeOrigin) async throws -> [ReferenceDataImportReport]
    /// Starts re-evaluating the stored history against the lists in force now — the analysis replayed from the
    /// log's start, what changed applied — in the background. Throws ``ReevaluationError``.
    func reevaluate(by origin: ChangeOrigin) async throws(ReevaluationError) -> ReevaluationStatus
    /// The running re-evaluation, else the last one this process ran (nil before any). Throws
    /// ``ReevaluationError/unavailable`` where there is no analysis to re-run.
    func reevaluation() async throws(ReevaluationError) -> ReevaluationStatus?
}

/// A re-evaluation of the stored history, started through the API after an import.
public struct ReevaluationStatus: Sendable, Codable, Hashable {
    public enum State: String, Sendable, Codable, CaseIterable {
        case running, completed, failed
    }

    /// Its number in this process.
    public var id: Int
    public var state: State
    public var requestedBy: String
    public var startedAt: Timestamp
    public var finishedAt: Timestamp?
    /// Transactions replayed (when finished).
    public var transactions: Int?
    /// Findings made now and published (new), and stored ones not made now (gone: reported, never withdrawn).
    public var newFindings: Int?
    public var goneFindings: Int?
    /// Why it failed.
    public var error: String?

    public init(id: Int, state: State, requestedBy: String, startedAt: Timestamp) {
        self.id = id
        self.state = state
        self.requestedBy = requestedBy
        self.startedAt = startedAt
    }
}

/// Why a re-evaluation cannot start.
public enum ReevaluationError: Error, Equatable, CustomStringConvertible {
    /// One is running (only one at a time).
    case running(ReevaluationStatus)
    /// This process has no analysis to re-run (the risk engine is off).
    case unavailable

    public var description: String {
        switch self {
        case .running(let status): "re-evaluation \(status.id), started by \(status.requestedBy), is still running"
        case .unavailable: "the risk engine is off: there is no analysis to re-run"
        }
    }
}

/// What a reference-data import reads.
public enum ReferenceDataKind: String, Sendable, CaseIterable, Codable {
    /// GraphSense TagPack YAML files, one list each.
    case tags
    /// The OFAC SDN list: `SDN.CSV` (then `SDN_COMMENTS.CSV`), or `SDN_ADVANCED.XML`.
    case sanctions
}

/// What one import did: the list version it made, the entries refused, what was skipped (by reason).
public struct ReferenceDataImportReport: Sendable, Codable, Hashable {
    public var list: TagListVersion
    public var rejected: [ReferenceDataRejection]
    public var skipped: [String: Int]

    public init(list: TagListVersion, rejected: [ReferenceDataRejection], skipped: [String: Int]) {
        self.list = list
        self.rejected = rejected
        self.skipped = skipped
    }
}

/// One entry of a reference-data file that was refused: where it is and why.
public struct ReferenceDataRejection: Hashable, Sendable, Codable {
    /// `tags[3]` in a TagPack, `entry 36` in an SDN list.
    public var location: String
    public var reason: String

    public init(location: String, reason: String) {
        self.location = location
        self.reason = reason
    }
}

/// A reference-data file that cannot be read at all (nothing of it is imported).
public struct ReferenceDataError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
