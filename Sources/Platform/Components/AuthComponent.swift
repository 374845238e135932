import APIGateway
import CSICCore
import Storage

/// Accounts and tokens (`auth:`): bcrypt cost, token lifetimes, lock-out, sign-in rate, the roles that need
/// a TOTP code and who may read `/metrics`. The gateway's ``AccessControl`` is made from it at open.
public struct AuthComponent: PlatformComponent {
    public static let section = "auth"

    public var settings = AuthSettings()

    public init(_ section: ConfigSection) throws {
        settings.bcryptCost = try section.integer("bcrypt_cost", default: 12, in: 10...16)
        settings.accessTokenSeconds = try section.integer("access_token_seconds", default: 900, in: 60...86_400)
        settings.refreshTokenSeconds = try section.integer("refresh_token_seconds", default: 7 * 86_400, in: 300...90 * 86_400)
        settings.issuer = section.string("issuer", default: "csic")
        settings.audience = section.string("audience", default: "csic-api")
        settings.lockoutFailures = try section.integer("lockout_failures", default: 5, in: 1...100)
        settings.lockoutSeconds = try section.integer("lockout_seconds", default: 900, in: 1...86_400)
        settings.loginAttemptsPerMinute = try section.integer("login_attempts_per_minute", default: 30, in: 1...10_000)
        for name in section.strings("totp_required_roles") ?? [] {
            guard let role = UserAccount.Role(rawValue: name) else {
                throw section.malformed("totp_required_roles", "unknown role \(name)")
            }
            settings.totpRequiredRoles.insert(role)
        }
        let metrics = section.string("metrics_access", default: "loopback")
        guard let access = AuthSettings.MetricsAccess(rawValue: metrics) else {
            throw section.malformed("metrics_access", "use \(AuthSettings.MetricsAccess.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        settings.metricsAccess = access
        for routeClass in RouteClass.allCases {
            let defaults = settings.rateLimits[routeClass] ?? RateLimit(perPrincipal: 600, perAddress: 600)
            settings.rateLimits[routeClass] = RateLimit(
                perPrincipal: try section.integer(
                    "rate_limits.\(routeClass.rawValue).per_principal", default: defaults.perPrincipal, in: 1...10_000_000),
                perAddress: try section.integer(
                    "rate_limits.\(routeClass.rawValue).per_address", default: defaults.perAddress, in: 1...10_000_000))
        }
        for (key, value) in [("issuer", settings.issuer), ("audience", settings.audience)] where value.isEmpty || value.utf8.count > 200 {
            throw section.malformed(key, "must be 1 to 200 characters")
        }
    }

    public var settingsDescription: [String: String] {
        [
            "bcrypt_cost": String(settings.bcryptCost), "access_token_seconds": String(settings.accessTokenSeconds),
            "refresh_token_seconds": String(settings.refreshTokenSeconds), "issuer": settings.issuer, "audience": settings.audience,
            "lockout_failures": String(settings.lockoutFailures), "lockout_seconds": String(settings.lockoutSeconds),
            "login_attempts_per_minute": String(settings.loginAttemptsPerMinute),
            "totp_required_roles": settings.totpRequiredRoles.map(\.rawValue).sorted().joined(separator: ","),
            "metrics_access": settings.metricsAccess.rawValue,
        ].merging(
            settings.rateLimits.map {
                ("rate_limits.\($0.key.rawValue)", "\($0.value.perPrincipal)/min per principal, \($0.value.perAddress)/min per address")
            }
        ) { first, _ in first }
    }

    public var metricsHelp: [String: String] {
        ["csic_api_rate_limited_total": "API requests refused with 429 by the rate limits, by route class and by principal or address."]
    }
}
