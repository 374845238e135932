import CSICCore
import Foundation
import Storage

/// Why an account change was refused.
public enum AccountError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(field: String, message: String)
    case notFound(String)
    case exists(String)
    /// Disabling this admin would leave no enabled admin.
    case lastAdmin(String)

    public var description: String {
        switch self {
        case .invalid(let field, let message): "\(field): \(message)"
        case .notFound(let what): "\(what) not found"
        case .exists(let what): "\(what) already exists"
        case .lastAdmin(let name): "\(name) is the last enabled admin; enable or add another admin first"
        }
    }
}

/// A new API key: its record and the key itself, shown once.
public struct IssuedAPIKey: Sendable {
    public var key: StoredAPIKey
    public var text: String
}

extension AccessControl {
    /// Creates an account. A `reporting_entity` is bound to `entityID`; other roles have none.
    public func addUser(
        _ username: String, role: UserAccount.Role, password: String?, entityID: String?, displayName: String? = nil,
        by origin: ChangeOrigin
    ) async throws -> UserAccount {
        try Self.checkName(username, field: "username")
        if role == .reportingEntity {
            guard let entityID else { throw AccountError.invalid(field: "entity_id", message: "a reporting_entity needs an entity id") }
            try Self.checkName(entityID, field: "entity_id")
        } else if entityID != nil {
            throw AccountError.invalid(field: "entity_id", message: "only a reporting_entity is bound to an entity")
        }
        if let password, let weakness = PasswordHasher.weakness(of: password) {
            throw AccountError.invalid(field: "password", message: weakness)
        }
        guard try await store.user(username: username) == nil else { throw AccountError.exists("user \(username)") }
        var hash = ""
        if let password { hash = try await hasher.hash(password) }
        let user = UserAccount(
            username: username, displayName: displayName ?? username, role: role, passwordHash: hash, createdAt: Timestamp(now()),
            entityID: entityID)
        var details = ["role": role.rawValue, "password": password == nil ? "none" : "set"]
        details["entity_id"] = entityID
        try await changing("user.add", username, origin, details) { try await self.store.upsertUser(user) }
        return user
    }

    /// Disables an account: its tokens, refresh tokens and API keys stop working at once.
    public func disableUser(_ username: String, by origin: ChangeOrigin) async throws {
        let user = try await existing(username)
        if user.role == .admin, !user.disabled, try await store.users().filter({ $0.role == .admin && !$0.disabled }).count <= 1 {
            throw AccountError.lastAdmin(username)
        }
        try await changing("user.disable", username, origin, [:]) {
            _ = try await self.store.updateUser(username: username) { $0.disabled = true }
            try await self.store.revokeRefreshTokens(username: username, at: Timestamp(self.now()))
        }
    }

    /// Sets a new password and signs the account out everywhere (its refresh tokens are revoked).
    public func resetPassword(_ username: String, password: String, by origin: ChangeOrigin) async throws {
        _ = try await existing(username)
        if let weakness = PasswordHasher.weakness(of: password) { throw AccountError.invalid(field: "password", message: weakness) }
        let hash = try await hasher.hash(password)
        try await changing("user.reset_password", username, origin, [:]) {
            _ = try await self.store.updateUser(username: username) { $0.passwordHash = hash }
            try await self.store.revokeRefreshTokens(username: username, at: Timestamp(self.now()))
        }
    }

