import CSICCore
import Foundation
import Storage
import Synchronization

/// What `POST /api/v1/auth/token` and `/refresh` answer.
public struct TokenGrant: Codable, Sendable, Equatable {
    public var accessToken: String
    public var tokenType = "Bearer"
    public var expiresIn: Int
    public var refreshToken: String
}

/// Why signing in or refreshing was refused. Every wrong credential is the same `invalidCredentials`, whatever
/// was wrong (unknown user, wrong password, locked or disabled account, wrong code): the reason is audited only.
public enum SignInFailure: Error, Equatable, Sendable {
    case invalidCredentials
    /// The password was right and the account's role needs a TOTP code, which was not given.
    case totpRequired
    /// Too many attempts from this address: retry after this many seconds.
    case throttled(retryAfter: Int)
    case invalidRefreshToken
}

extension AccessControl {
    static let totpPolicyKey = "auth.totp_required_roles"

    /// Signs in with a password (and a TOTP code when the account has one or its role needs one).
    public func signIn(username: String, password: String, totp: String?, source: String, requestID: String) async throws -> TokenGrant {
        try throttle(source)
        let time = now()
        let user = try await store.user(username: username)
        let passwordMatches = try await hasher.verify(password, hash: user?.passwordHash)
        func refuse(_ reason: String, _ failure: SignInFailure = .invalidCredentials) async throws -> Never {
            if failure == .invalidCredentials, loginFailures.fail(username, at: time.timeIntervalSince1970) {
                try await authRecord("auth.login", username, source, requestID, .denied, ["reason": "locked_out", "after": reason])
            }
            try await authRecord("auth.login", username, source, requestID, .denied, ["reason": reason])
            throw failure
        }
        if let lockedFor = loginFailures.lockedFor(username, at: time.timeIntervalSince1970) {
            try await authRecord(
                "auth.login", username, source, requestID, .denied, ["reason": "locked", "seconds_left": String(Int(lockedFor))])
            throw SignInFailure.invalidCredentials
        }
        guard let user else { try await refuse("unknown_user") }
        guard !user.disabled else { try await refuse("disabled_user") }
        guard passwordMatches else { try await refuse("wrong_password") }
        if let secret = user.totpSecret {
            guard let totp else { try await refuse("totp_missing", .totpRequired) }
            guard OneTimeCodes.verify(totp, secret: secret, at: time) else { try await refuse("wrong_totp") }
        } else if try await totpRequiredRoles().contains(user.role) {
            try await refuse("totp_not_enrolled", .totpRequired)
        }
        loginFailures.succeed(username)
        let grant = try await grant(for: user, family: UUID().uuidString.lowercased())
        try await authRecord("auth.login", username, source, requestID, .success, ["role": user.role.rawValue])
        return grant
    }

    /// Exchanges a refresh token for new tokens; a token used before revokes every token of its family.
    public func refresh(_ refreshToken: String, source: String, requestID: String) async throws -> TokenGrant {
        try throttle(source)
        let time = Timestamp(now())
        switch try await store.redeemRefreshToken(sha256: Secrets.sha256(refreshToken), at: time) {
        case .invalid:
            try await authRecord("auth.refresh", "unknown", source, requestID, .denied, ["reason": "invalid_refresh_token"])
            throw SignInFailure.invalidRefreshToken
        case .reused(let token):
            try await authRecord(
                "auth.refresh", token.username, source, requestID, .denied,
                ["reason": "refresh_token_reused", "family_revoked": token.family])
            throw SignInFailure.invalidRefreshToken
        case .redeemed(let token):
            guard let user = try await store.user(username: token.username), !user.disabled else {
                try await authRecord("auth.refresh", token.username, source, requestID, .denied, ["reason": "disabled_user"])
                throw SignInFailure.invalidRefreshToken
            }
            let grant = try await grant(for: user, family: token.family)
            try await authRecord("auth.refresh", user.username, source, requestID, .success, ["family": token.family])
            return grant
        }
    }

