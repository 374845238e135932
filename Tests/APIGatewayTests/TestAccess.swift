import APIGateway
import CSICCore
import EventLog
import Hummingbird
import Storage

/// A real admin account with an API key, for tests of routes that need a credential.
enum TestAccess {
    /// Access control over a new SQLite store in `directory`.
    static func access(directory: String, log: any EventLog) async throws -> AccessControl {
        let store = try SQLiteStore(path: directory + "/store.sqlite")
        return try await AccessControl(settings: AuthSettings(), store: store, log: log, keyDirectory: directory + "/auth/keys")
    }

    /// Makes `test-admin` (keys only, no password) and returns the `Authorization` header of its new key.
    static func adminHeaders(
        _ access: AccessControl, role: UserAccount.Role = .admin, name: String = "test-admin"
    ) async throws -> HTTPFields {
        let origin = ChangeOrigin(actor: "test", sourceAddress: "local")
        _ = try await access.addUser(name, role: role, password: nil, entityID: role == .reportingEntity ? "entity-1" : nil, by: origin)
        let key = try await access.addAPIKey(name, label: "test", by: origin)
        return [.authorization: "Bearer \(key.text)"]
    }
}
