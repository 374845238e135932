import CSICCore
import CSICProtos
import Foundation
import GRDB

/// The Ethereum adapter's own durable state, one SQLite file: the follower's checkpoint and the transactions
/// of the blocks the checkpoint remembers, so an orphaned block's transactions are published as reverted
/// even when the node no longer serves the orphan.
///
/// Written in one transaction per block, after the block's events were appended durably; a crash in between
/// replays the block, and every change here is idempotent.
public final class EthereumAdapterState: Sendable {
    let queue: DatabaseQueue

    public init(path: String) throws {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-25-ethereum-adapter") { db in
            try db.execute(
                sql: """
                    CREATE TABLE recent_transactions (
                        height INTEGER NOT NULL,
                        position INTEGER NOT NULL,
                        event BLOB NOT NULL,
                        PRIMARY KEY (height, position)
                    ) WITHOUT ROWID;
                    """ + AdapterDatabase.stateTable)
        }
        queue = try AdapterDatabase.open(path: path, migrator: migrator)
    }

    /// The saved checkpoint, or an empty one of `depth`.
    public func checkpoint(depth: Int) async throws -> ChainCheckpoint {
        try await queue.read { db in try ChainCheckpoint.load(db, depth: depth) }
    }

    /// Records a connected block's transactions and the new checkpoint; forgets blocks older than it.
    public func connect(height: UInt64, transactions: [ChainTransaction], checkpoint: ChainCheckpoint) async throws {
        try await queue.write { db in
            try db.execute(sql: "DELETE FROM recent_transactions WHERE height = ?", arguments: [Int64(height)])
            let insert = try db.cachedStatement(sql: "INSERT INTO recent_transactions (height, position, event) VALUES (?, ?, ?)")
            for (position, transaction) in transactions.enumerated() {
                try insert.execute(arguments: [Int64(height), position, Data(transaction.serializedProto())])
            }
            if let oldest = checkpoint.blocks.first?.height {
                try db.execute(sql: "DELETE FROM recent_transactions WHERE height < ?", arguments: [Int64(oldest)])
            }
            try checkpoint.save(db)
        }
    }

    /// The transactions recorded for the block at `height`, in block order.
    public func transactions(height: UInt64) async throws -> [ChainTransaction] {
        try await queue.read { db in
            try Data.fetchAll(
                db, sql: "SELECT event FROM recent_transactions WHERE height = ? ORDER BY position", arguments: [Int64(height)]
            )
            .map { try ChainTransaction(protoBytes: $0) }
        }
    }

    /// Forgets a disconnected block's transactions and saves the checkpoint without it.
    public func disconnect(height: UInt64, checkpoint: ChainCheckpoint) async throws {
        try await queue.write { db in
            try db.execute(sql: "DELETE FROM recent_transactions WHERE height = ?", arguments: [Int64(height)])
            try checkpoint.save(db)
        }
    }
}
