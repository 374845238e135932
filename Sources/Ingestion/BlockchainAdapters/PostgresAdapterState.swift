import CSICCore
import CSICProtos
import Foundation
import NIOCore
import PostgresNIO
import Storage

/// The Bitcoin adapter's state in PostgreSQL: `bitcoin_utxos` and the checkpoint in `bitcoin_adapter_state`,
/// each block's changes in one transaction (as ``BitcoinAdapterState`` does on SQLite).
public struct PostgresBitcoinAdapterState: BitcoinStateStore {
    let store: PostgresStore

    /// The tables, created by the Bitcoin component's migration on PostgreSQL (nothing on SQLite: there the
    /// state is its own file).
    public static let migration = StoreMigration(
        "2026-12-06-bitcoin-adapter-state", sqlite: { _ in },
        postgres: [
            """
            CREATE TABLE bitcoin_utxos (
                txid BYTEA NOT NULL, vout BIGINT NOT NULL, value BIGINT NOT NULL, type TEXT NOT NULL, address TEXT,
                height BIGINT NOT NULL, spent_height BIGINT, PRIMARY KEY (txid, vout))
            """,
            "CREATE INDEX bitcoin_utxos_height ON bitcoin_utxos (height)",
            "CREATE INDEX bitcoin_utxos_spent_height ON bitcoin_utxos (spent_height) WHERE spent_height IS NOT NULL",
            "CREATE TABLE bitcoin_adapter_state (key TEXT PRIMARY KEY, value BYTEA NOT NULL)",
        ])

    public func checkpoint(depth: Int) async throws -> ChainCheckpoint {
        try await AdapterCheckpoints.load(table: "bitcoin_adapter_state", store: store, depth: depth)
    }

    public func spentOutputs(_ outpoints: [Outpoint]) async throws -> [Outpoint: SpentOutput] {
        guard !outpoints.isEmpty else { return [:] }
        let txids = outpoints.map { ByteBuffer(bytes: $0.txid.bytes) }
        let vouts = outpoints.map { Int64($0.index) }
        return try await store.read(
            """
            SELECT u.txid, u.vout, u.value, u.type, u.address FROM UNNEST(\(txids), \(vouts)) AS o(txid, vout)
            JOIN bitcoin_utxos u ON u.txid = o.txid AND u.vout = o.vout
            """
        ) { rows in
            var found: [Outpoint: SpentOutput] = [:]
            for try await (txid, vout, value, type, address) in rows.decode((ByteBuffer, Int64, Int64, String, String?).self) {
                found[Outpoint(txid: Hash256(bytes: txid.readableBytesView), index: UInt32(truncatingIfNeeded: vout))] = SpentOutput(
                    value: UInt64(bitPattern: value), type: BitcoinOutputType(rawValue: type) ?? .nonstandard, address: address)
            }
            return found
        }
    }

