import GRDB

/// A named schema change of a component's own tables, applied once, in the order given, after the
/// platform's migrations, on whichever backend is configured. Names are permanent: a migration is never edited
/// once released, a new one is added.
///
/// ```swift
/// StoreMigration("2026-12-04-notes", sqlite: { db in
///     try db.execute(sql: "CREATE TABLE notes (id TEXT PRIMARY KEY, text TEXT NOT NULL)")
/// }, postgres: ["CREATE TABLE notes (id TEXT PRIMARY KEY, text TEXT NOT NULL)"])
/// ```
public struct StoreMigration: Sendable {
    public let name: String
    /// The change on the SQLite backend.
    public let sqlite: @Sendable (Database) throws -> Void
    /// The change on the PostgreSQL backend: statements run in order, in one transaction.
    public let postgres: [String]

    public init(_ name: String, sqlite: @escaping @Sendable (Database) throws -> Void, postgres: [String]) {
        self.name = name
        self.sqlite = sqlite
        self.postgres = postgres
    }
}