    /// Revokes the refresh token's family (signing out everywhere that sign-in reached).
    public func signOut(_ refreshToken: String, source: String, requestID: String) async throws {
        let revoked = try await store.revokeRefreshFamily(ofTokenSHA256: Secrets.sha256(refreshToken), at: Timestamp(now()))
        try await authRecord(
            "auth.logout", "anonymous", source, requestID, revoked ? .success : .denied, revoked ? [:] : ["reason": "invalid_refresh_token"]
        )
    }

    /// Roles that must give a TOTP code: the admin's policy in the store, else `auth.totp_required_roles`.
    public func totpRequiredRoles() async throws -> Set<UserAccount.Role> {
        guard let entry = try await store.configuration(key: Self.totpPolicyKey) else { return settings.totpRequiredRoles }
        return Set(entry.value.split(separator: ",").compactMap { UserAccount.Role(rawValue: String($0)) })
    }

    private func throttle(_ source: String) throws {
        if let wait = loginLimiter.take(source, at: now().timeIntervalSince1970) {
            throw SignInFailure.throttled(retryAfter: max(1, Int(wait.rounded(.up))))
        }
    }

    private func grant(for user: UserAccount, family: String) async throws -> TokenGrant {
        let (access, expiresIn) = try await tokens.issue(for: user)
        let refresh = "rt_" + Secrets.random()
        let issued = Timestamp(now())
        try await store.addRefreshToken(
            StoredRefreshToken(
                tokenSHA256: Secrets.sha256(refresh), family: family, username: user.username, issuedAt: issued,
                expiresAt: Timestamp(
                    microsecondsSinceEpoch: issued.microsecondsSinceEpoch + Int64(settings.refreshTokenSeconds) * 1_000_000)))
        return TokenGrant(accessToken: access, expiresIn: expiresIn, refreshToken: refresh)
    }

    /// The audit record of a sign-in, refresh or sign-out attempt; the actor is the name it was made for.
    private func authRecord(
        _ action: String, _ username: String, _ source: String, _ requestID: String, _ outcome: AuditOutcome, _ details: [String: String]
    ) async throws {
        try await audit(
            AuditRecord(
                id: UUID().uuidString.lowercased(), time: Timestamp(now()), actor: String(username.prefix(100)), action: action,
                resource: "auth", outcome: outcome, requestID: requestID, sourceAddress: source, details: details))
    }
}

/// Wrong sign-ins per username, known or not (so that lock-out tells nothing about which accounts exist):
/// `limit` failures in a row lock the name for `lockSeconds`. Kept in memory, bounded like ``TokenBuckets``.
final class LoginFailures: Sendable {
    struct Entry {
        var failures: Int
        var lockedUntil: Double
    }

    let limit: Int
    let lockSeconds: Double
    let maxKeys: Int
    private let entries = Mutex<[String: Entry]>([:])

    init(limit: Int, lockSeconds: Double, maxKeys: Int = 100_000) {
        self.limit = limit
        self.lockSeconds = lockSeconds
        self.maxKeys = maxKeys
    }

    /// Seconds the name stays locked, or `nil`.
    func lockedFor(_ username: String, at time: Double) -> Double? {
        entries.withLock { entries in
            guard let entry = entries[username], entry.lockedUntil > time else { return nil }
            return entry.lockedUntil - time
        }
    }

    /// Counts a failure; `true` when it locks the name.
    func fail(_ username: String, at time: Double) -> Bool {
        entries.withLock { entries in
            if entries[username] == nil, entries.count >= maxKeys {
                for key in entries.filter({ $0.value.lockedUntil <= time }).keys.prefix(max(1, maxKeys / 10)) { entries[key] = nil }
            }
            var entry = entries[username] ?? Entry(failures: 0, lockedUntil: 0)
            entry.failures += 1
            let locks = entry.failures >= limit
            if locks {
                entry = Entry(failures: 0, lockedUntil: time + lockSeconds)
            }
            entries[username] = entry
            return locks
        }
    }

    func succeed(_ username: String) {
        _ = entries.withLock { $0.removeValue(forKey: username) }
    }
}
