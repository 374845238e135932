import CSICCore
import Foundation
import Hummingbird
import Storage

/// Signing in and out, refreshing tokens, the public keys, and the signing policy an admin sets.
public struct AuthRoutes: APIRoutes {
    let access: AccessControl

    public init(access: AccessControl) {
        self.access = access
    }

    struct SignIn: Decodable {
        var username: String
        var password: String
        var totp: String?
    }

    struct RefreshBody: Decodable {
        var refreshToken: String
    }

    struct TOTPPolicy: Codable, ResponseEncodable {
        var roles: [String]
    }

    struct Me: ResponseEncodable {
        var username: String
        var role: String
        var entityId: String?
        var credential: String
    }

    struct Rotated: ResponseEncodable {
        var kid: String
    }

    public var routes: [APIRoute] {
        let refreshBody = Schema.object(["refresh_token": .string()], required: ["refresh_token"], closed: true)
        return [
            APIRoute(
                .post, "auth/token", access: .open("auth.sign_in"), summary: "Sign in: an access token and a refresh token",
                body: .object(
                    ["username": .string(), "password": .string(), "totp": .string()], required: ["username", "password"], closed: true),
                response: .reference("TokenGrant"), problems: [.unauthorized]
            ) {
                request, context in
                let body = try await StrictBody.decode(SignIn.self, from: request, allowed: ["username", "password", "totp"])
                return try await answer(context.responseEncoder) {
                    try await access.signIn(
                        username: String(body.username.prefix(200)), password: body.password, totp: body.totp,
                        source: context.remoteAddress?.ipAddress ?? "unknown", requestID: requestID(request))
                }
            },
            APIRoute(
                .post, "auth/refresh", access: .open("auth.refresh"), summary: "A new token pair for a refresh token (used once)",
                body: refreshBody, response: .reference("TokenGrant"), problems: [.unauthorized]
            ) {
                request, context in
                let body = try await StrictBody.decode(RefreshBody.self, from: request, allowed: ["refresh_token"])
                return try await answer(context.responseEncoder) {
                    try await access.refresh(
                        body.refreshToken, source: context.remoteAddress?.ipAddress ?? "unknown", requestID: requestID(request))
                }
            },
            APIRoute(
                .post, "auth/logout", access: .open("auth.sign_out"), summary: "Revoke a refresh token and its family", body: refreshBody,
                response: nil, status: .noContent
            ) {
                request, context in
                let body = try await StrictBody.decode(RefreshBody.self, from: request, allowed: ["refresh_token"])
                try await access.signOut(
                    body.refreshToken, source: context.remoteAddress?.ipAddress ?? "unknown", requestID: requestID(request))
                return Response(status: .noContent)
            },
            APIRoute(
                .get, "auth/me", access: .authenticated("auth.me"), summary: "Who the credential belongs to",
                response: .object(
                    ["username": .string(), "role": .string(), "entity_id": .string(), "credential": .string()],
                    required: ["username", "role", "credential"])
            ) { _, context in
                guard let principal = context.principal else {
                    throw APIError(.unauthorized, code: "unauthenticated", message: "no principal")
                }
                let credential: String =
                    switch principal.credential {
                    case .accessToken: "access_token"
                    case .apiKey(let id): "api_key:\(id)"
                    }
                return Me(username: principal.username, role: principal.role.rawValue, entityId: principal.entityID, credential: credential)
            },
            APIRoute(
                .get, "/.well-known/jwks.json", access: .open("auth.public_keys"), summary: "Public keys that verify access tokens",
                response: .object(
                    [
                        "keys": .array(
                            .object(
                                ["kty": .string(), "crv": .string(), "x": .string(), "kid": .string(), "alg": .string(), "use": .string()],
                                required: ["kty", "crv", "x", "kid"]))
                    ], required: ["keys"])
            ) {
                _, _ in
                let data = try JSONEncoder().encode(access.tokens.publicKeySet)
                return Response(
                    status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
            },
            APIRoute(
                .put, "auth/totp-policy", access: .roles("auth.admin", .admin), summary: "Roles that must sign in with a TOTP code",
                body: .reference("Roles"), response: .reference("Roles")
            ) { request, context in
                let body = try await StrictBody.decode(TOTPPolicy.self, from: request, allowed: ["roles"])
                var roles: Set<UserAccount.Role> = []
                for name in body.roles {
                    guard let role = UserAccount.Role(rawValue: name) else {
                        throw APIError.invalid("roles", "unknown role \(name.prefix(50))")
                    }
                    roles.insert(role)
                }
                try await access.setTOTPPolicy(roles, by: origin(request, context))
                return TOTPPolicy(roles: roles.map(\.rawValue).sorted())
            },
            APIRoute(
                .get, "auth/totp-policy", access: .roles("auth.admin", .admin), summary: "Roles that must sign in with a TOTP code",
                response: .reference("Roles")
            ) {
                _, _ in
                TOTPPolicy(roles: try await access.totpRequiredRoles().map(\.rawValue).sorted())
            },
            APIRoute(
                .post, "auth/keys/rotate", access: .roles("auth.admin", .admin), summary: "A new token signing key",
                response: .object(["kid": .string()], required: ["kid"])
            ) { request, context in
                Rotated(kid: try await access.rotateSigningKey(by: origin(request, context)))
            },
        ]
    }

    private func answer(_ encoder: JSONEncoder, _ body: () async throws -> TokenGrant) async throws -> Response {
        let grant: TokenGrant
        do {
            grant = try await body()
        } catch let failure as SignInFailure {
            switch failure {
            case .invalidCredentials:
                throw APIError(.unauthorized, code: "invalid_credentials", message: "the username, password or code is not valid")
            case .totpRequired:
                throw APIError(
                    .unauthorized, code: "totp_required", message: "this account signs in with a TOTP code as well", field: "totp")
            case .throttled(let seconds):
                throw APIError(
                    .tooManyRequests, code: "rate_limited", message: "too many sign-in attempts; retry in \(seconds) s",
                    headers: [.retryAfter: String(seconds)])
            case .invalidRefreshToken:
                throw APIError(
                    .unauthorized, code: "invalid_refresh_token", message: "the refresh token is not valid", field: "refresh_token")
            }
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(grant))))
    }
}

/// The client's request id (bounded) for records written beside the middleware's.
func requestID(_ request: Request) -> String {
    request.headers[.init("X-Request-ID")!].map { String($0.prefix(100)) } ?? ""
}

/// The admin and address a change through the API comes from.
func origin(_ request: Request, _ context: APIContext) -> ChangeOrigin {
    ChangeOrigin(actor: context.actor, sourceAddress: context.remoteAddress?.ipAddress ?? "unknown", requestID: requestID(request))
}
