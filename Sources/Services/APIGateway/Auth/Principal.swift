import Storage

/// Who makes a request, once their credential has been checked.
public struct Principal: Sendable, Hashable {
    /// How the caller proved who they are.
    public enum Credential: Sendable, Hashable {
        /// A signed access token (its `jti`).
        case accessToken(id: String)
        /// An API key (its public id).
        case apiKey(id: String)
    }

    public var username: String
    public var role: UserAccount.Role
    /// The licensed entity of a `reporting_entity`.
    public var entityID: String?
    public var credential: Credential

    public init(username: String, role: UserAccount.Role, entityID: String?, credential: Credential) {
        self.username = username
        self.role = role
        self.entityID = entityID
        self.credential = credential
    }
}
