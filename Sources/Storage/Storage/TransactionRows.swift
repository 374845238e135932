import CSICCore
import Foundation
import GRDB

/// SQL for the `transactions` and `transaction_addresses` tables.
enum TransactionRows {
    static let upsertSQL = """
        INSERT INTO transactions (id, chain, txid, block_height, block_hash, block_time_us, seen_at_us, fee,
            total_output, input_count, output_count, status, risk_score, payload,
            source_topic, source_partition, source_offset)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET
            block_height = excluded.block_height, block_hash = excluded.block_hash,
            block_time_us = excluded.block_time_us, fee = excluded.fee, total_output = excluded.total_output,
            input_count = excluded.input_count, output_count = excluded.output_count, status = excluded.status,
            risk_score = COALESCE(excluded.risk_score, transactions.risk_score), payload = excluded.payload,
            source_topic = excluded.source_topic, source_partition = excluded.source_partition,
            source_offset = excluded.source_offset
        RETURNING seq
        """

    /// Upserts prepared rows (already in id order), then stages their address entries in key order.
    static func upsert(_ prepared: PreparedWrites, mergeSlice: Int, _ db: Database) throws {
        guard !prepared.transactions.isEmpty else { return }
        let upsert = SQLiteBinder(try db.cachedStatement(sql: upsertSQL))
        var sequences = [Int64](repeating: 0, count: prepared.transactions.count)
        for (position, transaction) in prepared.transactions.enumerated() {
            let row = transaction.row
            upsert.bind(1, row.id)
            upsert.bind(2, row.chain.rawValue)
            upsert.bind(3, row.txid)
            upsert.bind(4, row.blockHeight.map { Int64(bitPattern: $0) })
            upsert.bind(5, row.blockHash)
            upsert.bind(6, row.blockTime?.microsecondsSinceEpoch)
            upsert.bind(7, row.seenAt.microsecondsSinceEpoch)
            upsert.bind(8, transaction.feeText)
            upsert.bind(9, transaction.totalOutputText)
            upsert.bind(10, Int64(row.inputCount))
            upsert.bind(11, Int64(row.outputCount))
            upsert.bind(12, row.status.rawValue)
            upsert.bind(13, row.riskScore.map(Int64.init))
            upsert.bind(14, blob: row.payload)
            upsert.bind(15, row.source.topic)
            upsert.bind(16, Int64(row.source.partition))
            upsert.bind(17, row.source.offset)
            sequences[position] = try upsert.step(in: db) ?? 0
        }
        let index = SQLiteBinder(try db.cachedStatement(sql: "INSERT OR IGNORE INTO transaction_addresses_recent (address_hash, seq) VALUES (?, ?)"))
        for entry in prepared.addressEntries where sequences[entry.transaction] > 0 {
            index.bind(1, entry.key)
            index.bind(2, sequences[entry.transaction])
            try index.step(in: db)
        }
        try mergeRecentAddresses(slice: mergeSlice, db)
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
        try Row.fetchOne(db, sql: "SELECT * FROM transactions WHERE id = ?", arguments: [id]).map(decode)
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
