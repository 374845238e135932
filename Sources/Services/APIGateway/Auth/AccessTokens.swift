import CSICCore
import Foundation
import JWTKit
import Storage
import Synchronization

/// The claims of an access token (RFC 9068 `at+jwt`): who, which role and entity, for whom, until when.
struct AccessClaims: JWTPayload, Equatable {
    var iss: IssuerClaim
    var sub: SubjectClaim
    var aud: AudienceClaim
    var exp: ExpirationClaim
    var nbf: NotBeforeClaim
    var iat: IssuedAtClaim
    var jti: IDClaim
    var role: String
    var ent: String?

    /// The time claims are checked by ``AccessTokens/verify(_:)`` with its clock, beside `iss` and `aud`.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Why a bearer token was refused (recorded in the audit trail, never told to the client in detail).
public enum TokenRejection: String, Error, Sendable {
    case malformed, algorithmNotAllowed = "algorithm_not_allowed", wrongType = "wrong_type", unknownKey = "unknown_key"
    case badSignature = "bad_signature", expired, notYetValid = "not_yet_valid", wrongIssuer = "wrong_issuer"
    case wrongAudience = "wrong_audience", issuedInFuture = "issued_in_future", unknownRole = "unknown_role"
}

/// Issues and verifies short-lived EdDSA access tokens (jwt-kit). Only `alg: EdDSA` and `typ: at+jwt` with a
/// known `kid` are accepted; `exp`, `nbf`, `iat`, `iss` and `aud` are checked against the injected clock.
public final class AccessTokens: Sendable {
    static let algorithm = "EdDSA"
    static let type = "at+jwt"
    /// Allowed clock difference between this process and the one that issued a token.
    static let leewaySeconds: Double = 30

    let settings: AuthSettings
    let now: @Sendable () -> Date
    private let state: Mutex<(keys: TokenKeys, collection: JWTKeyCollection)>
    /// Tokens whose signature has been checked, by SHA-256 of the token: the same bytes verify the same way,
    /// so a token presented again skips the signature (one Ed25519 verification on jwt-kit's key-collection
    /// actor per token, not per request). Its key and claims are still checked against the clock every time.
    private let verified = Mutex<[String: (kid: String, claims: AccessClaims)]>([:])
    /// At most this many verified tokens are kept; beyond, expired ones go first, then all.
    static let verifiedCapacity = 10_000

    public init(keys: TokenKeys, settings: AuthSettings, now: @escaping @Sendable () -> Date = { Date() }) async throws {
        self.settings = settings
        self.now = now
        state = Mutex((keys, try await Self.collection(keys)))
    }

    private static func collection(_ keys: TokenKeys) async throws -> JWTKeyCollection {
        let collection = JWTKeyCollection()
        for key in keys.keys {
            await collection.add(eddsa: EdDSA.PrivateKey(backing: try key.signingKey), kid: JWKIdentifier(string: key.kid))
        }
        return collection
    }

    /// The keys whose tokens may still be valid now.
    private var verifying: [TokenKeys.Key] {
        let keys = state.withLock { $0.keys }
        return keys.verifying(at: Timestamp(now()), tokenSeconds: settings.accessTokenSeconds)
    }

    /// A signed token for `user`, valid for `auth.access_token_seconds`.
    public func issue(for user: UserAccount) async throws -> (token: String, expiresIn: Int) {
        let issued = Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down))
        let claims = AccessClaims(
            iss: .init(value: settings.issuer), sub: .init(value: user.username), aud: .init(value: [settings.audience]),
            exp: .init(value: issued.addingTimeInterval(Double(settings.accessTokenSeconds))), nbf: .init(value: issued),
            iat: .init(value: issued), jti: .init(value: UUID().uuidString.lowercased()), role: user.role.rawValue, ent: user.entityID)
        let (collection, kid) = state.withLock { ($0.collection, $0.keys.current.kid) }
        var header = JWTHeader()
        header.typ = Self.type
        return (try await collection.sign(claims, kid: JWKIdentifier(string: kid), header: header), settings.accessTokenSeconds)
    }

    /// The claims of a valid token, or why it is not.
    func verify(_ token: String) async -> Result<AccessClaims, TokenRejection> {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard token.utf8.count <= 4096, parts.count == 3 else { return .failure(.malformed) }
        let digest = Secrets.sha256(token)
        let time = now()
        let claims: AccessClaims
        // The same bytes were verified before: their header passed the checks below then, so only whether
        // their key may still sign is asked again.
        if let known = verified.withLock({ $0[digest] }), verifying.contains(where: { $0.kid == known.kid }) {
            claims = known.claims
        } else {
            guard let headerData = Data(base64URL: String(parts[0])),
                let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any]
            else { return .failure(.malformed) }
            guard header["alg"] as? String == Self.algorithm else { return .failure(.algorithmNotAllowed) }
            guard header["typ"] as? String == Self.type else { return .failure(.wrongType) }
            guard let kid = header["kid"] as? String, verifying.contains(where: { $0.kid == kid }) else { return .failure(.unknownKey) }
            let collection = state.withLock { $0.collection }
            do {
                claims = try await collection.verify(token, as: AccessClaims.self)
            } catch {
                return .failure(.badSignature)
            }
            verified.withLock { verified in
                if verified.count >= Self.verifiedCapacity {
                    verified = verified.filter { $0.value.claims.exp.value.addingTimeInterval(Self.leewaySeconds) > time }
                    if verified.count >= Self.verifiedCapacity { verified.removeAll() }
                }
                verified[digest] = (kid, claims)
            }
        }
        if claims.exp.value.addingTimeInterval(Self.leewaySeconds) <= time { return .failure(.expired) }
        if claims.nbf.value.addingTimeInterval(-Self.leewaySeconds) > time { return .failure(.notYetValid) }
        if claims.iat.value.addingTimeInterval(-Self.leewaySeconds) > time { return .failure(.issuedInFuture) }
        if claims.iss.value != settings.issuer { return .failure(.wrongIssuer) }
        if !claims.aud.value.contains(settings.audience) { return .failure(.wrongAudience) }
        if UserAccount.Role(rawValue: claims.role) == nil { return .failure(.unknownRole) }
        return .success(claims)
    }

    /// Makes a new signing key; tokens signed by the old one stay valid until they expire.
    public func rotate(directory: String) async throws -> String {
        let keys = try TokenKeys.rotate(directory: directory, at: Timestamp(now()))
        let collection = try await Self.collection(keys)
        state.withLock { $0 = (keys, collection) }
        return keys.current.kid
    }

    /// `GET /.well-known/jwks.json`: the public keys of every token that may still be valid (RFC 7517/8037).
    public var publicKeySet: JWKSView {
        JWKSView(
            keys: verifying.compactMap { key in
                guard let signing = try? key.signingKey else { return nil }
                return JWKSView.Key(
                    kty: "OKP", crv: "Ed25519", x: Secrets.base64URL(signing.publicKey.rawRepresentation), kid: key.kid,
                    alg: Self.algorithm, use: "sig")
            })
    }
}

/// A JSON Web Key Set of Ed25519 public keys.
public struct JWKSView: Codable, Sendable, Equatable {
    public struct Key: Codable, Sendable, Equatable {
        public var kty: String
        public var crv: String
        public var x: String
        public var kid: String
        public var alg: String
        public var use: String
    }

    public var keys: [Key]
}

extension Timestamp {
    init(_ date: Date) {
        self.init(microsecondsSinceEpoch: Int64(date.timeIntervalSince1970 * 1_000_000))
    }
}
