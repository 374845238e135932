import CSICCore
import Crypto
import DurableFiles
import EventLog
import Foundation
import Storage
import StreamRuntime

/// Imports reference data into the tag store as a new list version, recorded in the audit trail: an
/// `attempt` record before (an import that cannot be recorded is not made), an `outcome` record after with
/// the version, the counts and the files' SHA-256. Used by `csic import` and by the API.
public struct ReferenceDataImporter: ReferenceDataService {
    let store: any TagStore
    let log: any EventLog
    /// Re-evaluations through the API; nil where there is none (`csic import --reevaluate` replays itself).
    let reevaluations: Reevaluations?

    public init(store: any TagStore, log: any EventLog, reevaluations: Reevaluations? = nil) {
        self.store = store
        self.log = log
        self.reevaluations = reevaluations
    }

    public func reevaluate(by origin: ChangeOrigin) async throws(ReevaluationError) -> ReevaluationStatus {
        guard let reevaluations else { throw .unavailable }
        return try await reevaluations.start(by: origin)
    }

    public func reevaluation() async throws(ReevaluationError) -> ReevaluationStatus? {
        guard let reevaluations else { throw .unavailable }
        return await reevaluations.latest
    }

    /// Reads `files` as `kind`: each TagPack on its own, the sanctions files together (CSV, or one XML file).
    public static func parse(_ kind: ReferenceDataKind, files: [[UInt8]]) throws(ReferenceDataError) -> [ReferenceDataContents] {
        switch kind {
        case .tags:
            return try files.map { bytes throws(ReferenceDataError) in try TagPack.parse(bytes) }
        case .sanctions:
            guard let first = files.first else { throw ReferenceDataError("no file") }
            if first.prefix(512).contains(UInt8(ascii: "<")) {
                guard files.count == 1 else { throw ReferenceDataError("SDN_ADVANCED.XML is one file") }
                return [try SanctionsList.parseAdvancedXML(first)]
            }
            return [try SanctionsList.parseCSV(files)]
        }
    }

    public func lists() async throws -> [TagListVersion] {
        try await store.lists()
    }

    public func importFiles(
        _ kind: ReferenceDataKind, files: [[UInt8]], by origin: ChangeOrigin
    ) async throws
        -> [ReferenceDataImportReport]
    {
        // Reading a large file takes a while: off the concurrency pool, as blocking work is.
        let contents = try await BlockingIO.run { try Self.parse(kind, files: files) }
        return try await importAll(contents, kind, files: files, by: origin)
    }

    /// Stores each of `contents` (what ``parse(_:files:)`` read from `files`) as the next version of its list.
    public func importAll(
        _ contents: [ReferenceDataContents], _ kind: ReferenceDataKind, files: [[UInt8]], by origin: ChangeOrigin
    ) async throws -> [ReferenceDataImportReport] {
        var reports: [ReferenceDataImportReport] = []
        for (index, list) in contents.enumerated() {
            reports.append(try await importContents(list, files: kind == .tags ? [files[index]] : files, by: origin))
        }
        return reports
    }

    /// Stores `contents` (read from `files`) as the next version of its list.
    public func importContents(
        _ contents: ReferenceDataContents, files: [[UInt8]], by origin: ChangeOrigin, at time: Timestamp = .now()
    ) async throws -> ReferenceDataImportReport {
        var hash = SHA256()
        for file in files { hash.update(data: file) }
        let sha256 = Hex.encode(Array(hash.finalize()))
        let details = [
            "format": contents.format, "sha256": sha256, "tags": "\(contents.tags.count)", "rejected": "\(contents.rejected.count)",
            "skipped": "\(contents.skipped.values.reduce(0, +))",
        ]
        let list = try await log.audited(
            "reference_data.import", resource: "tag_lists/\(contents.listName.prefix(200))", by: origin, details: details, at: time,
            outcome: { ["version": "\($0.version)"] }
        ) {
            try await store.importList(
                name: contents.listName, format: contents.format, sha256: sha256, importedBy: origin.actor, at: time, tags: contents.tags)
        }
        return ReferenceDataImportReport(list: list, rejected: contents.rejected, skipped: contents.skipped)
    }
}
