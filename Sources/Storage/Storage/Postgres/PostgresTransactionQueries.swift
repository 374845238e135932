import CSICCore
import PostgresNIO

/// Lists of transactions on PostgreSQL: the filters and orders of ``TransactionQuery``, exact (amounts are
/// NUMERIC), each page read through `transactions_time`, the address index or the primary key.
enum PostgresTransactionQueries {
    /// Numbered parameters and their values, in order.
    struct Statement {
        var bindings = PostgresBindings()

        /// `$n` for `value`, bound next.
        mutating func bind(_ value: some PostgresThrowingDynamicTypeEncodable) throws -> String {
            try bindings.append(value)
            return "$\(bindings.count)"
        }
    }

    static func page(_ query: TransactionQuery, limit: Int, cursor: String?) throws -> PostgresQuery {
        var statement = Statement()
        let sort = TransactionSortKey(query.order, amount: "total_output")
        let columns = PostgresTransactionRows.columns("t")
        if query.isAddressHistory, let address = query.address {
            let key = try statement.bind(IndexKey.of(address))
            let before = try statement.bind(try Cursor.decode(cursor) ?? Int64.max)
            let count = try statement.bind(Int64(limit))
            return PostgresQuery(
                unsafeSQL: """
                    SELECT \(columns) FROM transaction_addresses a JOIN transactions t ON t.seq = a.seq
                    WHERE a.address_hash = \(key) AND a.seq < \(before) ORDER BY a.seq DESC LIMIT \(count)
                    """, binds: statement.bindings)
        }
        var conditions: [String] = []
        if let address = query.address {
            conditions.append(
                "t.seq IN (SELECT seq FROM transaction_addresses WHERE address_hash = \(try statement.bind(IndexKey.of(address))))")
        }
        if let chain = query.chain { conditions.append("t.chain = \(try statement.bind(chain.rawValue))") }
        if let from = query.from { conditions.append("t.seen_at_us >= \(try statement.bind(from.microsecondsSinceEpoch))") }
        if let to = query.to { conditions.append("t.seen_at_us <= \(try statement.bind(to.microsecondsSinceEpoch))") }
        if let minAmount = query.minAmount {
            conditions.append("t.total_output >= \(try statement.bind(minAmount.decimalString))::numeric")
        }
        if let maxAmount = query.maxAmount {
            conditions.append("t.total_output <= \(try statement.bind(maxAmount.decimalString))::numeric")
        }
        if let cursor { conditions.append(try sort.condition(after: cursor, &statement)) }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let count = try statement.bind(Int64(limit))
        // The page's rows are chosen from `transactions_time` alone (an index-only scan: it holds every filter and
        // sort column), then only those rows are read; sorting whole rows would read every match (at 10 million
        // rows: 53 requests a second in `csic bench api` before).
        return PostgresQuery(
            unsafeSQL: """
                SELECT \(columns) FROM transactions t
                WHERE t.seq IN (SELECT t.seq FROM transactions t \(filter) ORDER BY \(sort.qualifiedOrderBy) LIMIT \(count))
                ORDER BY \(sort.qualifiedOrderBy)
                """, binds: statement.bindings)
    }
}

/// PostgreSQL's sort keys and cursors: amounts exact (`-amount~150000000~123`).
extension TransactionSortKey {
    /// The ORDER BY of table `t`.
    var qualifiedOrderBy: String { columns.map { "t.\($0) \(descending ? "DESC" : "ASC")" }.joined(separator: ", ") }

    func encode(_ row: PostgresRandomAccessRow) throws -> String {
        let seq = try row["seq"].decode(Int64.self)
        let amount = try row["total_output"].decode(String.self)
        switch order {
        case .newest: return String(seq)
        case .timeDescending, .timeAscending:
            return
                "\(order.rawValue)~\(try row["seen_at_us"].decode(Int64.self))~\(try row["chain"].decode(String.self))~\(amount)~\(seq)"
        case .amountDescending, .amountAscending: return "\(order.rawValue)~\(amount)~\(seq)"
        }
    }

    /// The condition "after the cursor's row" with its values bound; a cursor of another order or malformed
    /// is ``StoreError/invalidCursor(_:)``.
    func condition(after cursor: String, _ statement: inout PostgresTransactionQueries.Statement) throws -> String {
        guard cursor.utf8.count <= 200 else { throw StoreError.invalidCursor(String(cursor.prefix(200))) }
        var values: [String] = []
        if order == .newest {
            guard let seq = try Cursor.decode(cursor) else { throw StoreError.invalidCursor(cursor) }
            values = [try statement.bind(seq)]
        } else {
            let parts = cursor.split(separator: "~", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == columns.count + 1, parts[0] == order.rawValue, let seq = Int64(parts[parts.count - 1]),
                let amount = Amount(decimal: parts[parts.count - 2])
            else { throw StoreError.invalidCursor(cursor) }
            if columns.count == 4 {
                guard let time = Int64(parts[1]), let chain = Chain(rawValue: parts[2]) else { throw StoreError.invalidCursor(cursor) }
                values = [try statement.bind(time), try statement.bind(chain.rawValue)]
            }
            values += ["\(try statement.bind(amount.decimalString))::numeric", try statement.bind(seq)]
        }
        let tuple = columns.map { "t.\($0)" }.joined(separator: ", ")
        return "(\(tuple)) \(descending ? "<" : ">") (\(values.joined(separator: ", ")))"
    }
}
