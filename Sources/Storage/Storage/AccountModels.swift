import CSICCore

/// A console or API account.
public struct UserAccount: Sendable, Hashable, Codable {
    /// What an account may do; each route declares the roles it admits.
    public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
        case admin, supervisor, analyst, auditor
        /// A licensed exchange's machine client, bound to one entity id: sees only its own entity's data.
        case reportingEntity = "reporting_entity"

        public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public var username: String
    public var displayName: String
    public var role: Role
    /// A bcrypt hash (`$2b$...`); never the password. Empty for an account that signs in with API keys only.
    public var passwordHash: String
    public var disabled: Bool
    public var createdAt: Timestamp
    /// The licensed entity a `reporting_entity` account acts for.
    public var entityID: String?
    /// The RFC 6238 shared secret when a second factor is enrolled.
    public var totpSecret: String?

    public init(
        username: String, displayName: String, role: Role, passwordHash: String, disabled: Bool = false, createdAt: Timestamp,
        entityID: String? = nil, totpSecret: String? = nil
    ) {
        self.username = username
        self.displayName = displayName
        self.role = role
        self.passwordHash = passwordHash
        self.disabled = disabled
        self.createdAt = createdAt
        self.entityID = entityID
        self.totpSecret = totpSecret
    }
}

/// An API key of a machine client: shown once when made, stored as the SHA-256 of its secret.
public struct StoredAPIKey: Sendable, Hashable, Codable {
    /// The public part of the key (`csic_<id>_<secret>`), also its name in audit records.
    public var id: String
    public var username: String
    public var secretSHA256: String
    public var label: String
    public var createdAt: Timestamp
    public var revokedAt: Timestamp?

    public init(id: String, username: String, secretSHA256: String, label: String, createdAt: Timestamp, revokedAt: Timestamp? = nil) {
        self.id = id
        self.username = username
        self.secretSHA256 = secretSHA256
        self.label = label
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// A refresh token, stored as the SHA-256 of its value. Each is used once; using it again revokes its family
/// (every token descended from the same sign-in).
public struct StoredRefreshToken: Sendable, Hashable, Codable {
    public var tokenSHA256: String
    public var family: String
    public var username: String
    public var issuedAt: Timestamp
    public var expiresAt: Timestamp
    public var usedAt: Timestamp?
    public var revokedAt: Timestamp?

    public init(
        tokenSHA256: String, family: String, username: String, issuedAt: Timestamp, expiresAt: Timestamp, usedAt: Timestamp? = nil,
        revokedAt: Timestamp? = nil
    ) {
        self.tokenSHA256 = tokenSHA256
        self.family = family
        self.username = username
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
        self.revokedAt = revokedAt
    }
}

/// What presenting a refresh token did.
public enum RefreshRedemption: Sendable, Equatable {
    /// It was valid and is now used: the caller issues the next token of the family.
    case redeemed(StoredRefreshToken)
    /// It had been used already: its whole family is now revoked (a stolen token was replayed).
    case reused(StoredRefreshToken)
    /// Unknown, expired or revoked.
    case invalid
}

/// Console and API accounts, their API keys and refresh tokens.
public protocol UserStore: Sendable {
    /// Inserts an account, or replaces every field of the one with the same username but its creation time.
    func upsertUser(_ user: UserAccount) async throws
    func user(username: String) async throws -> UserAccount?
    func users() async throws -> [UserAccount]
    /// Whether any enabled account has `role`.
    func hasEnabledUser(role: UserAccount.Role) async throws -> Bool
    /// Reads, changes and writes one account atomically; `nil` when there is no such account.
    func updateUser(username: String, _ change: @escaping @Sendable (inout UserAccount) -> Void) async throws -> UserAccount?
    func addAPIKey(_ key: StoredAPIKey) async throws
    func apiKey(id: String) async throws -> StoredAPIKey?
    func apiKeys(username: String) async throws -> [StoredAPIKey]
    /// Revokes the key; `nil` when there is no such key of `username` that is not revoked already.
    func revokeAPIKey(id: String, username: String, at time: Timestamp) async throws -> StoredAPIKey?
    func addRefreshToken(_ token: StoredRefreshToken) async throws
    /// Marks the token with this hash used, atomically, or revokes its family when it was used before.
    func redeemRefreshToken(sha256: String, at time: Timestamp) async throws -> RefreshRedemption
    /// Revokes every unrevoked token of the family of the token with this hash; `false` when there is none.
    func revokeRefreshFamily(ofTokenSHA256 sha256: String, at time: Timestamp) async throws -> Bool
    /// Revokes every refresh token of `username` (disabled account, new password).
    func revokeRefreshTokens(username: String, at time: Timestamp) async throws
}
