import CSICCore
import PostgresNIO

extension PostgresStore {
    public func placeHold(_ hold: LegalHold) async throws {
        try hold.validate()
        try await execute(
            """
            INSERT INTO legal_holds (id, record_class, subject, reason, case_reference, placed_by, placed_at_us, released_by, released_at_us)
            VALUES (\(hold.id), \(hold.recordClass.rawValue), \(hold.subject), \(hold.reason), \(hold.caseReference), \(hold.placedBy),
                \(hold.placedAt.microsecondsSinceEpoch), \(hold.releasedBy), \(hold.releasedAt?.microsecondsSinceEpoch))
            """)
    }

    public func releaseHold(id: String, by actor: String, at time: Timestamp) async throws -> LegalHold? {
        try await rows(
            """
            UPDATE legal_holds SET released_by = \(actor), released_at_us = \(time.microsecondsSinceEpoch)
            WHERE id = \(id) AND released_at_us IS NULL RETURNING *
            """, PostgresRows.hold
        ).first
    }

    /// Newest placed first (by `position`, the order of placing); only active or only released ones when asked.
    public func holds(active: Bool?, limit: Int, cursor: String?) async throws -> Page<LegalHold> {
        let before = try Cursor.decode(cursor) ?? Int64.max
        let found = try await rows(
            """
            SELECT * FROM legal_holds WHERE position < \(before) AND (\(active)::boolean IS NULL OR (released_at_us IS NULL) = \(active))
            ORDER BY position DESC LIMIT \(limit)
            """
        ) { (try $0["position"].decode(Int64.self), try PostgresRows.hold($0)) }
        return Page(items: found.map(\.1), nextCursor: Cursor.next(found.map(\.0), limit: limit))
    }

    /// As on SQLite: each batch of transactions, and each other class, is purged in one transaction that reads the
    /// active holds first, so a hold placed before that transaction began protects what it covers.
    public func purgeExpired(_ recordClass: RecordClass, retention: RecordRetention) async throws -> PurgeReport {
        try await PurgeRules.run(
            recordClass, retention: retention, logger: logger,
            batch: { cutoff, after in try await transaction { [self] in try await purgeTransactions(cutoff: cutoff, after: after, $0) } },
            simple: { cutoff in try await transaction { [self] in try await purgeSimple(recordClass, cutoff: cutoff, $0) } })
    }

    private func purgeSimple(_ recordClass: RecordClass, cutoff: Timestamp, _ connection: PostgresConnection) async throws -> (Int, Int) {
        let (table, time, held) = PurgeRules.simpleClass(recordClass)
        let cutoff = cutoff.microsecondsSinceEpoch
        var heldCount = 0
        for try await count in try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table) WHERE \(time) < $1 AND \(held)", binds: PostgresBindings(cutoff)),
            logger: logger
        ).decode(Int64.self) {
            heldCount = Int(count)
        }
        var purged = 0
        for try await count in try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    WITH purged AS (DELETE FROM \(table) WHERE \(time) < $1 AND NOT \(held) RETURNING 1),
                    counted AS (UPDATE row_counts SET rows = rows - (SELECT count(*) FROM purged) WHERE table_name = $2)
                    SELECT count(*) FROM purged
                    """, binds: PostgresBindings(cutoff, table)), logger: logger
        ).decode(Int64.self) {
            purged = Int(count)
        }
        return (purged, heldCount)
    }

    private func purgeTransactions(
        cutoff: Timestamp, after: Int64, _ connection: PostgresConnection
    ) async throws -> (
        purged: Int, held: Int, last: Int64?
    ) {
        var holds: [LegalHold] = []
        for try await row in try await connection.query(
            "SELECT * FROM legal_holds WHERE record_class = 'transactions' AND released_at_us IS NULL", logger: logger)
        {
            holds.append(try PostgresRows.hold(row.makeRandomAccess()))
        }
        var candidates: [(seq: Int64, id: String, txid: String, payload: ByteBuffer)] = []
        for try await row in try await connection.query(
            """
            SELECT seq, id, txid, payload FROM transactions
            WHERE seq > \(after) AND COALESCE(block_time_us, seen_at_us) < \(cutoff.microsecondsSinceEpoch) ORDER BY seq LIMIT \(Int64(RetentionRows.purgeBatch))
            """, logger: logger
        ).decode((Int64, String, String, ByteBuffer).self) {
            candidates.append(row)
        }
        guard let last = candidates.last?.seq else { return (0, 0, nil) }
        var purged: [Int64] = []
        var entries: [(key: Int64, seq: Int64)] = []
        for candidate in candidates {
            guard
                case .delete(let addresses) = PurgeRules.decide(
                    id: candidate.id, txid: candidate.txid, payload: candidate.payload.readableBytesView, holds: holds)
            else { continue }
            purged.append(candidate.seq)
            entries += addresses.map { (IndexKey.of($0), candidate.seq) }
        }
        if !purged.isEmpty {
            try await connection.query(
                """
                DELETE FROM transaction_addresses WHERE (address_hash, seq) IN (SELECT * FROM UNNEST(\(entries.map(\.key)), \(entries.map(\.seq))))
                """, logger: logger)
            try await connection.query("DELETE FROM transactions WHERE seq = ANY(\(purged))", logger: logger)
            try await connection.query(
                "UPDATE row_counts SET rows = rows - \(Int64(purged.count)) WHERE table_name = 'transactions'", logger: logger)
        }
        return (purged.count, candidates.count - purged.count, last)
    }
}
