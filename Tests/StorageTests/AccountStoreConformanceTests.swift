import CSICCore
import Storage
import CSICTestSupport
import PostgresNIO
import Testing

/// `UserStore` and `StoredFeed` on every backend: accounts, API keys, single-use refresh tokens, and the
/// positions live feeds resume from.
@Suite struct AccountStoreConformanceTests {
    static let time = Timestamp(secondsSinceEpoch: 1_767_225_600)

    static func account(_ name: String, _ role: UserAccount.Role, disabled: Bool = false) -> UserAccount {
        UserAccount(
            username: name, displayName: name.capitalized, role: role, passwordHash: "$2b$12$hash-of-\(name)", disabled: disabled,
            createdAt: time, entityID: role == .reportingEntity ? "vasp-\(name)" : nil)
    }

    static func token(
        _ hash: String, family: String, expires: Timestamp = Timestamp(secondsSinceEpoch: 1_767_229_200)
    ) -> StoredRefreshToken {
        StoredRefreshToken(tokenSHA256: hash, family: family, username: "alice", issuedAt: time, expiresAt: expires)
    }

    @Test(arguments: StoreBackend.available) func accountsAreUpsertedAndChangedAtomically(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        #expect(try await store.hasEnabledUser(role: .admin) == false)
        try await store.upsertUser(Self.account("root", .admin, disabled: true))
        try await store.upsertUser(Self.account("vasp", .reportingEntity))
        #expect(try await store.hasEnabledUser(role: .admin) == false, "a disabled admin does not count")
        var replaced = Self.account("root", .admin)
        replaced.createdAt = Timestamp(secondsSinceEpoch: 9)
        try await store.upsertUser(replaced)
        #expect(try await store.hasEnabledUser(role: .admin))
        #expect(try await store.user(username: "root")?.createdAt == Self.time, "an upsert keeps the creation time")
        #expect(try await store.user(username: "vasp") == Self.account("vasp", .reportingEntity))
        #expect(try await store.users().map(\.username) == ["root", "vasp"])
        let changed = try await store.updateUser(username: "vasp") { user in
            user.totpSecret = "JBSWY3DPEHPK3PXP"
            user.username = "renamed"
        }
        #expect(changed?.username == "vasp" && changed?.totpSecret == "JBSWY3DPEHPK3PXP")
        #expect(try await store.user(username: "vasp")?.totpSecret == "JBSWY3DPEHPK3PXP")
        #expect(try await store.user(username: "renamed") == nil)
        #expect(try await store.updateUser(username: "nobody") { $0.disabled = true } == nil)
    }