    /// Makes an API key for `username`; the returned text is the only copy of the secret.
    public func addAPIKey(_ username: String, label: String, by origin: ChangeOrigin) async throws -> IssuedAPIKey {
        _ = try await existing(username)
        guard label.utf8.count <= 100, !label.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw AccountError.invalid(field: "label", message: "a label has at most 100 bytes and no control characters")
        }
        let text = APIKeyText.make()
        let key = StoredAPIKey(
            id: text.id, username: username, secretSHA256: Secrets.sha256(text.secret), label: label, createdAt: Timestamp(now()))
        try await changing("user.add_key", username, origin, ["key_id": key.id, "label": label]) { try await self.store.addAPIKey(key) }
        return IssuedAPIKey(key: key, text: text.text)
    }

    /// Revokes one of `username`'s API keys.
    public func revokeAPIKey(_ username: String, keyID: String, by origin: ChangeOrigin) async throws {
        guard keyID.utf8.count <= 64, let key = try await store.apiKey(id: keyID), key.username == username, key.revokedAt == nil else {
            throw AccountError.notFound("active API key \(keyID.prefix(64)) of \(username.prefix(64))")
        }
        try await changing("user.revoke_key", username, origin, ["key_id": keyID]) {
            _ = try await self.store.revokeAPIKey(id: keyID, username: username, at: Timestamp(self.now()))
        }
    }

    /// Enrolls a new TOTP secret (replacing any earlier one); returns the secret and its `otpauth://` URL, once.
    public func enrollTOTP(_ username: String, by origin: ChangeOrigin) async throws -> (secret: String, url: String) {
        _ = try await existing(username)
        let secret = OneTimeCodes.newSecret()
        try await changing("user.enroll_totp", username, origin, [:]) {
            _ = try await self.store.updateUser(username: username) { $0.totpSecret = secret }
        }
        return (secret, OneTimeCodes.authenticatorURL(secret: secret, username: username, issuer: settings.issuer))
    }

    /// Sets which roles must give a TOTP code to sign in.
    public func setTOTPPolicy(_ roles: Set<UserAccount.Role>, by origin: ChangeOrigin) async throws {
        let value = roles.map(\.rawValue).sorted().joined(separator: ",")
        try await changing("auth.totp_policy", "auth", origin, ["roles": value]) {
            try await self.store.setConfiguration(
                ConfigurationEntry(key: Self.totpPolicyKey, value: value, updatedAt: Timestamp(self.now()), updatedBy: origin.actor))
        }
    }

    /// Makes a new token signing key; tokens of the old key stay valid until they expire.
    public func rotateSigningKey(by origin: ChangeOrigin) async throws -> String {
        var kid = ""
        try await changing("auth.rotate_key", "auth", origin, [:]) { kid = try await self.tokens.rotate(directory: self.keyDirectory) }
        return kid
    }

    /// Every account, and whether an enabled admin exists.
    public func users() async throws -> [UserAccount] { try await store.users() }

    public func apiKeys(of username: String) async throws -> [StoredAPIKey] {
        _ = try await existing(username)
        return try await store.apiKeys(username: username)
    }

    private func existing(_ username: String) async throws -> UserAccount {
        guard username.utf8.count <= 64, let user = try await store.user(username: username) else {
            throw AccountError.notFound("user \(username.prefix(64))")
        }
        return user
    }

    /// Names of users and entities: 1 to 64 of `a-z A-Z 0-9 . _ -`.
    static func checkName(_ name: String, field: String) throws {
        guard (1...64).contains(name.utf8.count),
            name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) })
        else { throw AccountError.invalid(field: field, message: "\(field) must be 1 to 64 of a-z, A-Z, 0-9, '.', '_' and '-'") }
    }

    /// Records the change before it is made (a change that cannot be recorded is not made), makes it, and
    /// records that it was made.
    private func changing(
        _ action: String, _ subject: String, _ origin: ChangeOrigin, _ details: [String: String], _ change: () async throws -> Void
    ) async throws {
        let resource = subject == "auth" ? "auth" : "users/\(subject)"
        func record(_ phase: String, _ outcome: AuditOutcome, _ extra: [String: String] = [:]) -> AuditRecord {
            AuditRecord(
                id: UUID().uuidString.lowercased(), time: Timestamp(now()), actor: origin.actor, action: action, resource: resource,
                outcome: outcome, requestID: origin.requestID, sourceAddress: origin.sourceAddress,
                details: details.merging(["phase": phase].merging(extra) { first, _ in first }) { first, _ in first })
        }
        try await audit(record("attempt", .success))
        defer {
            recentAccounts.clear()
            recentKeys.clear()
        }
        do {
            try await change()
        } catch {
            try? await audit(record("outcome", .failure, ["error": "\(error)".prefix(300).description]))
            throw error
        }
        try await audit(record("outcome", .success))
    }
}

extension AccessControl {
    /// The demo's admin: made when missing, else given `password` and enabled (`csic demo --admin-password`).
    public func ensureAdmin(_ username: String, password: String, by origin: ChangeOrigin) async throws {
        guard let user = try await store.user(username: username) else {
            _ = try await addUser(username, role: .admin, password: password, entityID: nil, by: origin)
            return
        }
        guard user.role == .admin else { throw AccountError.exists("user \(username) with role \(user.role.rawValue)") }
        try await resetPassword(username, password: password, by: origin)
        if user.disabled {
            try await changing("user.enable", username, origin, [:]) {
                _ = try await self.store.updateUser(username: username) { $0.disabled = false }
            }
        }
    }
}

extension Secrets {
    /// A random password for the demo admin: 20 characters that are easy to type.
    public static func demoPassword() -> String {
        random(from: "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY3479", count: 20)
    }
}
