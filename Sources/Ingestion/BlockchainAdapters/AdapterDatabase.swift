import Foundation
import GRDB

/// The SQLite file an adapter keeps its own state in (checkpoint, indexes), in WAL mode with full sync:
/// a step's state is written in one transaction after its events are durable.
enum AdapterDatabase {
    /// The key-value table every adapter's first migration creates; the checkpoint lives here.
    static let stateTable = "CREATE TABLE adapter_state (key TEXT PRIMARY KEY, value BLOB NOT NULL);"

    /// Opens `path` (creating its folder) and applies `migrator`.
    static func open(path: String, migrator: DatabaseMigrator) throws -> DatabaseQueue {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL") }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try migrator.migrate(queue)
        return queue
    }
}

extension ChainCheckpoint {
    /// The checkpoint saved in `db`, or an empty one of `depth`.
    static func load(_ db: Database, depth: Int) throws -> ChainCheckpoint {
        guard let data = try Data.fetchOne(db, sql: "SELECT value FROM adapter_state WHERE key = 'checkpoint'") else {
            return ChainCheckpoint(depth: depth)
        }
        let saved = try JSONDecoder().decode(ChainCheckpoint.self, from: data)
        return ChainCheckpoint(blocks: saved.blocks, depth: depth)
    }

    func save(_ db: Database) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO adapter_state (key, value) VALUES ('checkpoint', ?)", arguments: [try JSONEncoder().encode(self)])
    }
}
