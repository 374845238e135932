import CSICCore
import Foundation
import GRDB

/// One row of a store table as a GRDB Codable record: columns are the properties in snake_case.
protocol StoreRecord: Codable, FetchableRecord, PersistableRecord {}

extension StoreRecord {
    static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .convertFromSnakeCase }
    static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }
}

/// A row of `dead_letters`; stored once per id.
struct DeadLetterRecord: StoreRecord {
    static let databaseTableName = "dead_letters"
    var seq: Int64?
    var id: String
    var source: String
    var topic: String
    var partition: Int64?
    var offset: Int64?
    var reasonCode: String
    var reason: String
    var rejectedBy: String
    var timeUs: Int64
    var recordKey: Data
    var payload: Data

    init(_ letter: DeadLetter) {
        id = letter.eventID
        source = letter.source
        topic = letter.topic
        partition = letter.partition.map(Int64.init)
        offset = letter.offset
        reasonCode = letter.reasonCode.rawValue
        reason = letter.reason
        rejectedBy = letter.rejectedBy
        timeUs = letter.time.microsecondsSinceEpoch
        recordKey = Data(letter.key)
        payload = Data(letter.payload)
    }

    var letter: DeadLetter {
        DeadLetter(
            source: source, topic: topic, partition: partition.map { Int32(truncatingIfNeeded: $0) }, offset: offset,
            key: Array(recordKey), payload: Array(payload), reasonCode: ValidationError.Code(rawValue: reasonCode) ?? .malformed,
            reason: reason, rejectedBy: rejectedBy, time: Timestamp(microsecondsSinceEpoch: timeUs))
    }

    /// Stores `letter` unless a letter with its id is already stored (its id is deterministic for log records).
    static func upsert(_ letter: DeadLetter, _ db: Database) throws {
        try DeadLetterRecord(letter).insert(db, onConflict: .ignore)
        try RowCounts.add("dead_letters", db.changesCount, db)
    }

    static func page(source: String?, limit: Int, before: Int64?, _ db: Database) throws -> Page<DeadLetter> {
        let records = try fetchAll(
            db, sql: "SELECT * FROM dead_letters WHERE (? IS NULL OR source = ?) AND seq < ? ORDER BY seq DESC LIMIT ?",
            arguments: [source, source, before ?? Int64.max, limit])
        return Page(items: records.map(\.letter), nextCursor: Cursor.next(records.compactMap(\.seq), limit: limit))
    }
}

/// A row of `alerts`; an update keeps the alert's subject and creation time.
struct AlertRecord: StoreRecord {
    static let databaseTableName = "alerts"
    var seq: Int64?
    var id: String
    var title: String
    var subject: String
    var severity: String
    var status: String
    /// The finding ids as a JSON array.
    var findingIds: String
    var createdAtUs: Int64
    var updatedAtUs: Int64

    var alert: Alert {
        get throws {
            Alert(
                id: id, title: title, subject: subject, severity: Severity(rawValue: severity) ?? .medium,
                status: AlertStatus(rawValue: status) ?? .open,
                findingIDs: try JSONDecoder().decode([String].self, from: Data(findingIds.utf8)),
                createdAt: Timestamp(microsecondsSinceEpoch: createdAtUs), updatedAt: Timestamp(microsecondsSinceEpoch: updatedAtUs))
        }
    }

    static func upsert(_ alert: Alert, _ db: Database) throws {
        let findings = String(decoding: try JSONEncoder().encode(alert.findingIDs), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT INTO alerts (id, title, subject, severity, status, finding_ids, created_at_us, updated_at_us)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET title = excluded.title, severity = excluded.severity, status = excluded.status,
                    finding_ids = excluded.finding_ids, updated_at_us = excluded.updated_at_us
                """,
            arguments: [
                alert.id, alert.title, alert.subject, alert.severity.rawValue, alert.status.rawValue, findings,
                alert.createdAt.microsecondsSinceEpoch, alert.updatedAt.microsecondsSinceEpoch,
            ])
    }

    static func fetch(id: String, _ db: Database) throws -> Alert? {
        try fetchOne(db, sql: "SELECT * FROM alerts WHERE id = ?", arguments: [id])?.alert
    }

    static func page(status: AlertStatus?, limit: Int, before: Int64?, _ db: Database) throws -> Page<Alert> {
        let records = try fetchAll(
            db, sql: "SELECT * FROM alerts WHERE (? IS NULL OR status = ?) AND seq < ? ORDER BY seq DESC LIMIT ?",
            arguments: [status?.rawValue, status?.rawValue, before ?? Int64.max, limit])
        return Page(items: try records.map { try $0.alert }, nextCursor: Cursor.next(records.compactMap(\.seq), limit: limit))
    }
}

/// A row of `configuration`: one setting and who changed it last.
struct ConfigurationRecord: StoreRecord {
    static let databaseTableName = "configuration"
    var key: String
    var value: String
    var updatedAtUs: Int64
    var updatedBy: String

    init(_ entry: ConfigurationEntry) {
        key = entry.key
        value = entry.value
        updatedAtUs = entry.updatedAt.microsecondsSinceEpoch
        updatedBy = entry.updatedBy
    }

    var entry: ConfigurationEntry {
        ConfigurationEntry(key: key, value: value, updatedAt: Timestamp(microsecondsSinceEpoch: updatedAtUs), updatedBy: updatedBy)
    }

    static func upsert(_ entry: ConfigurationEntry, _ db: Database) throws {
        try ConfigurationRecord(entry).upsert(db)
    }

    static func fetch(key: String, _ db: Database) throws -> ConfigurationEntry? {
        try fetchOne(db, key: key)?.entry
    }

    static func all(_ db: Database) throws -> [ConfigurationEntry] {
        try order(Column("key")).fetchAll(db).map(\.entry)
    }
}
