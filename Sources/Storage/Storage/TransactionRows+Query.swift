import CSICCore
import GRDB

extension TransactionRows {
    /// A total output as SQLite orders it: the `transactions_time` index holds it, so every query writes it
    /// exactly so. Exact up to 2^53 base units; beyond, rows near a bound are checked exactly after reading.
    static let amountSQL = "CAST(total_output AS REAL)"

    /// One page of `query` after `cursor`. An address history alone is read through the address index
    /// (``page(address:limit:before:_:)``); any other filter or order through `transactions_time`. Cursors
    /// of sorted lists carry the sort key and the storage position of the last row (`-amount~1.5E8~123`).
    static func page(_ query: TransactionQuery, limit: Int, cursor: String?, _ db: Database) throws -> Page<StoredTransaction> {
        if query.isAddressHistory { return try page(address: query.address, limit: limit, before: try Cursor.decode(cursor), db) }
        // The page's rows are chosen from `transactions_time` alone (it covers every filter and sort column),
        // then only those rows are read: sorting whole rows would read every match.
        let (chosen, arguments) = try choosing(query, limit: limit, cursor: cursor)
        let sort = TransactionSortKey(query.order, amount: amountSQL)
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT *, \(amountSQL) AS amount_key FROM transactions WHERE seq IN (\(chosen)) ORDER BY \(sort.orderBy)
                """, arguments: arguments)
        let next = rows.count == limit ? rows.last.map(sort.encode) : nil
        return Page(items: try rows.map(decode).filter(query.admits), nextCursor: next)
    }

    /// The statement that picks the storage positions of one page of `query` after `cursor`, and its arguments.
    static func choosing(_ query: TransactionQuery, limit: Int, cursor: String?) throws -> (sql: String, arguments: StatementArguments) {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let address = query.address {
            let key = IndexKey.of(address)
            conditions.append(
                "seq IN (SELECT seq FROM transaction_addresses WHERE address_hash = ? "
                    + "UNION ALL SELECT seq FROM transaction_addresses_recent WHERE address_hash = ?)")
            arguments += [key, key]
        }
        if let chain = query.chain {
            conditions.append("chain = ?")
            arguments += [chain.rawValue]
        }
        if let from = query.from {
            conditions.append("seen_at_us >= ?")
            arguments += [from.microsecondsSinceEpoch]
        }
        if let to = query.to {
            conditions.append("seen_at_us <= ?")
            arguments += [to.microsecondsSinceEpoch]
        }
        // Widened a little: the exact comparison on the decoded rows (`admits`) decides at the bounds.
        if let minAmount = query.minAmount {
            conditions.append("\(amountSQL) >= ?")
            arguments += [approximate(minAmount) * (1 - 1e-9)]
        }
        if let maxAmount = query.maxAmount {
            conditions.append("\(amountSQL) <= ?")
            arguments += [approximate(maxAmount) * (1 + 1e-9)]
        }
        let sort = TransactionSortKey(query.order, amount: amountSQL)
        if let cursor {
            conditions.append(sort.after)
            arguments += try sort.decode(cursor)
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return ("SELECT seq FROM transactions \(filter) ORDER BY \(sort.orderBy) LIMIT ?", arguments + [limit])
    }

    static func approximate(_ amount: Amount) -> Double {
        Double(amount.decimalString) ?? .infinity
    }
}

/// SQLite's sort keys and cursors: amounts as doubles (`-amount~1.5E8~123`).
extension TransactionSortKey {
    var orderBy: String { columns.map { "\($0) \(descending ? "DESC" : "ASC")" }.joined(separator: ", ") }

    /// Rows strictly after the cursor's, in this order.
    var after: String {
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        return "(\(columns.joined(separator: ", "))) \(descending ? "<" : ">") (\(placeholders))"
    }

    func encode(_ row: Row) -> String {
        let seq: Int64 = row["seq"]
        let amount: Double = row["amount_key"] ?? 0
        switch order {
        case .newest: return String(seq)
        case .timeDescending, .timeAscending:
            let time: Int64 = row["seen_at_us"]
            let chain: String = row["chain"]
            return "\(order.rawValue)~\(time)~\(chain)~\(amount)~\(seq)"
        case .amountDescending, .amountAscending: return "\(order.rawValue)~\(amount)~\(seq)"
        }
    }

    /// The cursor's values; a cursor of another order or malformed is ``StoreError/invalidCursor(_:)``.
    func decode(_ cursor: String) throws -> StatementArguments {
        guard cursor.utf8.count <= 200 else { throw StoreError.invalidCursor(String(cursor.prefix(200))) }
        if order == .newest {
            guard let seq = try Cursor.decode(cursor) else { throw StoreError.invalidCursor(cursor) }
            return [seq]
        }
        let parts = cursor.split(separator: "~", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == columns.count + 1, parts[0] == order.rawValue, let seq = Int64(parts[parts.count - 1]),
            let amount = Double(parts[parts.count - 2]), amount.isFinite
        else { throw StoreError.invalidCursor(cursor) }
        if columns.count == 2 { return [amount, seq] }
        guard let time = Int64(parts[1]), Chain(rawValue: parts[2]) != nil else { throw StoreError.invalidCursor(cursor) }
        return [time, parts[2], amount, seq]
    }
}
