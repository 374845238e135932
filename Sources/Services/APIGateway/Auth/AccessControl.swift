import CSICCore
import EventLog
import Foundation
import Storage
import StreamRuntime
import Synchronization
import DurableFiles

/// Accounts, credentials and tokens of the API: who a bearer credential belongs to, signing in, refreshing
/// and signing out, and the account changes an admin makes (``AccessControl+Accounts``). Every change and
/// every sign-in is an audit record.
public final class AccessControl: Sendable {
    public let settings: AuthSettings
    let store: any UserStore & ConfigurationStore
    let log: any EventLog
    let hasher: PasswordHasher
    public let tokens: AccessTokens
    /// Where the token keys live (for rotation).
    let keyDirectory: String
    let loginLimiter: TokenBuckets
    let loginFailures: LoginFailures
    let now: @Sendable () -> Date
    /// Accounts and API keys as authentication last read them (one second; cleared by every change made here).
    let recentAccounts = RecentRows<UserAccount?>(seconds: 1)
    let recentKeys = RecentRows<StoredAPIKey?>(seconds: 1)

    /// Opens the token keys in `keyDirectory` (making the first) over `store`; audit records go to `log`.
    public init(
        settings: AuthSettings, store: any UserStore & ConfigurationStore, log: any EventLog, keyDirectory: String,
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws {
        self.settings = settings
        self.store = store
        self.log = log
        self.keyDirectory = keyDirectory
        self.now = now
        hasher = PasswordHasher(cost: settings.bcryptCost)
        tokens = try await AccessTokens(
            keys: try BlockingIO.run { try TokenKeys.load(directory: keyDirectory, at: Timestamp(now())) }, settings: settings, now: now)
        loginFailures = LoginFailures(limit: settings.lockoutFailures, lockSeconds: Double(settings.lockoutSeconds))
        loginLimiter = TokenBuckets(
            capacity: Double(settings.loginAttemptsPerMinute), perSecond: Double(settings.loginAttemptsPerMinute) / 60)
    }

    /// What a request's `Authorization` header proves.
    public enum Authentication: Sendable, Equatable {
        /// No credential.
        case anonymous
        case principal(Principal)
        /// A credential that is not valid, and why (for the audit record; the client hears only 401).
        case rejected(String)
    }

    /// Checks `Authorization: Bearer <access token | API key>`.
    public func authenticate(authorization: String?) async -> Authentication {
        guard let authorization else { return .anonymous }
        guard authorization.utf8.count <= 8192, authorization.lowercased().hasPrefix("bearer ") else {
            return .rejected("not_bearer")
        }
        let credential = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        do {
            if let key = APIKeyText(credential) { return try await authenticate(key) }
            switch await tokens.verify(credential) {
            case .failure(let rejection): return .rejected(rejection.rawValue)
            case .success(let claims):
                guard let user = try await account(claims.sub.value) else { return .rejected("unknown_user") }
                guard !user.disabled else { return .rejected("disabled_user") }
                return .principal(
                    Principal(
                        username: user.username, role: user.role, entityID: user.entityID, credential: .accessToken(id: claims.jti.value)))
            }
        } catch {
            return .rejected("store_unavailable")
        }
    }

    private func authenticate(_ key: APIKeyText) async throws -> Authentication {
        let stored = try await recentKeys.value(key.id, now: now().timeIntervalSince1970) { try await store.apiKey(id: $0) }
        guard let stored, Secrets.constantTimeEqual(stored.secretSHA256, Secrets.sha256(key.secret)) else {
            return .rejected("unknown_api_key")
        }
        guard stored.revokedAt == nil else { return .rejected("revoked_api_key") }
        guard let user = try await account(stored.username), !user.disabled else { return .rejected("disabled_user") }
        return .principal(Principal(username: user.username, role: user.role, entityID: user.entityID, credential: .apiKey(id: key.id)))
    }

    private func account(_ username: String) async throws -> UserAccount? {
        try await recentAccounts.value(username, now: now().timeIntervalSince1970) { try await store.user(username: $0) }
    }

    /// Appends `record`; the caller decides whether its failure stops what it records.
    func audit(_ record: AuditRecord) async throws {
        try await log.appendAudit(record)
    }
}

/// Token buckets by key (a source address, a principal): `capacity` requests at once, refilled at `perSecond`.
/// At most `maxKeys` keys are tracked; beyond that the fullest buckets are forgotten first (a full bucket
/// carries no state), so a flood of addresses cannot grow memory without bound.
public final class TokenBuckets: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Double
    }

    let capacity: Double
    let perSecond: Double
    let maxKeys: Int
    private let buckets: Mutex<[String: Bucket]>

    public init(capacity: Double, perSecond: Double, maxKeys: Int = 100_000) {
        self.capacity = capacity
        self.perSecond = perSecond
        self.maxKeys = maxKeys
        buckets = Mutex([:])
    }

    /// Takes one token for `key` at `time` (seconds); `nil` when taken, else the seconds until one is there.
    public func take(_ key: String, at time: Double) -> Double? {
        buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: time)
            bucket.tokens = min(capacity, bucket.tokens + max(0, time - bucket.updated) * perSecond)
            bucket.updated = time
            guard bucket.tokens >= 1 else {
                buckets[key] = bucket
                return (1 - bucket.tokens) / perSecond
            }
            bucket.tokens -= 1
            if buckets[key] == nil, buckets.count >= maxKeys {
                let full = buckets.filter { $0.value.tokens + (time - $0.value.updated) * perSecond >= capacity }.map(\.key)
                for stale in full.prefix(max(1, maxKeys / 10)) { buckets[stale] = nil }
                if buckets.count >= maxKeys, let any = buckets.keys.first { buckets[any] = nil }
            }
            buckets[key] = bucket
            return nil
        }
    }
}
