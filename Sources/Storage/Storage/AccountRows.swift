import CSICCore
import GRDB

/// A row of `users`; an update keeps the account's creation time.
struct AccountRecord: StoreRecord {
    static let databaseTableName = "users"
    var username: String
    var displayName: String
    var role: String
    var passwordHash: String
    var disabled: Bool
    var createdAtUs: Int64
    var entityId: String?
    var totpSecret: String?

    var account: UserAccount {
        UserAccount(
            username: username, displayName: displayName, role: UserAccount.Role(rawValue: role) ?? .analyst, passwordHash: passwordHash,
            disabled: disabled, createdAt: Timestamp(microsecondsSinceEpoch: createdAtUs), entityID: entityId, totpSecret: totpSecret)
    }

    static func upsert(_ user: UserAccount, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO users (username, display_name, role, password_hash, disabled, created_at_us, entity_id, totp_secret)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(username) DO UPDATE SET display_name = excluded.display_name, role = excluded.role,
                    password_hash = excluded.password_hash, disabled = excluded.disabled, entity_id = excluded.entity_id,
                    totp_secret = excluded.totp_secret
                """,
            arguments: [
                user.username, user.displayName, user.role.rawValue, user.passwordHash, user.disabled,
                user.createdAt.microsecondsSinceEpoch, user.entityID, user.totpSecret,
            ])
    }

    static func fetch(username: String, _ db: Database) throws -> UserAccount? {
        try fetchOne(db, key: username)?.account
    }

    static func all(_ db: Database) throws -> [UserAccount] {
        try order(Column("username")).fetchAll(db).map(\.account)
    }
}

/// A row of `api_keys`.
struct APIKeyRecord: StoreRecord {
    static let databaseTableName = "api_keys"
    var id: String
    var username: String
    var secretSha256: String
    var label: String
    var createdAtUs: Int64
    var revokedAtUs: Int64?

    init(_ key: StoredAPIKey) {
        id = key.id
        username = key.username
        secretSha256 = key.secretSHA256
        label = key.label
        createdAtUs = key.createdAt.microsecondsSinceEpoch
        revokedAtUs = key.revokedAt?.microsecondsSinceEpoch
    }

    var key: StoredAPIKey {
        StoredAPIKey(
            id: id, username: username, secretSHA256: secretSha256, label: label, createdAt: Timestamp(microsecondsSinceEpoch: createdAtUs),
            revokedAt: revokedAtUs.map(Timestamp.init(microsecondsSinceEpoch:)))
    }
}

/// A row of `refresh_tokens`.
struct RefreshTokenRecord: StoreRecord {
    static let databaseTableName = "refresh_tokens"
    var tokenSha256: String
    var family: String
    var username: String
    var issuedAtUs: Int64
    var expiresAtUs: Int64
    var usedAtUs: Int64?
    var revokedAtUs: Int64?

    init(_ token: StoredRefreshToken) {
        tokenSha256 = token.tokenSHA256
        family = token.family
        username = token.username
        issuedAtUs = token.issuedAt.microsecondsSinceEpoch
        expiresAtUs = token.expiresAt.microsecondsSinceEpoch
        usedAtUs = token.usedAt?.microsecondsSinceEpoch
        revokedAtUs = token.revokedAt?.microsecondsSinceEpoch
    }

    var token: StoredRefreshToken {
        StoredRefreshToken(
            tokenSHA256: tokenSha256, family: family, username: username, issuedAt: Timestamp(microsecondsSinceEpoch: issuedAtUs),
            expiresAt: Timestamp(microsecondsSinceEpoch: expiresAtUs), usedAt: usedAtUs.map(Timestamp.init(microsecondsSinceEpoch:)),
            revokedAt: revokedAtUs.map(Timestamp.init(microsecondsSinceEpoch:)))
    }

    /// Uses the token once; a second use revokes the family in the same transaction.
    static func redeem(sha256: String, at time: Timestamp, _ db: Database) throws -> RefreshRedemption {
        guard let record = try fetchOne(db, key: sha256), record.revokedAtUs == nil,
            record.expiresAtUs > time.microsecondsSinceEpoch
        else { return .invalid }
        if record.usedAtUs != nil {
            try revokeFamily(record.family, at: time, db)
            return .reused(record.token)
        }
        try db.execute(
            sql: "UPDATE refresh_tokens SET used_at_us = ? WHERE token_sha256 = ?", arguments: [time.microsecondsSinceEpoch, sha256])
        var used = record.token
        used.usedAt = time
        return .redeemed(used)
    }

    static func revokeFamily(_ family: String, at time: Timestamp, _ db: Database) throws {
        try db.execute(
            sql: "UPDATE refresh_tokens SET revoked_at_us = ? WHERE family = ? AND revoked_at_us IS NULL",
            arguments: [time.microsecondsSinceEpoch, family])
    }
}

extension StoreMigrations {
    /// Sign-in state on `users`, API keys and refresh tokens (the API gateway's accounts).
    static func registerAccounts(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-05-accounts") { db in
            try db.execute(
                sql: """
                    ALTER TABLE users ADD COLUMN entity_id TEXT;
                    ALTER TABLE users ADD COLUMN totp_secret TEXT;
                    UPDATE users SET role = 'reporting_entity' WHERE role = 'service';
                    CREATE TABLE api_keys (
                        id TEXT PRIMARY KEY,
                        username TEXT NOT NULL REFERENCES users(username),
                        secret_sha256 TEXT NOT NULL,
                        label TEXT NOT NULL,
                        created_at_us INTEGER NOT NULL,
                        revoked_at_us INTEGER
                    );
                    CREATE INDEX api_keys_username ON api_keys(username);
                    CREATE TABLE refresh_tokens (
                        token_sha256 TEXT PRIMARY KEY,
                        family TEXT NOT NULL,
                        username TEXT NOT NULL REFERENCES users(username),
                        issued_at_us INTEGER NOT NULL,
                        expires_at_us INTEGER NOT NULL,
                        used_at_us INTEGER,
                        revoked_at_us INTEGER
                    );
                    CREATE INDEX refresh_tokens_family ON refresh_tokens(family);
                    CREATE INDEX refresh_tokens_username ON refresh_tokens(username);
                    """)
        }
    }
}
