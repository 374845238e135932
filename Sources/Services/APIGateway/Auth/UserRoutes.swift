import CSICCore
import Foundation
import Hummingbird
import Storage

/// `/api/v1/users`: the accounts, their API keys and second factors, managed by admins while the platform
/// runs (the same changes as `csic user ...` on a stopped one). Each change is audited with the admin.
public struct UserRoutes: APIRoutes {
    let access: AccessControl

    public init(access: AccessControl) {
        self.access = access
    }

    struct NewUser: Decodable {
        var username: String
        var role: String
        var password: String?
        var entityId: String?
        var displayName: String?
    }

    struct NewPassword: Decodable {
        var password: String
    }

    struct NewKey: Decodable {
        var label: String?
    }

    public var routes: [APIRoute] {
        let admin = Access.roles("users.admin", .admin)
        return [
            APIRoute(
                .get, "users", access: admin, summary: "Every account (no password hashes or secrets)",
                response: .object(["items": .array(.reference("User"))], required: ["items"])
            ) { _, _ in
                ItemsView(items: try await access.users().map(UserView.init))
            },
            APIRoute(
                .post, "users", access: admin, summary: "Create an account",
                body: .object(
                    [
                        "username": .name, "role": .string(values: UserAccount.Role.allCases.map(\.rawValue)), "password": .password,
                        "entity_id": .name, "display_name": .text,
                    ], required: ["username", "role"], closed: true),
                response: .reference("User"), status: .created
            ) { request, context in
                let body = try await StrictBody.decode(
                    NewUser.self, from: request, allowed: ["username", "role", "password", "entity_id", "display_name"])
                let role: UserAccount.Role = try caseNamed(body.role, field: "role")
                let user = try await changing {
                    try await access.addUser(
                        body.username, role: role, password: body.password, entityID: body.entityId, displayName: body.displayName,
                        by: origin(request, context))
                }
                return EditedResponse(status: .created, response: UserView(user))
            },
            APIRoute(
                .post, "users/{username}/disable", access: admin, summary: "Disable an account and revoke its tokens", response: nil,
                status: .noContent, problems: [.conflict]
            ) {
                request, context in
                let username = try context.parameters.require("username")
                try await changing { try await access.disableUser(username, by: origin(request, context)) }
                return Response(status: .noContent)
            },
            APIRoute(
                .post, "users/{username}/password", access: admin, summary: "Set a new password; signs the account out",
                body: .object(["password": .password], required: ["password"], closed: true), response: nil, status: .noContent
            ) {
                request, context in
                let username = try context.parameters.require("username")
                let body = try await StrictBody.decode(NewPassword.self, from: request, allowed: ["password"])
                try await changing { try await access.resetPassword(username, password: body.password, by: origin(request, context)) }
                return Response(status: .noContent)
            },
            APIRoute(
                .get, "users/{username}/keys", access: admin, summary: "An account's API keys (ids and labels only)",
                response: .object(["items": .array(.reference("APIKey"))], required: ["items"])
            ) { _, context in
                let username = try context.parameters.require("username")
                return ItemsView(items: try await changing { try await access.apiKeys(of: username) }.map(APIKeyView.init))
            },
            APIRoute(
                .post, "users/{username}/keys", access: admin, summary: "A new API key, shown once",
                body: .object(["label": .string(maxLength: 100)], closed: true), response: .reference("APIKey"), status: .created
            ) { request, context in
                let username = try context.parameters.require("username")
                let body = try await StrictBody.decode(NewKey.self, from: request, allowed: ["label"])
                let issued = try await changing {
                    try await access.addAPIKey(username, label: body.label ?? "", by: origin(request, context))
                }
                var view = APIKeyView(issued.key)
                view.key = issued.text
                return EditedResponse(status: .created, response: view)
            },
            APIRoute(
                .post, "users/{username}/keys/{id}/revoke", access: admin, summary: "Revoke an API key", response: nil, status: .noContent
            ) { request, context in
                let username = try context.parameters.require("username")
                let id = try context.parameters.require("id")
                try await changing { try await access.revokeAPIKey(username, keyID: id, by: origin(request, context)) }
                return Response(status: .noContent)
            },
            APIRoute(
                .post, "users/{username}/totp", access: admin, summary: "Enroll a TOTP second factor; the secret is shown once",
                response: .object(["secret": .string(), "otpauth_url": .string()], required: ["secret", "otpauth_url"])
            ) {
                request, context in
                let username = try context.parameters.require("username")
                let (secret, url) = try await changing { try await access.enrollTOTP(username, by: origin(request, context)) }
                return TOTPView(secret: secret, otpauthUrl: url)
            },
        ]
    }

    /// An account change; its refusals as 400 (naming the field), 404 or 409.
    private func changing<Value>(_ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch let error as AccountError {
            switch error {
            case .invalid(let field, let message): throw APIError.invalid(field, message)
            case .notFound: throw APIError(.notFound, code: "not_found", message: error.description)
            case .exists: throw APIError(.conflict, code: "exists", message: error.description)
            case .lastAdmin: throw APIError(.conflict, code: "last_admin", message: error.description)
            }
        }
    }
}

/// An account as the API shows it: never its password hash or TOTP secret.
struct UserView: ResponseEncodable {
    var username: String
    var displayName: String
    var role: String
    var entityId: String?
    var disabled: Bool
    var hasPassword: Bool
    var hasTotp: Bool
    var createdAt: Timestamp

    init(_ user: UserAccount) {
        username = user.username
        displayName = user.displayName
        role = user.role.rawValue
        entityId = user.entityID
        disabled = user.disabled
        hasPassword = !user.passwordHash.isEmpty
        hasTotp = user.totpSecret != nil
        createdAt = user.createdAt
    }
}

/// An API key's id and label; `key` only in the answer that made it.
struct APIKeyView: ResponseEncodable {
    var id: String
    var label: String
    var createdAt: Timestamp
    var revokedAt: Timestamp?
    var key: String?

    init(_ key: StoredAPIKey) {
        id = key.id
        label = key.label
        createdAt = key.createdAt
        revokedAt = key.revokedAt
    }
}

struct TOTPView: ResponseEncodable {
    var secret: String
    var otpauthUrl: String
}

/// A list answer that is not paged (small, bounded lists).
struct ItemsView<Item: Encodable & Sendable>: ResponseEncodable {
    var items: [Item]
}
