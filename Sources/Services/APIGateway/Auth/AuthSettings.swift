import Storage

/// The `auth:` section: how accounts sign in and how long tokens live.
public struct AuthSettings: Sendable, Hashable {
    /// bcrypt's log2 work factor for new password hashes (12 by default, 10 to 16).
    public var bcryptCost: Int = 12
    /// Lifetime of a signed access token.
    public var accessTokenSeconds: Int = 900
    /// Lifetime of a refresh token (each is used once and replaced).
    public var refreshTokenSeconds: Int = 7 * 86_400
    /// `iss` of the tokens this platform issues and accepts.
    public var issuer: String = "csic"
    /// `aud` of the tokens this platform issues and accepts.
    public var audience: String = "csic-api"
    /// Wrong passwords in a row that lock an account.
    public var lockoutFailures: Int = 5
    /// How long a locked account stays locked.
    public var lockoutSeconds: Int = 900
    /// Sign-in attempts one source address may make per minute (a token bucket; 429 beyond).
    public var loginAttemptsPerMinute: Int = 30
    /// Roles that must give a TOTP code to sign in, until an admin changes it (`PUT /api/v1/auth/totp-policy`).
    public var totpRequiredRoles: Set<UserAccount.Role> = []
    /// Who may read `/metrics`.
    public var metricsAccess: MetricsAccess = .loopback
    /// Requests per minute per principal and per source address, by route class (`auth.rate_limits.read`).
    public var rateLimits: [RouteClass: RateLimit] = [
        .read: RateLimit(perPrincipal: 6_000, perAddress: 12_000), .write: RateLimit(perPrincipal: 600, perAddress: 1_200),
    ]

    /// Who may read `/metrics` without a token.
    public enum MetricsAccess: String, Sendable, Hashable, CaseIterable {
        /// Anyone.
        case open
        /// Clients on the loopback interface; others need a token of an admin, supervisor or auditor.
        case loopback
        /// Only with a token.
        case token
    }

    public init() {}
}
