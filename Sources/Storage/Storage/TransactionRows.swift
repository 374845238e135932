import CSICCore
import Foundation
import GRDB

/// SQL for the `transactions` table and its id and address indexes.
///
/// Not a GRDB Codable record like the other tables: the pipeline's hot path binds each row's 17 columns through
/// SQLite's C API on cached statements (`SQLiteBinder`), measured by `csic bench stages` (sqlite_apply) and
/// `csic bench pipeline`, where encoding a record per row cost a large share of the writer's time.
enum TransactionRows {
    static let columns = """
        id, chain, txid, block_height, block_hash, block_time_us, seen_at_us, fee, total_output, input_count,
        output_count, status, risk_score, payload, source_topic, source_partition, source_offset
        """
    static let insertSQL =
        "INSERT INTO transactions (\(columns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
    /// Same parameter numbers as `insertSQL`; `?18` is the row. A replay without a risk score keeps the stored one.
    static let updateSQL = """
        UPDATE transactions SET block_height = ?4, block_hash = ?5, block_time_us = ?6, fee = ?8, total_output = ?9,
            input_count = ?10, output_count = ?11, status = ?12, risk_score = COALESCE(?13, risk_score), payload = ?14,
            source_topic = ?15, source_partition = ?16, source_offset = ?17
        WHERE seq = ?18
        """
    /// `?1` is the id key, `?2` the id: the candidates of both index levels, confirmed on the row.
    static let lookupSQL = """
        SELECT k.seq FROM (
            SELECT seq FROM transaction_id_keys_recent WHERE id_key = ?1
            UNION ALL SELECT seq FROM transaction_id_keys WHERE id_key = ?1
        ) k JOIN transactions t ON t.seq = k.seq WHERE t.id = ?2 LIMIT 1
        """
    /// Row `?2` takes the fields of row `?1` (a replay without a risk score keeps the stored one).
    static let copySQL = """
        UPDATE transactions SET block_height = n.block_height, block_hash = n.block_hash, block_time_us = n.block_time_us,
            fee = n.fee, total_output = n.total_output, input_count = n.input_count, output_count = n.output_count,
            status = n.status, risk_score = COALESCE(n.risk_score, transactions.risk_score), payload = n.payload,
            source_topic = n.source_topic, source_partition = n.source_partition, source_offset = n.source_offset
        FROM (SELECT * FROM transactions WHERE seq = ?1) n WHERE transactions.seq = ?2
        """