    public func connect(height: UInt64, created: [(Outpoint, SpentOutput)], spent: [Outpoint], checkpoint: ChainCheckpoint) async throws {
        let height = Int64(height)
        try await store.transaction { connection in
            if !created.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO bitcoin_utxos (txid, vout, value, type, address, height, spent_height)
                    SELECT txid, vout, value, type, NULLIF(address, ''), \(height), NULL
                    FROM UNNEST(\(created.map { ByteBuffer(bytes: $0.0.txid.bytes) }), \(created.map { Int64($0.0.index) }),
                        \(created.map { Int64(bitPattern: $0.1.value) }), \(created.map(\.1.type.rawValue)), \(created.map { $0.1.address ?? "" }))
                        AS c(txid, vout, value, type, address)
                    ON CONFLICT (txid, vout) DO UPDATE SET value = EXCLUDED.value, type = EXCLUDED.type, address = EXCLUDED.address,
                        height = EXCLUDED.height, spent_height = NULL
                    """, logger: store.logger)
            }
            if !spent.isEmpty {
                try await connection.query(
                    """
                    UPDATE bitcoin_utxos u SET spent_height = \(height)
                    FROM UNNEST(\(spent.map { ByteBuffer(bytes: $0.txid.bytes) }), \(spent.map { Int64($0.index) })) AS s(txid, vout)
                    WHERE u.txid = s.txid AND u.vout = s.vout
                    """, logger: store.logger)
            }
            if let oldest = checkpoint.blocks.first?.height {
                try await connection.query("DELETE FROM bitcoin_utxos WHERE spent_height < \(Int64(oldest))", logger: store.logger)
            }
            try await AdapterCheckpoints.save(checkpoint, table: "bitcoin_adapter_state", connection, logger: store.logger)
        }
    }

    public func disconnect(height: UInt64, checkpoint: ChainCheckpoint) async throws {
        let height = Int64(height)
        try await store.transaction { connection in
            try await connection.query("DELETE FROM bitcoin_utxos WHERE height = \(height)", logger: store.logger)
            try await connection.query("UPDATE bitcoin_utxos SET spent_height = NULL WHERE spent_height = \(height)", logger: store.logger)
            try await AdapterCheckpoints.save(checkpoint, table: "bitcoin_adapter_state", connection, logger: store.logger)
        }
    }
}

/// The Ethereum adapter's state in PostgreSQL: `ethereum_recent_transactions` and the checkpoint in
/// `ethereum_adapter_state`.
public struct PostgresEthereumAdapterState: EthereumStateStore {
    let store: PostgresStore

    /// The tables, created by the Ethereum component's migration on PostgreSQL.
    public static let migration = StoreMigration(
        "2026-12-06-ethereum-adapter-state", sqlite: { _ in },
        postgres: [
            """
            CREATE TABLE ethereum_recent_transactions (
                height BIGINT NOT NULL, position BIGINT NOT NULL, event BYTEA NOT NULL, PRIMARY KEY (height, position))
            """,
            "CREATE TABLE ethereum_adapter_state (key TEXT PRIMARY KEY, value BYTEA NOT NULL)",
        ])

    public func checkpoint(depth: Int) async throws -> ChainCheckpoint {
        try await AdapterCheckpoints.load(table: "ethereum_adapter_state", store: store, depth: depth)
    }

    public func connect(height: UInt64, transactions: [ChainTransaction], checkpoint: ChainCheckpoint) async throws {
        let height = Int64(height)
        try await store.transaction { connection in
            try await connection.query("DELETE FROM ethereum_recent_transactions WHERE height = \(height)", logger: store.logger)
            if !transactions.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO ethereum_recent_transactions (height, position, event)
                    SELECT \(height), ordinality - 1, event FROM UNNEST(\(transactions.map { ByteBuffer(bytes: $0.serializedProto()) }))
                        WITH ORDINALITY AS t(event, ordinality)
                    """, logger: store.logger)
            }
            if let oldest = checkpoint.blocks.first?.height {
                try await connection.query("DELETE FROM ethereum_recent_transactions WHERE height < \(Int64(oldest))", logger: store.logger)
            }
            try await AdapterCheckpoints.save(checkpoint, table: "ethereum_adapter_state", connection, logger: store.logger)
        }
    }

    public func transactions(height: UInt64) async throws -> [ChainTransaction] {
        try await store.read("SELECT event FROM ethereum_recent_transactions WHERE height = \(Int64(height)) ORDER BY position") { rows in
            var found: [ChainTransaction] = []
            for try await event in rows.decode(ByteBuffer.self) {
                found.append(try ChainTransaction(protoBytes: Array(event.readableBytesView)))
            }
            return found
        }
    }

    public func disconnect(height: UInt64, checkpoint: ChainCheckpoint) async throws {
        try await store.transaction { connection in
            try await connection.query("DELETE FROM ethereum_recent_transactions WHERE height = \(Int64(height))", logger: store.logger)
            try await AdapterCheckpoints.save(checkpoint, table: "ethereum_adapter_state", connection, logger: store.logger)
        }
    }
}

/// An adapter's checkpoint as JSON under the key `checkpoint` of its state table (as on SQLite).
enum AdapterCheckpoints {
    static func load(table: String, store: PostgresStore, depth: Int) async throws -> ChainCheckpoint {
        let saved = try await store.rows(PostgresQuery(unsafeSQL: "SELECT value FROM \(table) WHERE key = 'checkpoint'")) { row in
            try JSONDecoder().decode(ChainCheckpoint.self, from: Data(try row[0].decode(ByteBuffer.self).readableBytesView))
        }
        return ChainCheckpoint(blocks: saved.first?.blocks ?? [], depth: depth)
    }

    static func save(_ checkpoint: ChainCheckpoint, table: String, _ connection: PostgresConnection, logger: Logger) async throws {
        var bindings = PostgresBindings()
        bindings.append(ByteBuffer(bytes: try JSONEncoder().encode(checkpoint)))
        try await connection.query(
            PostgresQuery(
                unsafeSQL:
                    "INSERT INTO \(table) (key, value) VALUES ('checkpoint', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                binds: bindings), logger: logger)
    }
}
