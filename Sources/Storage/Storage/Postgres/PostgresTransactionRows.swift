import CSICCore
import Logging
import PostgresNIO

/// SQL for `transactions` and `transaction_addresses` on PostgreSQL.
enum PostgresTransactionRows {
    /// The columns of a ``StoredTransaction``, amounts as text (NUMERIC has no binary form PostgresNIO decodes).
    static func columns(_ table: String = "") -> String {
        let prefix = table.isEmpty ? "" : "\(table)."
        return """
            \(prefix)seq, \(prefix)id, \(prefix)chain, \(prefix)txid, \(prefix)block_height, \(prefix)block_hash, \
            \(prefix)block_time_us, \(prefix)seen_at_us, \(prefix)fee::text AS fee, \(prefix)total_output::text AS total_output, \
            \(prefix)input_count, \(prefix)output_count, \(prefix)status, \(prefix)risk_score, \(prefix)payload, \
            \(prefix)source_topic, \(prefix)source_partition, \(prefix)source_offset
            """
    }

    /// Bits of the `nulls` column of an upsert: which nullable fields a row leaves empty.
    private enum Null {
        static let blockHeight: Int32 = 1
        static let blockHash: Int32 = 2
        static let blockTime: Int32 = 4
        static let fee: Int32 = 8
        static let riskScore: Int32 = 16
    }

    /// One row per id: a later occurrence in the batch replaces the fields of an earlier one (a risk score it
    /// lacks is kept), and its addresses add to the earlier one's, as the batch applied row by row would do.
    static func collapse(
        _ prepared: PreparedTransactions
    ) -> (rows: [PreparedTransactions.Transaction], addresses: [(key: Int64, row: Int)]) {
        var rows: [PreparedTransactions.Transaction] = []
        var rowOfID: [String: Int] = [:]
        var rowOfPosition: [Int] = []
        rows.reserveCapacity(prepared.transactions.count)
        for transaction in prepared.transactions {
            if let existing = rowOfID[transaction.row.id] {
                let riskScore = transaction.row.riskScore ?? rows[existing].row.riskScore
                rows[existing] = transaction
                rows[existing].row.riskScore = riskScore
                rowOfPosition.append(existing)
            } else {
                rowOfID[transaction.row.id] = rows.count
                rowOfPosition.append(rows.count)
                rows.append(transaction)
            }
        }
        return (rows, prepared.addressEntries.map { ($0.key, rowOfPosition[$0.transaction]) })
    }

    /// Upserts the batch in three statements: the rows (one `UNNEST` insert, updating replayed ids), their
    /// address entries, and the row count.
    static func upsert(_ prepared: PreparedTransactions, _ connection: PostgresConnection, logger: Logger) async throws {
        let (rows, addresses) = collapse(prepared)
        var nulls: [Int32] = []
        nulls.reserveCapacity(rows.count)
        for transaction in rows {
            let row = transaction.row
            var mask: Int32 = 0
            if row.blockHeight == nil { mask |= Null.blockHeight }
            if row.blockHash == nil { mask |= Null.blockHash }
            if row.blockTime == nil { mask |= Null.blockTime }
            if transaction.feeText == nil { mask |= Null.fee }
            if row.riskScore == nil { mask |= Null.riskScore }
            nulls.append(mask)
        }
        let query: PostgresQuery = """
            INSERT INTO transactions (id, chain, txid, block_height, block_hash, block_time_us, seen_at_us, fee, total_output, input_count,
                output_count, status, risk_score, payload, source_topic, source_partition, source_offset)
            SELECT id, chain, txid, CASE WHEN nulls & 1 = 0 THEN block_height END, CASE WHEN nulls & 2 = 0 THEN block_hash END,
                CASE WHEN nulls & 4 = 0 THEN block_time_us END, seen_at_us, CASE WHEN nulls & 8 = 0 THEN fee::numeric END,
                total_output::numeric, input_count, output_count, status, CASE WHEN nulls & 16 = 0 THEN risk_score END, payload,
                source_topic, source_partition, source_offset
            FROM UNNEST(\(rows.map(\.row.id)), \(rows.map(\.row.chain.rawValue)), \(rows.map(\.row.txid)),
                \(rows.map { Int64(bitPattern: $0.row.blockHeight ?? 0) }), \(rows.map { $0.row.blockHash ?? "" }),
                \(rows.map { $0.row.blockTime?.microsecondsSinceEpoch ?? 0 }), \(rows.map(\.row.seenAt.microsecondsSinceEpoch)),
                \(rows.map { $0.feeText ?? "0" }), \(rows.map(\.totalOutputText)), \(rows.map { Int32(clamping: $0.row.inputCount) }),
                \(rows.map { Int32(clamping: $0.row.outputCount) }), \(rows.map(\.row.status.rawValue)),
                \(rows.map { Int32(clamping: $0.row.riskScore ?? 0) }), \(rows.map { ByteBuffer(bytes: $0.row.payload) }),
                \(rows.map(\.row.source.topic)), \(rows.map(\.row.source.partition)), \(rows.map(\.row.source.offset)), \(nulls))
                WITH ORDINALITY AS i(id, chain, txid, block_height, block_hash, block_time_us, seen_at_us, fee, total_output, input_count,
                    output_count, status, risk_score, payload, source_topic, source_partition, source_offset, nulls, ordinal)
            ORDER BY ordinal
            ON CONFLICT (id) DO UPDATE SET block_height = EXCLUDED.block_height, block_hash = EXCLUDED.block_hash,
                block_time_us = EXCLUDED.block_time_us, fee = EXCLUDED.fee, total_output = EXCLUDED.total_output,
                input_count = EXCLUDED.input_count, output_count = EXCLUDED.output_count, status = EXCLUDED.status,
                risk_score = COALESCE(EXCLUDED.risk_score, transactions.risk_score), payload = EXCLUDED.payload,
                source_topic = EXCLUDED.source_topic, source_partition = EXCLUDED.source_partition, source_offset = EXCLUDED.source_offset
            RETURNING id, seq, xmax = 0 AS inserted
            """
        var sequence: [String: Int64] = [:]
        sequence.reserveCapacity(rows.count)
        var added: Int64 = 0
        for try await (id, seq, inserted) in try await connection.query(query, logger: logger).decode((String, Int64, Bool).self) {
            sequence[id] = seq
            if inserted { added += 1 }
        }
        var entries: [(key: Int64, seq: Int64)] = addresses.compactMap { entry in
            sequence[rows[entry.row].row.id].map { (entry.key, $0) }
        }
        entries.sort { ($0.key, $0.seq) < ($1.key, $1.seq) }
        if !entries.isEmpty {
            try await connection.query(
                """
                INSERT INTO transaction_addresses (address_hash, seq) SELECT * FROM UNNEST(\(entries.map(\.key)), \(entries.map(\.seq)))
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
        if added > 0 {
            try await connection.query("UPDATE row_counts SET rows = rows + \(added) WHERE table_name = 'transactions'", logger: logger)
        }
    }
}