    @Test(arguments: StoreBackend.available) func apiKeysAreRevokedOnceAndOnlyByTheirOwner(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        try await store.upsertUser(Self.account("alice", .analyst))
        try await store.upsertUser(Self.account("bob", .analyst))
        for (index, owner) in ["alice", "alice", "bob"].enumerated() {
            try await store.addAPIKey(
                StoredAPIKey(
                    id: "k\(index)", username: owner, secretSHA256: "sha-\(index)", label: "key \(index)",
                    createdAt: Timestamp(secondsSinceEpoch: 1_767_225_600 + Int64(index))))
        }
        #expect(try await store.apiKeys(username: "alice").map(\.id) == ["k0", "k1"])
        #expect(try await store.apiKey(id: "k2")?.username == "bob")
        #expect(try await store.revokeAPIKey(id: "k2", username: "alice", at: Self.time) == nil, "not alice's key")
        #expect(try await store.revokeAPIKey(id: "k1", username: "alice", at: Self.time)?.revokedAt == Self.time)
        #expect(try await store.revokeAPIKey(id: "k1", username: "alice", at: Self.time) == nil, "revoked already")
        #expect(try await store.apiKey(id: "k1")?.revokedAt == Self.time)
        #expect(try await store.apiKey(id: "k0")?.revokedAt == nil)
        await #expect(throws: (any Error).self, "a key of no account") {
            try await store.addAPIKey(StoredAPIKey(id: "k9", username: "ghost", secretSHA256: "x", label: "x", createdAt: Self.time))
        }
    }

    @Test(arguments: StoreBackend.available) func aRefreshTokenIsUsedOnceAndItsReuseRevokesTheFamily(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        try await store.upsertUser(Self.account("alice", .analyst))
        try await store.addRefreshToken(Self.token("t1", family: "f"))
        try await store.addRefreshToken(Self.token("t2", family: "f"))
        try await store.addRefreshToken(Self.token("old", family: "g", expires: Timestamp(secondsSinceEpoch: 1_767_225_601)))
        let now = Timestamp(secondsSinceEpoch: 1_767_225_700)
        guard case .redeemed(let used) = try await store.redeemRefreshToken(sha256: "t1", at: now) else {
            Issue.record("t1 was not redeemed")
            return
        }
        #expect(used.usedAt == now)
        guard case .reused = try await store.redeemRefreshToken(sha256: "t1", at: now) else {
            Issue.record("a second use of t1 was not reported as reuse")
            return
        }
        #expect(try await store.redeemRefreshToken(sha256: "t2", at: now) == .invalid, "the family is revoked")
        #expect(try await store.redeemRefreshToken(sha256: "old", at: now) == .invalid, "expired")
        #expect(try await store.redeemRefreshToken(sha256: "unknown", at: now) == .invalid)
        try await store.addRefreshToken(Self.token("t3", family: "h"))
        #expect(try await store.revokeRefreshFamily(ofTokenSHA256: "t3", at: now))
        #expect(try await store.revokeRefreshFamily(ofTokenSHA256: "unknown", at: now) == false)
        #expect(try await store.redeemRefreshToken(sha256: "t3", at: now) == .invalid)
        try await store.addRefreshToken(Self.token("t4", family: "i"))
        try await store.revokeRefreshTokens(username: "alice", at: now)
        #expect(try await store.redeemRefreshToken(sha256: "t4", at: now) == .invalid)
    }

    /// Two processes presenting the same refresh token at once: exactly one gets the next token.
    @Test(arguments: StoreBackend.available) func concurrentRedemptionsOfOneTokenRedeemItOnce(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        try await store.upsertUser(Self.account("alice", .analyst))
        for round in 0..<5 {
            try await store.addRefreshToken(Self.token("race-\(round)", family: "race-\(round)"))
            let outcomes = try await withThrowingTaskGroup(of: RefreshRedemption.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await store.redeemRefreshToken(sha256: "race-\(round)", at: Timestamp(secondsSinceEpoch: 1_767_225_700))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let redeemed = outcomes.filter { if case .redeemed = $0 { true } else { false } }
            #expect(redeemed.count == 1, "round \(round): \(outcomes)")
        }
    }

    @Test(arguments: StoreBackend.available) func feedsResumeAfterAPositionAndUpdatesKeepTheirs(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        #expect(try await store.feedPositions() == (0, 0, 0))
        try await store.apply((0..<5).map { TransactionWrite(row($0), addresses: []) })
        let start = try await store.feedPositions().transactions
        let first = try await store.transactions(after: 0, limit: 3)
        #expect(first.map(\.item.id) == (0..<3).map { row($0).id })
        let rest = try await store.transactions(after: try #require(first.last).position, limit: 10)
        #expect(rest.map(\.item.id) == (3..<5).map { row($0).id })
        try await store.apply([TransactionWrite(row(1, risk: 90), addresses: []), TransactionWrite(row(5), addresses: [])])
        let after = try await store.transactions(after: start, limit: 10)
        #expect(after.map(\.item.id) == [row(5).id], "an update keeps its position; only the new row follows")
        try await store.record([
            DeadLetter(
                source: "s", topic: "transactions", partition: 0, offset: 1, key: [], payload: [0xFF], reasonCode: .malformed, reason: "r",
                rejectedBy: "engine", time: Self.time)
        ])
        let letters = try await store.deadLetters(after: 0, limit: 10)
        #expect(letters.map(\.item.payload) == [[0xFF]])
        #expect(try await store.feedPositions().deadLetters == letters.last?.position)
    }
}

/// Several processes opening one PostgreSQL schema at the same moment (a scale-out platform starting).
@Suite struct PostgresOpeningTests {
    @Test func storesOpeningOneNewSchemaAtOnceMigrateItOnce() async throws {
        guard let settings = TestPostgres.settings() else { return }
        let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
            for _ in 0..<6 { group.addTask { try await PostgresStore.open(settings) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(stores.count == 6)
        try await stores[0].apply([TransactionWrite(row(1), addresses: ["a"])])
        #expect(try await stores[5].transaction(id: row(1).id) == row(1))
        let applied = try await stores[0].client.query("SELECT count(*), count(DISTINCT name) FROM schema_migrations").collect()
        let (count, distinct) = try applied[0].decode((Int64, Int64).self)
        #expect(count == distinct && count >= 3, "each migration once: \(count) rows, \(distinct) names")
    }
}
