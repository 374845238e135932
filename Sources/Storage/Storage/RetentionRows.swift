import CSICCore
import Foundation
import GRDB

/// SQL for `legal_holds` and the purge of expired records: the only DELETE of records in the store.
///
/// Every purge consults the active holds inside the same write transaction that deletes, so a hold placed
/// before a purge's transaction began always protects what it covers.
enum RetentionRows {
    /// How many transactions one write transaction examines, so that a purge never blocks ingestion for long.
    static let purgeBatch = 2_000

    static func insert(_ hold: LegalHold, _ db: Database) throws {
        try LegalHoldRecord(hold).insert(db)
    }

    static func release(id: String, by actor: String, at time: Timestamp, _ db: Database) throws -> LegalHold? {
        try db.execute(
            sql: "UPDATE legal_holds SET released_by = ?, released_at_us = ? WHERE id = ? AND released_at_us IS NULL",
            arguments: [actor, time.microsecondsSinceEpoch, id])
        guard db.changesCount == 1 else { return nil }
        return try LegalHoldRecord.fetchOne(db, key: id)?.hold
    }

    /// Newest placed first (by rowid, the order of placing); only active or only released ones when asked.
    static func page(active: Bool?, limit: Int, before: Int64?, _ db: Database) throws -> Page<LegalHold> {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT rowid AS position, * FROM legal_holds
                WHERE rowid < ? AND (? IS NULL OR (released_at_us IS NULL) = ?) ORDER BY rowid DESC LIMIT ?
                """,
            arguments: [before ?? Int64.max, active, active, limit])
        return Page(
            items: try rows.map { try LegalHoldRecord(row: $0).hold },
            nextCursor: Cursor.next(rows.map { $0["position"] as Int64 }, limit: limit))
    }

    static func active(_ recordClass: RecordClass, _ db: Database) throws -> [LegalHold] {
        try LegalHoldRecord.filter(Column("record_class") == recordClass.rawValue && Column("released_at_us") == nil).fetchAll(db).map(
            \.hold)
    }

    /// Purges expired alerts or dead letters in one statement each; returns (purged, held).
    static func purgeSimple(_ recordClass: RecordClass, cutoff: Timestamp, _ db: Database) throws -> (Int, Int) {
        let (table, time, held) = PurgeRules.simpleClass(recordClass)
        let heldCount =
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM \(table) WHERE \(time) < ? AND \(held)", arguments: [cutoff.microsecondsSinceEpoch]) ?? 0
        try db.execute(sql: "DELETE FROM \(table) WHERE \(time) < ? AND NOT \(held)", arguments: [cutoff.microsecondsSinceEpoch])
        let purged = db.changesCount
        try RowCounts.add(table, -purged, db)
        return (purged, heldCount)
    }

    /// Purges up to `purgeBatch` expired transactions with `seq` after `after`, with their index entries.
    /// Returns (purged, held, the last seq examined, or `nil` when none was left).
    static func purgeTransactions(cutoff: Timestamp, after: Int64, _ db: Database) throws -> (purged: Int, held: Int, last: Int64?) {
        let holds = try active(.transactions, db)
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT seq, id, txid, payload FROM transactions
                WHERE seq > ? AND COALESCE(block_time_us, seen_at_us) < ? ORDER BY seq LIMIT ?
                """, arguments: [after, cutoff.microsecondsSinceEpoch, purgeBatch])
        guard let last = rows.last?["seq"] as Int64? else { return (0, 0, nil) }
        var purged = 0
        var held = 0
        for row in rows {
            let seq: Int64 = row["seq"]
            let id: String = row["id"]
            let payload: Data = row["payload"]
            guard case .delete(let addresses) = PurgeRules.decide(id: id, txid: row["txid"], payload: payload, holds: holds) else {
                held += 1
                continue
            }
            for address in addresses {
                for table in ["transaction_addresses", "transaction_addresses_recent"] {
                    try db.cachedStatement(sql: "DELETE FROM \(table) WHERE address_hash = ? AND seq = ?").execute(arguments: [
                        IndexKey.of(address), seq,
                    ])
                }
            }
            for table in ["transaction_id_keys", "transaction_id_keys_recent"] {
                try db.cachedStatement(sql: "DELETE FROM \(table) WHERE id_key = ? AND seq = ?").execute(arguments: [IndexKey.of(id), seq])
            }
            try db.cachedStatement(sql: "DELETE FROM transactions WHERE seq = ?").execute(arguments: [seq])
            purged += 1
        }
        try RowCounts.add("transactions", -purged, db)
        return (purged, held, last)
    }
}

/// A row of `legal_holds`. Holds are released (`released_by`, `released_at_us`), never deleted.
struct LegalHoldRecord: StoreRecord {
    static let databaseTableName = "legal_holds"
    var id: String
    var recordClass: String
    var subject: String?
    var reason: String
    var caseReference: String?
    var placedBy: String
    var placedAtUs: Int64
    var releasedBy: String?
    var releasedAtUs: Int64?

    init(_ hold: LegalHold) {
        id = hold.id
        recordClass = hold.recordClass.rawValue
        subject = hold.subject
        reason = hold.reason
        caseReference = hold.caseReference
        placedBy = hold.placedBy
        placedAtUs = hold.placedAt.microsecondsSinceEpoch
        releasedBy = hold.releasedBy
        releasedAtUs = hold.releasedAt?.microsecondsSinceEpoch
    }

    var hold: LegalHold {
        LegalHold(
            id: id, recordClass: RecordClass(rawValue: recordClass) ?? .transactions, subject: subject, reason: reason,
            caseReference: caseReference, placedBy: placedBy, placedAt: Timestamp(microsecondsSinceEpoch: placedAtUs),
            releasedBy: releasedBy, releasedAt: releasedAtUs.map(Timestamp.init(microsecondsSinceEpoch:)))
    }
}
