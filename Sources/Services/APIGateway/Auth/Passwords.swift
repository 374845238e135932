import DurableFiles
import HummingbirdBcrypt
import Synchronization

/// bcrypt password hashes (hummingbird-auth), computed on the blocking pool (``BlockingIO``), never on the concurrency pool.
public final class PasswordHasher: Sendable {
    public let cost: Int
    /// A hash of a random password at `cost`, made on first need: checked against when the account is unknown,
    /// so that an unknown user costs the same time as a wrong password.
    private let decoyHash = Mutex<String?>(nil)

    public init(cost: Int) {
        self.cost = cost
    }

    private var decoy: String {
        decoyHash.withLock { decoy in
            if let decoy { return decoy }
            let made = Bcrypt.hash(Secrets.random(bytes: 18), cost: UInt8(cost))
            decoy = made
            return made
        }
    }

    public func hash(_ password: String) async throws -> String {
        let cost = UInt8(cost)
        return try await BlockingIO.run { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether `password` matches `hash`; an empty or malformed hash matches nothing (after the same work).
    public func verify(_ password: String, hash: String?) async throws -> Bool {
        try await BlockingIO.run {
            guard let hash, !hash.isEmpty else {
                _ = Bcrypt.verify(password, hash: self.decoy)
                return false
            }
            return Bcrypt.verify(password, hash: hash)
        }
    }

    /// Why `password` is not acceptable, or `nil`: 12 to 72 bytes (bcrypt reads 72), no control characters.
    public static func weakness(of password: String) -> String? {
        if password.count < 12 { return "a password must have at least 12 characters" }
        if password.utf8.count > 72 { return "a password must have at most 72 bytes" }
        if password.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "a password must not contain control characters"
        }
        return nil
    }
}
