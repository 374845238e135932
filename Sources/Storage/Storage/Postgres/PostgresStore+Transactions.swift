import CSICCore
import PostgresNIO

extension PostgresStore {
    public func transaction(id: String) async throws -> StoredTransaction? {
        try await rows(
            PostgresQuery(
                unsafeSQL: "SELECT \(PostgresTransactionRows.columns()) FROM transactions WHERE id = $1", binds: PostgresBindings(id)),
            PostgresRows.transaction
        ).first
    }

    public func transactions(_ query: TransactionQuery, limit: Int, cursor: String?) async throws -> Page<StoredTransaction> {
        let statement = try PostgresTransactionQueries.page(query, limit: limit, cursor: cursor)
        let sort = TransactionSortKey(query.order, amount: "total_output")
        let found = try await rows(statement) { row in (try sort.encode(row), try PostgresRows.transaction(row)) }
        return Page(items: found.map(\.1), nextCursor: found.count == limit ? found.last?.0 : nil)
    }

    public func transactionCount() async throws -> Int {
        try await rowCount("transactions")
    }

    // MARK: feed

    public func transactions(after position: Int64, limit: Int) async throws -> [Positioned<StoredTransaction>] {
        try await rows(
            PostgresQuery(
                unsafeSQL: "SELECT \(PostgresTransactionRows.columns()) FROM transactions WHERE seq > $1 ORDER BY seq LIMIT $2",
                binds: PostgresBindings(position, Int64(limit)))
        ) { Positioned(position: try $0["seq"].decode(Int64.self), item: try PostgresRows.transaction($0)) }
    }

    public func deadLetters(after position: Int64, limit: Int) async throws -> [Positioned<DeadLetter>] {
        try await rows("SELECT * FROM dead_letters WHERE seq > \(position) ORDER BY seq LIMIT \(limit)") {
            Positioned(position: try $0["seq"].decode(Int64.self), item: try PostgresRows.deadLetter($0))
        }
    }

    public func feedPositions() async throws -> (transactions: Int64, deadLetters: Int64, alertChanges: Int64) {
        try await rows(
            """
            SELECT (SELECT COALESCE(MAX(seq), 0) FROM transactions), (SELECT COALESCE(MAX(seq), 0) FROM dead_letters),
                (SELECT COALESCE(MAX(seq), 0) FROM alert_history)
            """
        ) { (try $0[0].decode(Int64.self), try $0[1].decode(Int64.self), try $0[2].decode(Int64.self)) }.first ?? (0, 0, 0)
    }

}
