/// What the API asks of reference data: the tag lists' versions, and imports while the platform runs. The
/// transaction analysis module provides it (`ReferenceDataImporter`); the gateway depends on this protocol
/// alone.
public protocol ReferenceDataService: Sendable {
    /// Every version of every tag list, by name, newest version first.
    func lists() async throws -> [TagListVersion]
    /// Imports `files` as `kind`, each import a new list version between two audit records naming `origin`.
    /// Throws ``ReferenceDataError`` when a file cannot be read at all (then nothing is imported).
    func importFiles(_ kind: ReferenceDataKind, files: [[UInt8]], by origin: ChangeOrigin) async throws -> [ReferenceDataImportReport]
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
