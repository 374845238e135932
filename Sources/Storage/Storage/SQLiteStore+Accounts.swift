import CSICCore
import GRDB

extension SQLiteStore {
    public func upsertUser(_ user: UserAccount) async throws {
        try await pool.write { db in try AccountRecord.upsert(user, db) }
    }

    public func user(username: String) async throws -> UserAccount? {
        try await pool.read { db in try AccountRecord.fetch(username: username, db) }
    }

    public func users() async throws -> [UserAccount] {
        try await pool.read { db in try AccountRecord.all(db) }
    }

    public func hasEnabledUser(role: UserAccount.Role) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM users WHERE role = ? AND disabled = 0)", arguments: [role.rawValue])
                ?? false
        }
    }

    public func updateUser(username: String, _ change: @escaping @Sendable (inout UserAccount) -> Void) async throws -> UserAccount? {
        try await pool.write { db in
            guard var user = try AccountRecord.fetch(username: username, db) else { return nil }
            change(&user)
            user.username = username
            try AccountRecord.upsert(user, db)
            return user
        }
    }

    public func addAPIKey(_ key: StoredAPIKey) async throws {
        try await pool.write { db in try APIKeyRecord(key).insert(db) }
    }

    public func apiKey(id: String) async throws -> StoredAPIKey? {
        try await pool.read { db in try APIKeyRecord.fetchOne(db, key: id)?.key }
    }

    public func apiKeys(username: String) async throws -> [StoredAPIKey] {
        try await pool.read { db in
            try APIKeyRecord.filter(Column("username") == username).order(Column("created_at_us")).fetchAll(db).map(\.key)
        }
    }

    public func revokeAPIKey(id: String, username: String, at time: Timestamp) async throws -> StoredAPIKey? {
        try await pool.write { db in
            guard var record = try APIKeyRecord.fetchOne(db, key: id), record.username == username, record.revokedAtUs == nil else {
                return nil
            }
            record.revokedAtUs = time.microsecondsSinceEpoch
            try record.update(db)
            return record.key
        }
    }

    public func addRefreshToken(_ token: StoredRefreshToken) async throws {
        try await pool.write { db in try RefreshTokenRecord(token).insert(db) }
    }

    public func redeemRefreshToken(sha256: String, at time: Timestamp) async throws -> RefreshRedemption {
        try await pool.write { db in try RefreshTokenRecord.redeem(sha256: sha256, at: time, db) }
    }

    public func revokeRefreshFamily(ofTokenSHA256 sha256: String, at time: Timestamp) async throws -> Bool {
        try await pool.write { db in
            guard let record = try RefreshTokenRecord.fetchOne(db, key: sha256) else { return false }
            try RefreshTokenRecord.revokeFamily(record.family, at: time, db)
            return true
        }
    }

    public func revokeRefreshTokens(username: String, at time: Timestamp) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE refresh_tokens SET revoked_at_us = ? WHERE username = ? AND revoked_at_us IS NULL",
                arguments: [time.microsecondsSinceEpoch, username])
        }
    }
}
