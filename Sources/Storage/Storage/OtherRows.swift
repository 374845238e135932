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
