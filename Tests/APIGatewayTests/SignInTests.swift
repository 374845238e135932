import APIGateway
import CSICCore
import CSICTestSupport
import EventLog
import Foundation
import HummingbirdOTP
import Storage
import Testing

@Suite struct SignInTests {
    let origin = ChangeOrigin(actor: "admin", sourceAddress: "local")

    func fixture(
        _ clock: TestClock, _ change: (inout AuthSettings) -> Void = { _ in }
    ) async throws -> (TemporaryDirectory, AccessControl, any EventLog) {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: directory.path + "/log")
        try await log.createPlatformTopics(partitions: 1)
        var settings = AuthSettings()
        settings.bcryptCost = 4
        change(&settings)
        let access = try await AccessControl(
            settings: settings, store: try SQLiteStore(path: directory.path + "/store.sqlite"), log: log,
            keyDirectory: directory.path + "/keys", now: { clock.now })
        _ = try await access.addUser("ana", role: .analyst, password: "a long enough password", entityID: nil, by: origin)
        return (directory, access, log)
    }

    func failure(_ body: () async throws -> TokenGrant) async -> SignInFailure? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error as? SignInFailure
        }
    }

    func auditRecords(_ log: any EventLog) async throws -> [AuditRecord] {
        var consumer = try await LogConsumer(log: log, group: "t-\(UUID())", topics: [Topic.audit.rawValue])
        return try await consumer.poll(maxRecords: 10_000, timeout: .milliseconds(200)).map { try AuditRecord(protoBytes: $0.value) }
    }

    @Test func anUnknownUserAndAWrongPasswordGetTheSameAnswerAndLockOutIsPerNameKnownOrNot() async throws {
        let clock = TestClock()
        let (directory, access, log) = try await fixture(clock) { $0.lockoutFailures = 3 }
        _ = directory
        let unknown = await failure {
            try await access.signIn(username: "nobody", password: "whatever it is", totp: nil, source: "a", requestID: "")
        }
        let wrong = await failure {
            try await access.signIn(username: "ana", password: "not the password", totp: nil, source: "a", requestID: "")
        }
        #expect(unknown == .invalidCredentials && wrong == .invalidCredentials)
        _ = await failure { try await access.signIn(username: "ana", password: "not the password", totp: nil, source: "a", requestID: "") }
        _ = await failure { try await access.signIn(username: "ana", password: "not the password", totp: nil, source: "a", requestID: "") }
        let locked = await failure {
            try await access.signIn(username: "ana", password: "a long enough password", totp: nil, source: "a", requestID: "")
        }
        #expect(locked == .invalidCredentials, "the right password does not open a locked account, and the answer is the same")
        for _ in 0..<3 {
            _ = await failure { try await access.signIn(username: "nobody", password: "x", totp: nil, source: "a", requestID: "") }
        }
        clock.advance(901)
        #expect(
            await failure {
                try await access.signIn(username: "ana", password: "a long enough password", totp: nil, source: "a", requestID: "")
            } == nil)
        let reasons = try await auditRecords(log).filter { $0.action == "auth.login" }.map { "\($0.actor):\($0.details["reason"] ?? "ok")" }
        #expect(reasons.contains("nobody:unknown_user") && reasons.contains("ana:wrong_password") && reasons.contains("ana:locked"))
        #expect(reasons.filter { $0 == "ana:locked_out" || $0 == "nobody:locked_out" }.count == 2, "\(reasons)")
        #expect(reasons.last == "ana:ok")
        let records = try await auditRecords(log)
        #expect(!records.contains { $0.details.values.contains { $0.contains("a long enough password") } }, "no password is recorded")
    }

    @Test func attemptsFromOneAddressAreThrottled() async throws {
        let clock = TestClock()
        let (directory, access, _) = try await fixture(clock) {
            $0.loginAttemptsPerMinute = 3
            $0.lockoutFailures = 100
        }
        _ = directory
        for _ in 0..<3 {
            _ = await failure { try await access.signIn(username: "ana", password: "nope", totp: nil, source: "10.0.0.1", requestID: "") }
        }
        let throttled = await failure {
            try await access.signIn(username: "ana", password: "a long enough password", totp: nil, source: "10.0.0.1", requestID: "")
        }
        #expect(throttled == .throttled(retryAfter: 20))
        #expect(
            await failure {
                try await access.signIn(username: "ana", password: "a long enough password", totp: nil, source: "10.0.0.2", requestID: "")
            } == nil)
        clock.advance(20)
        #expect(
            await failure {
                try await access.signIn(username: "ana", password: "a long enough password", totp: nil, source: "10.0.0.1", requestID: "")
            } == nil)
    }

    @Test func aSecondFactorIsCheckedWhenEnrolledOrRequiredForTheRole() async throws {
        let clock = TestClock()
        let (directory, access, _) = try await fixture(clock)
        _ = directory
        try await access.setTOTPPolicy([.analyst], by: origin)
        #expect(
            await failure {
                try await access.signIn(username: "ana", password: "a long enough password", totp: nil, source: "a", requestID: "")
            } == .totpRequired)
        let (secret, url) = try await access.enrollTOTP("ana", by: origin)
        #expect(url.contains("secret="))
        let code = String(format: "%06d", TOTP(secret: secret).compute(date: clock.now))
        #expect(
            await failure {
                try await access.signIn(username: "ana", password: "a long enough password", totp: nil, source: "a", requestID: "")
            } == .totpRequired)
        #expect(
            await failure {
                try await access.signIn(
                    username: "ana", password: "a long enough password", totp: "000000" == code ? "111111" : "000000", source: "a",
                    requestID: "")
            } == .invalidCredentials)
        #expect(
            await failure {
                try await access.signIn(username: "ana", password: "a long enough password", totp: code, source: "a", requestID: "")
            } == nil)
        #expect(
            await failure { try await access.signIn(username: "ana", password: "wrong password!", totp: code, source: "a", requestID: "") }
                == .invalidCredentials)
    }

    @Test func refreshTokensAreSingleUseAndAReuseRevokesTheFamily() async throws {
        let clock = TestClock()
        let (directory, access, log) = try await fixture(clock)
        _ = directory
        let first = try await access.signIn(username: "ana", password: "a long enough password", totp: nil, source: "a", requestID: "")
        #expect(first.tokenType == "Bearer" && first.expiresIn == 900)
        let second = try await access.refresh(first.refreshToken, source: "a", requestID: "")
        #expect(second.refreshToken != first.refreshToken)
        let third = try await access.refresh(second.refreshToken, source: "a", requestID: "")
        #expect(
            await failure { try await access.refresh(first.refreshToken, source: "b", requestID: "") } == .invalidRefreshToken, "a reuse")
        #expect(
            await failure { try await access.refresh(third.refreshToken, source: "a", requestID: "") } == .invalidRefreshToken,
            "the family is revoked")
        #expect(try await auditRecords(log).contains { $0.action == "auth.refresh" && $0.details["reason"] == "refresh_token_reused" })

        let other = try await access.signIn(username: "ana", password: "a long enough password", totp: nil, source: "a", requestID: "")
        try await access.signOut(other.refreshToken, source: "a", requestID: "")
        #expect(await failure { try await access.refresh(other.refreshToken, source: "a", requestID: "") } == .invalidRefreshToken)
        let expiring = try await access.signIn(username: "ana", password: "a long enough password", totp: nil, source: "a", requestID: "")
        clock.advance(Double(7 * 86_400 + 1))
        #expect(await failure { try await access.refresh(expiring.refreshToken, source: "a", requestID: "") } == .invalidRefreshToken)
    }

    @Test func anAccountDisabledByAnotherProcessIsRefusedWithinASecond() async throws {
        let clock = TestClock()
        let (directory, access, log) = try await fixture(clock)
        let grant = try await access.signIn(username: "ana", password: "a long enough password", totp: nil, source: "a", requestID: "")
        let key = try await access.addAPIKey("ana", label: "batch job", by: origin)
        #expect(await access.authenticate(authorization: "Bearer \(grant.accessToken)") != .rejected("disabled_user"))
        #expect(await access.authenticate(authorization: "Bearer \(key.text)") != .rejected("revoked_api_key"))
        // What `csic user` does while the server runs: its own AccessControl over the same store.
        var settings = AuthSettings()
        settings.bcryptCost = 4
        let command = try await AccessControl(
            settings: settings, store: try SQLiteStore(path: directory.path + "/store.sqlite"), log: log,
            keyDirectory: directory.path + "/keys", now: { clock.now })
        try await command.revokeAPIKey("ana", keyID: key.key.id, by: origin)
        try await command.disableUser("ana", by: origin)
        clock.advance(0.5)
        #expect(
            await access.authenticate(authorization: "Bearer \(grant.accessToken)") != .rejected("disabled_user"), "read half a second ago")
        clock.advance(0.6)
        #expect(await access.authenticate(authorization: "Bearer \(grant.accessToken)") == .rejected("disabled_user"))
        #expect(await access.authenticate(authorization: "Bearer \(key.text)") == .rejected("revoked_api_key"))
    }

    @Test func disablingAnAccountStopsItsTokensKeysAndRefreshTokens() async throws {
        let clock = TestClock()
        let (directory, access, log) = try await fixture(clock)
        _ = directory
        let grant = try await access.signIn(username: "ana", password: "a long enough password", totp: nil, source: "a", requestID: "")
        let key = try await access.addAPIKey("ana", label: "batch job", by: origin)
        #expect(await access.authenticate(authorization: "Bearer \(key.text)") != .rejected("disabled_user"))
        guard case .principal = await access.authenticate(authorization: "Bearer \(grant.accessToken)") else {
            Issue.record("the token was refused before the account was disabled")
            return
        }
        try await access.disableUser("ana", by: origin)
        #expect(await access.authenticate(authorization: "Bearer \(grant.accessToken)") == .rejected("disabled_user"))
        #expect(await access.authenticate(authorization: "Bearer \(key.text)") == .rejected("disabled_user"))
        #expect(await failure { try await access.refresh(grant.refreshToken, source: "a", requestID: "") } == .invalidRefreshToken)
        #expect(
            await failure {
                try await access.signIn(username: "ana", password: "a long enough password", totp: nil, source: "a", requestID: "")
            } == .invalidCredentials)
        let changes = try await auditRecords(log).filter { $0.action.hasPrefix("user.") }
        #expect(changes.filter { $0.details["phase"] == "outcome" }.map(\.action) == ["user.add", "user.add_key", "user.disable"])
        #expect(changes.allSatisfy { $0.actor == "admin" })
        #expect(!changes.contains { $0.details.values.contains(key.text) }, "the key itself is in no record")
    }

    @Test func theLastEnabledAdminCannotBeDisabled() async throws {
        let clock = TestClock()
        let (directory, access, _) = try await fixture(clock)
        _ = directory
        _ = try await access.addUser("root", role: .admin, password: nil, entityID: nil, by: origin)
        await #expect(throws: AccountError.lastAdmin("root")) { try await access.disableUser("root", by: origin) }
        _ = try await access.addUser("root2", role: .admin, password: nil, entityID: nil, by: origin)
        try await access.disableUser("root", by: origin)
        await #expect(throws: AccountError.lastAdmin("root2")) { try await access.disableUser("root2", by: origin) }
    }

    @Test func apiKeysAreCheckedByTheirHashAndCanBeRevoked() async throws {
        let clock = TestClock()
        let (directory, access, _) = try await fixture(clock)
        _ = directory
        let key = try await access.addAPIKey("ana", label: "x", by: origin)
        guard case .principal(let principal) = await access.authenticate(authorization: "Bearer \(key.text)") else {
            Issue.record("a new key was refused")
            return
        }
        #expect(principal.credential == .apiKey(id: key.key.id))
        // The last character changed (the one removed decides the replacement: the test once replaced an "A" with an "A").
        var wrongSecret = key.text
        let last = wrongSecret.removeLast()
        wrongSecret += last == "A" ? "B" : "A"
        #expect(await access.authenticate(authorization: "Bearer \(wrongSecret)") == .rejected("unknown_api_key"))
        try await access.revokeAPIKey("ana", keyID: key.key.id, by: origin)
        #expect(await access.authenticate(authorization: "Bearer \(key.text)") == .rejected("revoked_api_key"))
        await #expect(throws: AccountError.self) { try await access.revokeAPIKey("ana", keyID: key.key.id, by: origin) }
    }

    @Test func badAccountChangesAreRefusedNamingTheField() async throws {
        let clock = TestClock()
        let (directory, access, _) = try await fixture(clock)
        _ = directory
        let cases: [(String, UserAccount.Role, String?, String?, AccountError)] = [
            ("", .analyst, "a long enough password", nil, .invalid(field: "username", message: "")),
            ("a b", .analyst, "a long enough password", nil, .invalid(field: "username", message: "")),
            (String(repeating: "x", count: 65), .analyst, nil, nil, .invalid(field: "username", message: "")),
            ("bob", .analyst, "short", nil, .invalid(field: "password", message: "")),
            ("bob", .analyst, String(repeating: "p", count: 73), nil, .invalid(field: "password", message: "")),
            ("bob", .analyst, "has a\u{0}nul inside", nil, .invalid(field: "password", message: "")),
            ("bob", .reportingEntity, nil, nil, .invalid(field: "entity_id", message: "")),
            ("bob", .analyst, nil, "vasp-1", .invalid(field: "entity_id", message: "")),
            ("ana", .analyst, "a long enough password", nil, .exists("")),
        ]
        for (name, role, password, entity, expected) in cases {
            do {
                _ = try await access.addUser(name, role: role, password: password, entityID: entity, by: origin)
                Issue.record("\(name) was accepted")
            } catch let error as AccountError {
                switch (error, expected) {
                case (.invalid(let field, _), .invalid(let expectedField, _)): #expect(field == expectedField, "\(name)")
                case (.exists, .exists): break
                default: Issue.record("\(name): \(error)")
                }
            }
        }
    }
}
