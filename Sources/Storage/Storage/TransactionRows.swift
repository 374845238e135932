import CSICCore
import Foundation
import GRDB

/// SQL for the `transactions` and `transaction_addresses` tables.
enum TransactionRows {
    static let columns = """
        id, chain, txid, block_height, block_hash, block_time_us, seen_at_us, fee, total_output, input_count,
        output_count, status, risk_score, payload, source_topic, source_partition, source_offset
        """
    static let insertSQL = "INSERT INTO transactions (\(columns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) RETURNING seq"
    /// Same parameter numbers as `insertSQL`; `?18` is the row. A replay without a risk score keeps the stored one.
    static let updateSQL = """
        UPDATE transactions SET block_height = ?4, block_hash = ?5, block_time_us = ?6, fee = ?8, total_output = ?9,
            input_count = ?10, output_count = ?11, status = ?12, risk_score = COALESCE(?13, risk_score), payload = ?14,
            source_topic = ?15, source_partition = ?16, source_offset = ?17
        WHERE seq = ?18
        """
    static let lookupSQL = """
        SELECT seq FROM transaction_ids_recent WHERE id = ?1 UNION ALL SELECT seq FROM transaction_ids WHERE id = ?1 LIMIT 1
        """

    /// Upserts prepared rows (already in id order): an id found in either index level updates its row,
    /// a new id inserts a row and is staged; then the address entries are staged in key order and one key
    /// range of each staged index moves into its main index.
    static func upsert(_ prepared: PreparedWrites, mergeSlice: Int, _ db: Database) throws {
        guard !prepared.transactions.isEmpty else { return }
        let lookup = SQLiteBinder(try db.cachedStatement(sql: lookupSQL))
        let insert = SQLiteBinder(try db.cachedStatement(sql: insertSQL))
        let update = SQLiteBinder(try db.cachedStatement(sql: updateSQL))
        let stageID = SQLiteBinder(try db.cachedStatement(sql: "INSERT INTO transaction_ids_recent (id, seq) VALUES (?, ?)"))
        var sequences = [Int64](repeating: 0, count: prepared.transactions.count)
        for (position, transaction) in prepared.transactions.enumerated() {
            lookup.bind(1, transaction.row.id)
            if let existing = try lookup.step(in: db) {
                bindFields(transaction, update)
                update.bind(18, existing)
                try update.step(in: db)
                sequences[position] = existing
            } else {
                bindFields(transaction, insert)
                guard let seq = try insert.step(in: db) else { continue }
                stageID.bind(1, transaction.row.id)
                stageID.bind(2, seq)
                try stageID.step(in: db)
                sequences[position] = seq
            }
        }
        let index = SQLiteBinder(try db.cachedStatement(sql: "INSERT OR IGNORE INTO transaction_addresses_recent (address_hash, seq) VALUES (?, ?)"))
        for entry in prepared.addressEntries where sequences[entry.transaction] > 0 {
            index.bind(1, entry.key)
            index.bind(2, sequences[entry.transaction])
            try index.step(in: db)
        }
        try mergeRecentAddresses(slice: mergeSlice, db)
        try mergeRecentIDs(slice: mergeSlice, db)
    }

    private static func bindFields(_ transaction: PreparedWrites.Transaction, _ statement: SQLiteBinder) {
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

    /// Ids are `<chain>:<hex txid>`; slice k moves the staged ids whose first txid digit is one of a pair
    /// (the last slice takes everything else), a contiguous key range of the main id index per chain.
    static func mergeRecentIDs(slice: Int, _ db: Database) throws {
        let pairs = ["01", "23", "45", "67", "89", "ab", "cd"]
        let k = slice % mergeSlices
        let condition: String
        if k < pairs.count {
            let pair = Array(pairs[k])
            condition = "substr(id, 5, 1) IN ('\(pair[0])', '\(pair[1])')"
        } else {
            condition = "substr(id, 5, 1) NOT IN (\(pairs.joined().map { "'\($0)'" }.joined(separator: ", ")))"
        }
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO transaction_ids SELECT id, seq FROM transaction_ids_recent WHERE \(condition) ORDER BY id").execute()
        try db.cachedStatement(sql: "DELETE FROM transaction_ids_recent WHERE \(condition)").execute()
    }

    /// The number of key ranges the staged address entries are merged in, one range per write.
    static let mergeSlices = 8

    /// Moves the staged address entries of one hash range into the main index, in key order.
    static func mergeRecentAddresses(slice: Int, _ db: Database) throws {
        let width = UInt64(1) << 61  // 2^64 / mergeSlices
        let low = Int64(bitPattern: UInt64(bitPattern: Int64.min) &+ UInt64(slice % mergeSlices) &* width)
        let isLast = slice % mergeSlices == mergeSlices - 1
        let high = isLast ? Int64.max : low &+ Int64(width) &- 1
        try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO transaction_addresses (address_hash, seq)
            SELECT address_hash, seq FROM transaction_addresses_recent
            WHERE address_hash BETWEEN ? AND ? ORDER BY address_hash, seq
            """).execute(arguments: [low, high])
        try db.cachedStatement(sql: "DELETE FROM transaction_addresses_recent WHERE address_hash BETWEEN ? AND ?")
            .execute(arguments: [low, high])
    }

    static func fetch(id: String, _ db: Database) throws -> StoredTransaction? {
        try Row.fetchOne(db, sql: "SELECT * FROM transactions WHERE seq = (\(lookupSQL))", arguments: [id]).map(decode)
    }

    static func page(address: String?, limit: Int, before: Int64?, _ db: Database) throws -> Page<StoredTransaction> {
        let rows: [Row]
        if let address {
            rows = try Row.fetchAll(db, sql: """
                SELECT t.* FROM (
                    SELECT seq FROM transaction_addresses WHERE address_hash = ?1 AND seq < ?2
                    UNION
                    SELECT seq FROM transaction_addresses_recent WHERE address_hash = ?1 AND seq < ?2
                    ORDER BY seq DESC LIMIT ?3
                ) a JOIN transactions t ON t.seq = a.seq ORDER BY t.seq DESC
                """, arguments: [AddressKey.of(address), before ?? Int64.max, limit])
        } else {
            rows = try Row.fetchAll(db, sql: "SELECT * FROM transactions WHERE seq < ? ORDER BY seq DESC LIMIT ?",
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
            source: LogPosition(topic: row["source_topic"], partition: Int32(row["source_partition"] as Int64), offset: row["source_offset"]))
    }
}
