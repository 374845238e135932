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

    /// The batch's rows as one `UNNEST` over 18 bound arrays (`$1`…`$18`), in batch order, named `i`, with the
    /// nullable fields restored from the `nulls` mask.
    static let rowsSQL = """
        SELECT id, chain, txid, CASE WHEN nulls & 1 = 0 THEN block_height END AS block_height,
            CASE WHEN nulls & 2 = 0 THEN block_hash END AS block_hash, CASE WHEN nulls & 4 = 0 THEN block_time_us END AS block_time_us,
            seen_at_us, CASE WHEN nulls & 8 = 0 THEN fee::numeric END AS fee, total_output::numeric AS total_output, input_count,
            output_count, status, CASE WHEN nulls & 16 = 0 THEN risk_score END AS risk_score, payload, source_topic, source_partition,
            source_offset, ordinal
        FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[], $5::text[], $6::int8[], $7::int8[], $8::text[], $9::text[],
            $10::int4[], $11::int4[], $12::text[], $13::int4[], $14::bytea[], $15::text[], $16::int4[], $17::int8[], $18::int4[])
            WITH ORDINALITY AS u(id, chain, txid, block_height, block_hash, block_time_us, seen_at_us, fee, total_output, input_count,
                output_count, status, risk_score, payload, source_topic, source_partition, source_offset, nulls, ordinal)
        """

    static let insertedColumns = """
        id, chain, txid, block_height, block_hash, block_time_us, seen_at_us, fee, total_output, input_count, output_count, status,
        risk_score, payload, source_topic, source_partition, source_offset
        """

    /// `rows` bound as the 18 arrays of ``rowsSQL``.
    static func bindings(_ rows: [PreparedTransactions.Transaction]) -> PostgresBindings {
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
        var bindings = PostgresBindings(capacity: 18)
        bindings.append(rows.map(\.row.id))
        bindings.append(rows.map(\.row.chain.rawValue))
        bindings.append(rows.map(\.row.txid))
        bindings.append(rows.map { Int64(bitPattern: $0.row.blockHeight ?? 0) })
        bindings.append(rows.map { $0.row.blockHash ?? "" })
        bindings.append(rows.map { $0.row.blockTime?.microsecondsSinceEpoch ?? 0 })
        bindings.append(rows.map(\.row.seenAt.microsecondsSinceEpoch))
        bindings.append(rows.map { $0.feeText ?? "0" })
        bindings.append(rows.map(\.totalOutputText))
        bindings.append(rows.map { Int32(clamping: $0.row.inputCount) })
        bindings.append(rows.map { Int32(clamping: $0.row.outputCount) })
        bindings.append(rows.map(\.row.status.rawValue))
        bindings.append(rows.map { Int32(clamping: $0.row.riskScore ?? 0) })
        bindings.append(rows.map { ByteBuffer(bytes: $0.row.payload) })
        bindings.append(rows.map(\.row.source.topic))
        bindings.append(rows.map(\.row.source.partition))
        bindings.append(rows.map(\.row.source.offset))
        bindings.append(nulls)
        return bindings
    }

    /// Upserts the batch: the rows whose ids are new in one `INSERT … SELECT FROM UNNEST … WHERE NOT EXISTS`
    /// (a plain insert: `ON CONFLICT` costs a speculative insertion per row, about a quarter of the statement),
    /// the replayed ones in one `UPDATE` (none in the usual batch), the new rows' address entries in one plain
    /// insert in key order, a replayed row's with `ON CONFLICT DO NOTHING`, and the row count. A row another
    /// process inserts between the check and the insert fails the batch on the unique index; the engine
    /// retries it and the retry updates that row.
    static func upsert(_ batch: PostgresBatch, _ connection: PostgresConnection, logger: Logger) async throws {
        let insert = PostgresQuery(
            unsafeSQL: """
                INSERT INTO transactions (\(insertedColumns))
                SELECT \(insertedColumns) FROM (\(rowsSQL)) i
                WHERE NOT EXISTS (SELECT 1 FROM transactions t WHERE t.id = i.id) ORDER BY ordinal
                RETURNING id, seq
                """, binds: batch.bindings)
        var sequences = [Int64](repeating: 0, count: batch.rows.count)
        var added = 0
        for try await (id, seq) in try await connection.query(insert, logger: logger).decode((String, Int64).self) {
            guard let row = batch.rowOfID[id] else { continue }
            sequences[row] = seq
            added += 1
        }
        let replayed = batch.rows.indices.filter { sequences[$0] == 0 }
        if !replayed.isEmpty {
            let update = PostgresQuery(
                unsafeSQL: """
                    UPDATE transactions t SET block_height = i.block_height, block_hash = i.block_hash, block_time_us = i.block_time_us,
                        fee = i.fee, total_output = i.total_output, input_count = i.input_count, output_count = i.output_count,
                        status = i.status, risk_score = COALESCE(i.risk_score, t.risk_score), payload = i.payload,
                        source_topic = i.source_topic, source_partition = i.source_partition, source_offset = i.source_offset
                    FROM (\(rowsSQL)) i WHERE t.id = i.id
                    RETURNING t.id, t.seq
                    """, binds: bindings(replayed.map { batch.rows[$0] }))
            for try await (id, seq) in try await connection.query(update, logger: logger).decode((String, Int64).self) {
                if let row = batch.rowOfID[id] { sequences[row] = -seq }
            }
        }
        // Entries are in (key, row) order, and new rows took ascending positions in row order: (key, seq) order.
        var fresh: [(key: Int64, seq: Int64)] = []
        var again: [(key: Int64, seq: Int64)] = []
        fresh.reserveCapacity(batch.addresses.count)
        for entry in batch.addresses {
            let seq = sequences[entry.row]
            if seq > 0 { fresh.append((entry.key, seq)) } else if seq < 0 { again.append((entry.key, -seq)) }
        }
        try await insertAddresses(fresh, ifMissing: false, connection, logger: logger)
        try await insertAddresses(again.sorted { ($0.key, $0.seq) < ($1.key, $1.seq) }, ifMissing: true, connection, logger: logger)
        if added > 0 {
            try await connection.query(
                "UPDATE row_counts SET rows = rows + \(Int64(added)) WHERE table_name = 'transactions'", logger: logger)
        }
    }

    /// Address entries, in key order and each once; `ifMissing`: entries of replayed rows, some perhaps stored
    /// already.
    private static func insertAddresses(
        _ sorted: [(key: Int64, seq: Int64)], ifMissing: Bool, _ connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !sorted.isEmpty else { return }
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(sorted.map(\.key))
        bindings.append(sorted.map(\.seq))
        try await connection.query(
            PostgresQuery(
                unsafeSQL: "INSERT INTO transaction_addresses (address_hash, seq) SELECT * FROM UNNEST($1::int8[], $2::int8[])"
                    + (ifMissing ? " ON CONFLICT DO NOTHING" : ""), binds: bindings), logger: logger)
    }
}

