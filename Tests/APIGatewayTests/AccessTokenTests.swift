import APIGateway
import CSICCore
import CSICTestSupport
import Crypto
import EventLog
import Foundation
import Storage
import Synchronization
import Testing

/// A clock the test moves.
final class TestClock: Sendable {
    private let time = Mutex(Date(timeIntervalSince1970: 1_796_400_000))
    var now: Date { time.withLock { $0 } }
    func advance(_ seconds: Double) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// Tokens signed by the platform's own key with any header and claims, as an attacker who stole nothing
/// could not make them, to check each claim on its own; and tokens an attacker can make.
struct TokenForge {
    let key: Curve25519.Signing.PrivateKey
    let kid: String

    init(directory: String) throws {
        let file = try #require(FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasSuffix(".json") })
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(file)"))) as! [String: Any]
        key = try Curve25519.Signing.PrivateKey(rawRepresentation: try #require(Data(base64URL: json["private_key"] as! String)))
        kid = json["kid"] as! String
    }

    static func encode(_ object: [String: Any]) -> String {
        base64URL(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    static func base64URL(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    func claims(at time: Date, _ changes: [String: Any?] = [:]) -> [String: Any] {
        var claims: [String: Any] = [
            "iss": "csic", "aud": ["csic-api"], "sub": "ana", "role": "analyst", "jti": "j-1",
            "iat": time.timeIntervalSince1970, "nbf": time.timeIntervalSince1970, "exp": time.timeIntervalSince1970 + 600,
        ]
        for (key, value) in changes { claims[key] = value }
        return claims
    }

    func signed(_ claims: [String: Any], header: [String: Any]? = nil) throws -> String {
        let head = Self.encode(header ?? ["alg": "EdDSA", "typ": "at+jwt", "kid": kid])
        let body = Self.encode(claims)
        return "\(head).\(body).\(Self.base64URL(try key.signature(for: Data("\(head).\(body)".utf8))))"
    }
}

@Suite struct AccessTokenTests {
    func fixture(_ clock: TestClock) async throws -> (TemporaryDirectory, AccessControl, TokenForge) {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: directory.path + "/log")
        try await log.createPlatformTopics(partitions: 1)
        let store = try SQLiteStore(path: directory.path + "/store.sqlite")
        var settings = AuthSettings()
        settings.bcryptCost = 4
        let access = try await AccessControl(
            settings: settings, store: store, log: log, keyDirectory: directory.path + "/keys", now: { clock.now })
        _ = try await access.addUser(
            "ana", role: .analyst, password: "a long enough password", entityID: nil,
            by: ChangeOrigin(actor: "test", sourceAddress: "local"))
        return (directory, access, try TokenForge(directory: directory.path + "/keys"))
    }

    func rejection(_ access: AccessControl, _ token: String) async -> String? {
        if case .rejected(let reason) = await access.authenticate(authorization: "Bearer \(token)") { return reason }
        return nil
    }

    @Test func issuedTokensAuthenticateAndEveryForgedOrStaleOneIsRefusedForItsReason() async throws {
        let clock = TestClock()
        let (directory, access, forge) = try await fixture(clock)
        _ = directory
        let user = try #require(try await SQLiteStore(path: directory.path + "/store.sqlite").user(username: "ana"))
        let (token, expiresIn) = try await access.tokens.issue(for: user)
        #expect(expiresIn == 900)
        guard case .principal(let principal) = await access.authenticate(authorization: "Bearer \(token)") else {
            Issue.record("the issued token was refused")
            return
        }
        #expect(principal.username == "ana" && principal.role == .analyst)
        #expect(await rejection(access, try forge.signed(forge.claims(at: clock.now))) == nil, "the forge signs valid tokens")

        let now = clock.now
        let parts = token.split(separator: ".").map(String.init)
        let publicKey = forge.key.publicKey.rawRepresentation
        let hsHead = TokenForge.encode(["alg": "HS256", "typ": "at+jwt", "kid": forge.kid])
        let hsBody = TokenForge.encode(forge.claims(at: now))
        let hsSignature = HMAC<SHA256>.authenticationCode(for: Data("\(hsHead).\(hsBody)".utf8), using: SymmetricKey(data: publicKey))
        var tamperedSignature = Array(Data(base64URL: parts[2])!)
        tamperedSignature[0] ^= 1
        let cases: [(String, String, String)] = [
            (
                "alg none",
                TokenForge.encode(["alg": "none", "typ": "at+jwt", "kid": forge.kid]) + "." + TokenForge.encode(forge.claims(at: now))
                    + ".", "algorithm_not_allowed"
            ),
            ("HS256 signed with the public key", "\(hsHead).\(hsBody).\(TokenForge.base64URL(Data(hsSignature)))", "algorithm_not_allowed"),
            ("expired", try forge.signed(forge.claims(at: now, ["exp": now.timeIntervalSince1970 - 60])), "expired"),
            ("not yet valid", try forge.signed(forge.claims(at: now, ["nbf": now.timeIntervalSince1970 + 120])), "not_yet_valid"),
            ("issued in the future", try forge.signed(forge.claims(at: now, ["iat": now.timeIntervalSince1970 + 120])), "issued_in_future"),
            ("wrong audience", try forge.signed(forge.claims(at: now, ["aud": ["other-api"]])), "wrong_audience"),
            ("wrong issuer", try forge.signed(forge.claims(at: now, ["iss": "someone-else"])), "wrong_issuer"),
            ("unknown role", try forge.signed(forge.claims(at: now, ["role": "root"])), "unknown_role"),
            (
                "wrong type", try forge.signed(forge.claims(at: now), header: ["alg": "EdDSA", "typ": "JWT", "kid": forge.kid]),
                "wrong_type"
            ),
            (
                "unknown kid",
                try forge.signed(forge.claims(at: now), header: ["alg": "EdDSA", "typ": "at+jwt", "kid": "0011223344556677"]), "unknown_key"
            ),
            ("no kid", try forge.signed(forge.claims(at: now), header: ["alg": "EdDSA", "typ": "at+jwt"]), "unknown_key"),
            (
                "tampered payload",
                "\(parts[0]).\(TokenForge.encode(forge.claims(at: now, ["role": "admin", "sub": "admin"]))).\(parts[2])", "bad_signature"
            ),
            ("tampered signature", "\(parts[0]).\(parts[1]).\(TokenForge.base64URL(tamperedSignature))", "bad_signature"),
            ("unknown user", try forge.signed(forge.claims(at: now, ["sub": "mallory"])), "unknown_user"),
            ("not a token", "hello", "malformed"),
            ("oversized", String(repeating: "a", count: 5000) + ".b.c", "malformed"),
        ]
        for (name, forged, reason) in cases {
            #expect(await rejection(access, forged) == reason, "\(name)")
        }
        #expect(await rejection(access, String(repeating: "x", count: 9000)) == "not_bearer")
        #expect(await access.authenticate(authorization: "Basic YTpi") == .rejected("not_bearer"))
        #expect(await access.authenticate(authorization: nil) == .anonymous)

        clock.advance(900 + 31)
        #expect(await rejection(access, token) == "expired", "a token expires after auth.access_token_seconds (and the leeway)")
    }

    @Test func rotationKeepsOldTokensValidUntilTheyExpireAndPublishesBothKeys() async throws {
        let clock = TestClock()
        let (directory, access, forge) = try await fixture(clock)
        let oldToken = try forge.signed(forge.claims(at: clock.now))
        let origin = ChangeOrigin(actor: "admin", sourceAddress: "local")
        clock.advance(1)
        let newKid = try await access.rotateSigningKey(by: origin)
        #expect(newKid != forge.kid)
        #expect(await rejection(access, oldToken) == nil, "a token of the old key is still valid")
        #expect(Set(access.tokens.publicKeySet.keys.map(\.kid)) == [forge.kid, newKid])
        let user = try #require(try await SQLiteStore(path: directory.path + "/store.sqlite").user(username: "ana"))
        let newToken = try await access.tokens.issue(for: user).token
        #expect(
            newToken.split(separator: ".").first.flatMap { Data(base64URL: String($0)) }.map { String(decoding: $0, as: UTF8.self) }?
                .contains(newKid) == true)
        clock.advance(900)
        #expect(await rejection(access, oldToken) == "unknown_key", "a token lifetime after the rotation the old key is retired")
        #expect(access.tokens.publicKeySet.keys.map(\.kid) == [newKid])
        #expect(await rejection(access, newToken) == nil)
    }
}
