import CSICCore
import Storage
import CSICTestSupport
import Testing

/// Filtered and sorted transaction lists, read page by page, equal the same filter and order applied to every
/// row in memory: ties, cursors, both chains, and amounts beyond 2^53 compared exactly.
@Suite struct TransactionQueryTests {
    struct Written {
        var row: StoredTransaction
        var position: Int
        var addresses: [String]
    }

    static let base = 1_767_225_600
    static let huge = Amount(decimal: "100000000000000000000")!

    static func written() -> [Written] {
        (0..<400).map { index in
            let txid = String(format: "%064x", index + 1)
            let chain: Chain = index % 3 == 0 ? .ethereum : .bitcoin
            let amount: Amount =
                switch index % 5 {
                case 0: Amount(UInt64(1_000 * (index % 7))) // repeated values: ties broken by position
                case 1: Amount(decimal: "10000000000000000000\(index % 10)")! // 10^20 + 0...9: one double, distinct integers
                default: Amount(UInt64(index) * 12_345)
                }
            let seen = Timestamp(secondsSinceEpoch: Int64(base + index % 37))
            return Written(
                row: StoredTransaction(
                    id: "\(chain.idPrefix):\(txid)", chain: chain, txid: txid, blockHeight: nil, blockHash: nil, blockTime: nil,
                    seenAt: seen, fee: nil, totalOutput: amount, inputCount: 1, outputCount: 1, status: .confirmed, riskScore: nil,
                    payload: [1], source: LogPosition(topic: "transactions", partition: 0, offset: Int64(index))),
                position: index, addresses: [index % 4 == 0 ? "four" : "other"])
        }
    }

    /// What the store should answer, computed from the rows alone. SQLite sorts amounts as doubles (exact to 2^53
    /// base units; beyond, amounts a rounding apart keep storage order); PostgreSQL sorts them exactly (NUMERIC).
    static func expected(_ rows: [Written], _ query: TransactionQuery, on backend: StoreBackend) -> [String] {
        /// -1, 0 or 1 as the amounts of `left` and `right` compare on `backend`.
        func compareAmounts(_ left: Written, _ right: Written) -> Int {
            if backend == .postgres {
                return left.row.totalOutput < right.row.totalOutput ? -1 : left.row.totalOutput == right.row.totalOutput ? 0 : 1
            }
            let (a, b) = (Double(left.row.totalOutput.decimalString)!, Double(right.row.totalOutput.decimalString)!)
            return a < b ? -1 : a == b ? 0 : 1
        }
        /// Whether `left` comes before `right` in ascending order of the query's sort key.
        func ascending(_ left: Written, _ right: Written) -> Bool {
            if query.order == .timeAscending || query.order == .timeDescending {
                let (a, b) = ((left.row.seenAt, left.row.chain.rawValue), (right.row.seenAt, right.row.chain.rawValue))
                if a.0 != b.0 { return a.0 < b.0 }
                if a.1 != b.1 { return a.1 < b.1 }
            }
            let amounts = compareAmounts(left, right)
            return amounts != 0 ? amounts < 0 : left.position < right.position
        }
        let selected = rows.filter { row in
            (query.address.map(row.addresses.contains) ?? true) && (query.chain.map { $0 == row.row.chain } ?? true)
                && (query.from.map { row.row.seenAt >= $0 } ?? true) && (query.to.map { row.row.seenAt <= $0 } ?? true)
                && (query.minAmount.map { row.row.totalOutput >= $0 } ?? true)
                && (query.maxAmount.map { row.row.totalOutput <= $0 } ?? true)
        }
        let sorted: [Written] =
            switch query.order {
            case .newest: selected.sorted { $0.position > $1.position }
            case .timeAscending, .amountAscending: selected.sorted(by: ascending)
            case .timeDescending, .amountDescending: selected.sorted { ascending($1, $0) }
            }
        return sorted.map(\.row.id)
    }

    static func read(_ store: any PlatformStore, _ query: TransactionQuery, pageSize: Int) async throws -> [String] {
        var ids: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await store.transactions(query, limit: pageSize, cursor: cursor)
            ids += page.items.map(\.id)
            cursor = page.nextCursor
            pages += 1
        } while cursor != nil && pages < 1_000
        return ids
    }

    @Test(arguments: StoreBackend.available)
    func pagesOfEveryFilterAndOrderEqualTheRowsFilteredAndSortedInMemory(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        let rows = Self.written()
        try await store.apply(rows.map { TransactionWrite($0.row, addresses: $0.addresses) })
        let from = Timestamp(secondsSinceEpoch: Int64(Self.base + 5))
        let to = Timestamp(secondsSinceEpoch: Int64(Self.base + 20))
        let filters: [TransactionQuery] = [
            TransactionQuery(),
            TransactionQuery(chain: .bitcoin, from: from, to: to),
            TransactionQuery(from: from, to: to, minAmount: Amount(UInt64(5_000)), maxAmount: Amount(UInt64(2_000_000))),
            TransactionQuery(address: "four", chain: .ethereum),
            TransactionQuery(chain: .bitcoin, minAmount: Amount(decimal: "100000000000000000004")!),
            TransactionQuery(maxAmount: Amount(decimal: "100000000000000000002")!, order: .amountDescending),
        ]
        for filter in filters {
            for order in TransactionQuery.Order.allCases {
                var query = filter
                query.order = order
                let want = Self.expected(rows, query, on: backend)
                #expect(!want.isEmpty, "\(query)")
                for pageSize in [1, 7, 1000] {
                    let got = try await Self.read(store, query, pageSize: pageSize)
                    #expect(got == want, "\(query) in pages of \(pageSize)")
                }
            }
        }
    }

    @Test(arguments: StoreBackend.available) func aCursorOfAnotherOrderOrMalformedIsRefused(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        try await store.apply(Self.written().map { TransactionWrite($0.row, addresses: $0.addresses) })
        let byAmount = try await store.transactions(TransactionQuery(order: .amountDescending), limit: 5, cursor: nil)
        let cursor = try #require(byAmount.nextCursor)
        for (order, bad) in [
            (TransactionQuery.Order.timeDescending, cursor), (.amountAscending, cursor), (.newest, cursor),
            (.amountDescending, "-amount~nan~5"), (.amountDescending, "-amount~1~x"), (.timeDescending, "-time~1~dogecoin~1~1"),
            (.amountDescending, String(repeating: "~", count: 300)),
        ] {
            await #expect(throws: StoreError.self, "\(order) \(bad.prefix(40))") {
                _ = try await store.transactions(TransactionQuery(order: order), limit: 5, cursor: bad)
            }
        }
    }
}
