import Foundation
import GRDB

/// The Bitcoin adapter's own durable state, one SQLite file: the follower's checkpoint and a UTXO index of
/// the outputs created by the blocks it applied (so inputs carry value and address without asking the node).
///
/// A block's index changes and the checkpoint are written in one transaction, after the block's events
/// were appended durably; a crash in between replays the block, and every change here is idempotent.
/// Spent outputs are kept, marked with the spending height, until they are deeper than the checkpoint
/// remembers, so a reorg can restore them.
public final class BitcoinAdapterState: Sendable {
    let queue: DatabaseQueue

    public init(path: String) throws {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-25-bitcoin-adapter") { db in
            try db.execute(
                sql: """
                    CREATE TABLE utxos (
                        txid BLOB NOT NULL,
                        vout INTEGER NOT NULL,
                        value INTEGER NOT NULL,
                        type TEXT NOT NULL,
                        address TEXT,
                        height INTEGER NOT NULL,
                        spent_height INTEGER,
                        PRIMARY KEY (txid, vout)
                    ) WITHOUT ROWID;
                    CREATE INDEX utxos_height ON utxos(height);
                    CREATE INDEX utxos_spent_height ON utxos(spent_height) WHERE spent_height IS NOT NULL;
                    """ + AdapterDatabase.stateTable)
        }
        queue = try AdapterDatabase.open(path: path, migrator: migrator)
    }

    /// The saved checkpoint, or an empty one of `depth`.
    public func checkpoint(depth: Int) async throws -> ChainCheckpoint {
        try await queue.read { db in try ChainCheckpoint.load(db, depth: depth) }
    }

    /// What the index knows of `outpoints` (unspent or spent by a block still in the checkpoint).
    public func spentOutputs(_ outpoints: [Outpoint]) async throws -> [Outpoint: SpentOutput] {
        try await queue.read { db in
            let statement = try db.cachedStatement(sql: "SELECT value, type, address FROM utxos WHERE txid = ? AND vout = ?")
            var found: [Outpoint: SpentOutput] = [:]
            for outpoint in outpoints {
                guard let row = try Row.fetchOne(statement, arguments: [Data(outpoint.txid.bytes), outpoint.index]) else { continue }
                found[outpoint] = SpentOutput(
                    value: UInt64(bitPattern: row["value"]), type: BitcoinOutputType(rawValue: row["type"]) ?? .nonstandard,
                    address: row["address"])
            }
            return found
        }
    }

    /// Records a connected block: its outputs, the outputs it spends, and the new checkpoint.
    public func connect(height: UInt64, created: [(Outpoint, SpentOutput)], spent: [Outpoint], checkpoint: ChainCheckpoint) async throws {
        try await queue.write { db in
            let insert = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO utxos (txid, vout, value, type, address, height, spent_height) VALUES (?, ?, ?, ?, ?, ?, NULL)
                    """)
            for (outpoint, output) in created {
                try insert.execute(arguments: [
                    Data(outpoint.txid.bytes), outpoint.index, Int64(bitPattern: output.value), output.type.rawValue, output.address,
                    Int64(height),
                ])
            }
            let spend = try db.cachedStatement(sql: "UPDATE utxos SET spent_height = ? WHERE txid = ? AND vout = ?")
            for outpoint in spent { try spend.execute(arguments: [Int64(height), Data(outpoint.txid.bytes), outpoint.index]) }
            if let oldest = checkpoint.blocks.first?.height {
                try db.execute(sql: "DELETE FROM utxos WHERE spent_height < ?", arguments: [Int64(oldest)])
            }
            try checkpoint.save(db)
        }
    }

    /// Undoes a disconnected block: its outputs go, the outputs it spent are unspent again.
    public func disconnect(height: UInt64, checkpoint: ChainCheckpoint) async throws {
        try await queue.write { db in
            try db.execute(sql: "DELETE FROM utxos WHERE height = ?", arguments: [Int64(height)])
            try db.execute(sql: "UPDATE utxos SET spent_height = NULL WHERE spent_height = ?", arguments: [Int64(height)])
            try checkpoint.save(db)
        }
    }
}