/// A batch of transactions made ready for PostgreSQL off the writer (``PostgresStore/prepare(_:)``), while the
/// previous batch is written: one row per id, its 18 column arrays encoded, its address entries in key order.
struct PostgresBatch: Sendable {
    /// One per id: a later occurrence in the batch replaces the fields of an earlier one (a risk score it lacks is
    /// kept), and its addresses add to the earlier one's, as the batch applied row by row would do.
    let rows: [PreparedTransactions.Transaction]
    let rowOfID: [String: Int]
    /// (address key, row), sorted, each once: an address a transaction both spends from and pays to is one entry.
    let addresses: [(key: Int64, row: Int)]
    /// ``PostgresTransactionRows/rowsSQL``'s parameters for `rows`.
    let bindings: PostgresBindings

    init(_ prepared: PreparedTransactions) {
        var rows: [PreparedTransactions.Transaction] = []
        var rowOfID: [String: Int] = [:]
        var rowOfPosition: [Int] = []
        rows.reserveCapacity(prepared.transactions.count)
        rowOfID.reserveCapacity(prepared.transactions.count)
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
        var addresses: [(key: Int64, row: Int)] = []
        addresses.reserveCapacity(prepared.addressEntries.count)
        for entry in prepared.addressEntries.map({ (key: $0.key, row: rowOfPosition[$0.transaction]) }).sorted(by: {
            ($0.key, $0.row) < ($1.key, $1.row)
        })
        where addresses.last.map({ $0 != entry }) ?? true {
            addresses.append(entry)
        }
        self.rows = rows
        self.rowOfID = rowOfID
        self.addresses = addresses
        self.bindings = PostgresTransactionRows.bindings(rows)
    }
}
