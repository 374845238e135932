import CSICCore
import CSICTestSupport
import GRDB
import Testing

@testable import Storage

/// A filtered or sorted list picks its page from the `transactions_time` index alone: SQLite's plan for the
/// choosing statement reads no table row (a plan that did would read every match's whole row, payload
/// included, at 10 million rows).
@Suite struct TransactionQueryPlanTests {
    static let hour = Timestamp(secondsSinceEpoch: 1_767_225_600)

    static let queries: [(String, TransactionQuery, String?)] = [
        (
            "time range, chain and amount range by amount",
            TransactionQuery(
                chain: .bitcoin, from: hour, to: Timestamp(secondsSinceEpoch: 1_767_229_200), minAmount: Amount(100_000),
                maxAmount: Amount(10_000_000_000), order: .amountDescending), nil
        ),
        ("time range by time, after a cursor", TransactionQuery(from: hour, order: .timeAscending), "time~1767225600000000~bitcoin~5.0~9"),
        ("chain and amount by amount", TransactionQuery(chain: .ethereum, minAmount: Amount(1), order: .amountAscending), nil),
        ("time range, newest stored first", TransactionQuery(from: hour, to: Timestamp(secondsSinceEpoch: 1_767_229_200)), nil),
    ]

    @Test(arguments: queries.indices) func aPageIsChosenFromTheIndexAlone(_ index: Int) async throws {
        let (name, query, cursor) = Self.queries[index]
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.path + "/store.sqlite")
        let (sql, arguments) = try TransactionRows.choosing(query, limit: 50, cursor: cursor)
        let plan = try await store.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("COVERING INDEX transactions_time") }, "\(name): \(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN transactions") && !$0.contains("COVERING") }, "\(name): \(plan)")
    }
}
