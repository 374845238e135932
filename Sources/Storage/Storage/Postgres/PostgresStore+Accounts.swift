import CSICCore
import PostgresNIO

extension PostgresStore {
    public func upsertUser(_ user: UserAccount) async throws {
        try await execute(Self.upsertUserQuery(user))
    }

    static func upsertUserQuery(_ user: UserAccount) -> PostgresQuery {
        """
        INSERT INTO users (username, display_name, role, password_hash, disabled, created_at_us, entity_id, totp_secret)
        VALUES (\(user.username), \(user.displayName), \(user.role.rawValue), \(user.passwordHash), \(user.disabled),
            \(user.createdAt.microsecondsSinceEpoch), \(user.entityID), \(user.totpSecret))
        ON CONFLICT (username) DO UPDATE SET display_name = EXCLUDED.display_name, role = EXCLUDED.role,
            password_hash = EXCLUDED.password_hash, disabled = EXCLUDED.disabled, entity_id = EXCLUDED.entity_id,
            totp_secret = EXCLUDED.totp_secret
        """
    }

    public func user(username: String) async throws -> UserAccount? {
        try await rows("SELECT * FROM users WHERE username = \(username)", PostgresRows.user).first
    }

    public func users() async throws -> [UserAccount] {
        try await rows("SELECT * FROM users ORDER BY username", PostgresRows.user)
    }

    public func hasEnabledUser(role: UserAccount.Role) async throws -> Bool {
        try await rows("SELECT EXISTS (SELECT 1 FROM users WHERE role = \(role.rawValue) AND NOT disabled)") {
            try $0[0].decode(Bool.self)
        }.first ?? false
    }

    public func updateUser(username: String, _ change: @escaping @Sendable (inout UserAccount) -> Void) async throws -> UserAccount? {
        try await transaction { [self] connection in
            var found: UserAccount?
            for try await row in try await connection.query("SELECT * FROM users WHERE username = \(username) FOR UPDATE", logger: logger) {
                found = try PostgresRows.user(row.makeRandomAccess())
            }
            guard var user = found else { return nil }
            change(&user)
            user.username = username
            try await connection.query(Self.upsertUserQuery(user), logger: logger)
            return user
        }
    }

    public func addAPIKey(_ key: StoredAPIKey) async throws {
        try await execute(
            """
            INSERT INTO api_keys (id, username, secret_sha256, label, created_at_us, revoked_at_us)
            VALUES (\(key.id), \(key.username), \(key.secretSHA256), \(key.label), \(key.createdAt.microsecondsSinceEpoch),
                \(key.revokedAt?.microsecondsSinceEpoch))
            """)
    }

    public func apiKey(id: String) async throws -> StoredAPIKey? {
        try await rows("SELECT * FROM api_keys WHERE id = \(id)", PostgresRows.apiKey).first
    }

    public func apiKeys(username: String) async throws -> [StoredAPIKey] {
        try await rows("SELECT * FROM api_keys WHERE username = \(username) ORDER BY created_at_us", PostgresRows.apiKey)
    }

    public func revokeAPIKey(id: String, username: String, at time: Timestamp) async throws -> StoredAPIKey? {
        try await rows(
            """
            UPDATE api_keys SET revoked_at_us = \(time.microsecondsSinceEpoch)
            WHERE id = \(id) AND username = \(username) AND revoked_at_us IS NULL RETURNING *
            """, PostgresRows.apiKey
        ).first
    }

    public func addRefreshToken(_ token: StoredRefreshToken) async throws {
        try await execute(
            """
            INSERT INTO refresh_tokens (token_sha256, family, username, issued_at_us, expires_at_us, used_at_us, revoked_at_us)
            VALUES (\(token.tokenSHA256), \(token.family), \(token.username), \(token.issuedAt.microsecondsSinceEpoch),
                \(token.expiresAt.microsecondsSinceEpoch), \(token.usedAt?.microsecondsSinceEpoch), \(token.revokedAt?.microsecondsSinceEpoch))
            """)
    }

    /// Uses the token once; a second use revokes the family in the same transaction. The row is locked, so two
    /// processes presenting the same token at once cannot both redeem it.
    public func redeemRefreshToken(sha256: String, at time: Timestamp) async throws -> RefreshRedemption {
        let now = time.microsecondsSinceEpoch
        return try await transaction { [self] connection in
            var found: StoredRefreshToken?
            for try await row in try await connection.query(
                "SELECT * FROM refresh_tokens WHERE token_sha256 = \(sha256) FOR UPDATE", logger: logger)
            {
                found = try PostgresRows.refreshToken(row.makeRandomAccess())
            }
            guard var token = found, token.revokedAt == nil, token.expiresAt.microsecondsSinceEpoch > now else { return .invalid }
            if token.usedAt != nil {
                try await connection.query(
                    "UPDATE refresh_tokens SET revoked_at_us = \(now) WHERE family = \(token.family) AND revoked_at_us IS NULL",
                    logger: logger)
                return .reused(token)
            }
            try await connection.query("UPDATE refresh_tokens SET used_at_us = \(now) WHERE token_sha256 = \(sha256)", logger: logger)
            token.usedAt = time
            return .redeemed(token)
        }
    }

    public func revokeRefreshFamily(ofTokenSHA256 sha256: String, at time: Timestamp) async throws -> Bool {
        try await rows(
            """
            WITH token AS (SELECT family FROM refresh_tokens WHERE token_sha256 = \(sha256)),
            revoked AS (
                UPDATE refresh_tokens SET revoked_at_us = \(time.microsecondsSinceEpoch)
                WHERE family IN (SELECT family FROM token) AND revoked_at_us IS NULL
            )
            SELECT EXISTS (SELECT 1 FROM token)
            """
        ) { try $0[0].decode(Bool.self) }.first ?? false
    }

    public func revokeRefreshTokens(username: String, at time: Timestamp) async throws {
        try await execute(
            "UPDATE refresh_tokens SET revoked_at_us = \(time.microsecondsSinceEpoch) WHERE username = \(username) AND revoked_at_us IS NULL"
        )
    }
}