    /// Upserts prepared rows. The database keeps ids unique (the `transaction_id_unique` trigger refuses to
    /// stage a key whose id another row holds), and the upsert relies on it instead of probing first: every
    /// id new to the batch is inserted, an id repeated in the batch updates the row its first occurrence
    /// wrote, and when staging a new row's key is refused (the id was stored before: a replay) that row's
    /// fields move to the stored row and the new row goes. Keys and address entries are staged in key order,
    /// then one key range of each staged index moves into its main index.
    static func upsert(_ prepared: PreparedTransactions, mergeSlice: Int, _ db: Database) throws {
        guard !prepared.transactions.isEmpty else { return }
        let transactions = prepared.transactions
        var firstOccurrence = [Int?](repeating: nil, count: transactions.count)
        var previous: Int?
        for position in prepared.idOrder {
            if let previous, transactions[previous].row.id == transactions[position].row.id {
                firstOccurrence[position] = firstOccurrence[previous] ?? previous
            }
            previous = position
        }
        let insert = SQLiteBinder(try db.cachedStatement(sql: insertSQL))
        let update = SQLiteBinder(try db.cachedStatement(sql: updateSQL))
        var sequences = [Int64](repeating: 0, count: transactions.count)
        var newIDs: [(key: Int64, seq: Int64, position: Int)] = []
        for (position, transaction) in transactions.enumerated() {
            if let first = firstOccurrence[position] {
                bindFields(transaction, update)
                update.bind(18, sequences[first])
                try update.step(in: db)
                sequences[position] = sequences[first]
            } else {
                bindFields(transaction, insert)
                try insert.step(in: db)
                let seq = db.lastInsertedRowID
                newIDs.append((transaction.idKey, seq, position))
                sequences[position] = seq
            }
        }
        newIDs.sort { ($0.key, $0.seq) < ($1.key, $1.seq) }
        var added = newIDs.count
        let stageID = SQLiteBinder(try db.cachedStatement(sql: "INSERT INTO transaction_id_keys_recent (id_key, seq) VALUES (?, ?)"))
        for entry in newIDs {
            stageID.bind(1, entry.key)
            stageID.bind(2, entry.seq)
            do {
                try stageID.step(in: db)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                let lookup = SQLiteBinder(try db.cachedStatement(sql: lookupSQL))
                lookup.bind(1, entry.key)
                lookup.bind(2, transactions[entry.position].row.id)
                guard let stored = try lookup.step(in: db) else { throw error }
                try db.cachedStatement(sql: copySQL).execute(arguments: [entry.seq, stored])
                // The row this write inserted a moment ago (uncommitted, never acknowledged) goes; the stored,
                // acknowledged row now holds its fields.
                try db.cachedStatement(sql: "DELETE FROM transactions WHERE seq = ?").execute(arguments: [entry.seq])
                sequences[entry.position] = stored
                added -= 1
            }
        }
        try RowCounts.add("transactions", added, db)
        for (position, first) in firstOccurrence.enumerated() { if let first { sequences[position] = sequences[first] } }
        let index = SQLiteBinder(
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO transaction_addresses_recent (address_hash, seq) VALUES (?, ?)"))
        for entry in prepared.addressEntries where sequences[entry.transaction] > 0 {
            index.bind(1, entry.key)
            index.bind(2, sequences[entry.transaction])
            try index.step(in: db)
        }
        try mergeRecent(of: "transaction_addresses", key: "address_hash", slice: mergeSlice, db)
        try mergeRecent(of: "transaction_id_keys", key: "id_key", slice: mergeSlice, db)
    }

    private static func bindFields(_ transaction: PreparedTransactions.Transaction, _ statement: SQLiteBinder) {
        let row = transaction.row
        statement.bind(1, row.id)
        statement.bind(2, row.chain.rawValue)
        statement.bind(3, row.txid)
        statement.bind(4, row.blockHeight.map { Int64(bitPattern: $0) })
        statement.bind(5, row.blockHash)
        statement.bind(6, row.blockTime?.microsecondsSinceEpoch)
        statement.bind(7, row.seenAt.microsecondsSinceEpoch)
        statement.bind(8, transaction.feeText)
        statement.bind(9, transaction.totalOutputText)
        statement.bind(10, Int64(row.inputCount))
        statement.bind(11, Int64(row.outputCount))
        statement.bind(12, row.status.rawValue)
        statement.bind(13, row.riskScore.map(Int64.init))
        statement.bind(14, blob: row.payload)
        statement.bind(15, row.source.topic)
        statement.bind(16, Int64(row.source.partition))
        statement.bind(17, row.source.offset)
    }

    /// The number of key ranges the staged entries are merged in, one range per write (a power of two). More
    /// ranges merge more entries per main-index page written; 8 -> 32 took a 60 s pipeline run from 49k to 52k tx/s.
    static let mergeSlices = 32

    /// Moves the staged entries (`<table>_recent`) of one key range into `table`, in key order.
    static func mergeRecent(of table: String, key: String, slice: Int, _ db: Database) throws {
        let width = UInt64.max / UInt64(mergeSlices) + 1 // 2^64 / mergeSlices
        let low = Int64(bitPattern: UInt64(bitPattern: Int64.min) &+ UInt64(slice % mergeSlices) &* width)
        let isLast = slice % mergeSlices == mergeSlices - 1
        let high = isLast ? Int64.max : low &+ Int64(width) &- 1
        try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO \(table) (\(key), seq)
                SELECT \(key), seq FROM \(table)_recent WHERE \(key) BETWEEN ? AND ? ORDER BY \(key), seq
                """
        ).execute(arguments: [low, high])
        try db.cachedStatement(sql: "DELETE FROM \(table)_recent WHERE \(key) BETWEEN ? AND ?").execute(arguments: [low, high])
    }

    static func fetch(id: String, _ db: Database) throws -> StoredTransaction? {
        try Row.fetchOne(db, sql: "SELECT * FROM transactions WHERE seq = (\(lookupSQL))", arguments: [IndexKey.of(id), id]).map(decode)
    }

    static func page(address: String?, limit: Int, before: Int64?, _ db: Database) throws -> Page<StoredTransaction> {
        let rows: [Row]
        if let address {
            rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT t.* FROM (
                        SELECT seq FROM transaction_addresses WHERE address_hash = ?1 AND seq < ?2
                        UNION
                        SELECT seq FROM transaction_addresses_recent WHERE address_hash = ?1 AND seq < ?2
                        ORDER BY seq DESC LIMIT ?3
                    ) a JOIN transactions t ON t.seq = a.seq ORDER BY t.seq DESC
                    """, arguments: [IndexKey.of(address), before ?? Int64.max, limit])
        } else {
            rows = try Row.fetchAll(
                db, sql: "SELECT * FROM transactions WHERE seq < ? ORDER BY seq DESC LIMIT ?",
                arguments: [before ?? Int64.max, limit])
        }
        let items = try rows.map(decode)
        return Page(items: items, nextCursor: Cursor.next(rows.map { $0["seq"] }, limit: limit))
    }

    static func decode(_ row: Row) throws -> StoredTransaction {
        let payload: Data = row["payload"]
        return StoredTransaction(
            id: row["id"],
            chain: Chain(rawValue: row["chain"]) ?? .bitcoin,
            txid: row["txid"],
            blockHeight: (row["block_height"] as Int64?).map { UInt64(bitPattern: $0) },
            blockHash: row["block_hash"],
            blockTime: (row["block_time_us"] as Int64?).map(Timestamp.init(microsecondsSinceEpoch:)),
            seenAt: Timestamp(microsecondsSinceEpoch: row["seen_at_us"]),
            fee: (row["fee"] as String?).flatMap(Amount.init(decimal:)),
            totalOutput: Amount(decimal: row["total_output"]) ?? .zero,
            inputCount: row["input_count"],
            outputCount: row["output_count"],
            status: TransactionStatus(rawValue: row["status"]) ?? .pending,
            riskScore: row["risk_score"],
            payload: Array(payload),
            source: LogPosition(
                topic: row["source_topic"], partition: Int32(row["source_partition"] as Int64), offset: row["source_offset"]))
    }
}
