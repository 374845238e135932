@testable import APIGateway
import AuditTrail
import CSICCore
import CSICProtos
import CSICQueryService
import CSICTestSupport
import EventLog
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import ServiceLifecycle
import Storage
import Testing

/// The gRPC API over a real loopback socket: the generated Swift client against the server the platform runs.
@Suite struct GRPCQueryServiceTests {
    /// Runs the gateway's services (REST and gRPC on free ports) and `body` with a client of the gRPC port.
    func withServer(
        _ dependencies: GatewayDependencies,
        _ body: @escaping @Sendable (Csic_V1_QueryService.Client<HTTP2ClientTransport.Posix>) async throws -> Void
    ) async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let services = try Gateway.services(
            dependencies, host: "127.0.0.1", httpPort: 0, grpcPort: 0, onGRPCRunning: { continuation.yield($0) })
        let group = ServiceGroup(services: services, logger: .init(label: "test"))
        try await withThrowingTaskGroup { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await withGRPCClient(
                transport: try .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
            ) { client in
                try await body(Csic_V1_QueryService.Client(wrapping: client))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    func fixture() async throws -> (TemporaryDirectory, GatewayDependencies, [String], admin: Metadata, entity: Metadata, analyst: Metadata)
    {
        let (directory, fixture, txids, headers) = try await GatewayTests().fixture()
        var dependencies = fixture
        let store = try SQLiteStore(path: "\(directory.path)/store.sqlite")
        dependencies.feed = store
        dependencies.transactions = store
        dependencies.audit = LocalAuditQueries(directory: directory.path + "/audit", origin: "test/audit")
        dependencies.settings.eventStreamSeconds = 1
        let entity = try await TestAccess.adminHeaders(dependencies.access, role: .reportingEntity, name: "exchange-1")
        let analyst = try await TestAccess.adminHeaders(dependencies.access, role: .analyst, name: "analyst-1")
        return (
            directory, dependencies, txids, ["authorization": .string(headers[.authorization]!)],
            ["authorization": .string(entity[.authorization]!)], ["authorization": .string(analyst[.authorization]!)]
        )
    }

    @Test func queriesStreamsAndRefusesByTheRouteTableRules() async throws {
        let (directory, dependencies, txids, admin, entity, analyst) = try await fixture()
        try await withServer(dependencies) { query in
            let stored = try await query.getTransaction(.with { $0.id = "btc:\(txids[5])" }, metadata: admin)
            #expect(stored.id == "btc:\(txids[5])" && stored.transaction.txid == txids[5] && stored.status == .confirmed)
            // A bare txid finds it too; an unknown one is NOT_FOUND with the REST problem code.
            #expect(try await query.getTransaction(.with { $0.id = txids[5] }, metadata: admin).id == stored.id)
            let missing = await Self.code { _ = try await query.getTransaction(.with { $0.id = "btc:00" }, metadata: admin) }
            #expect(missing == .notFound)

            // Paging by address: every page's items touch the address, and the pages end.
            let address = try #require(stored.transaction.outputs.first?.address)
            var cursor = ""
            var pages = 0
            repeat {
                let page = try await query.listTransactions(
                    .with {
                        $0.address = address
                        $0.limit = 1
                        $0.cursor = cursor
                    }, metadata: admin)
                #expect(
                    page.items.allSatisfy {
                        $0.transaction.outputs.contains { $0.address == address }
                            || $0.transaction.inputs.contains { $0.address == address }
                    })
                cursor = page.nextCursor
                pages += 1
            } while !cursor.isEmpty && pages < 200
            #expect(pages >= 1 && pages < 200)
            let badCursor = await Self.code { _ = try await query.listTransactions(.with { $0.cursor = "nonsense" }, metadata: admin) }
            #expect(badCursor == .invalidArgument)

            let filtered = try await query.listTransactions(
                .with {
                    $0.chain = .bitcoin
                    $0.minAmount = "100000"
                    $0.sort = "-amount"
                    $0.limit = 20
                }, metadata: admin)
            let sizes = filtered.items.map { Double($0.transaction.outputs.reduce(0) { $0 + Self.value($1.value) }) }
            #expect(!sizes.isEmpty && sizes == sizes.sorted(by: >) && sizes.allSatisfy { $0 >= 100_000 }, "filters and sort as REST's")
            let badSort = await Self.code { _ = try await query.listTransactions(.with { $0.sort = "size" }, metadata: admin) }
            #expect(badSort == .invalidArgument)

            let stats = try await query.getStats(.init(), metadata: admin)
            #expect(stats.stored["transactions"] == 120)

            // The live feed from the start: every stored transaction, the dead letter and an alert change, then the
            // stream ends.
            let finding = ComplianceFinding(
                id: "fan_in:btc:hub:t1", kind: .pattern, subject: "hub", severity: .medium, source: "risk-engine", summary: "fan-in",
                time: Timestamp(secondsSinceEpoch: 1_796_000_000), typology: "fan_in", subjects: ["hub"], txids: ["t1"], chain: .bitcoin,
                ruleVersion: "typologies-x")
            _ = try await SQLiteStore(path: "\(directory.path)/store.sqlite").record([finding], at: finding.time)
            let events = try await query.watch(.with { $0.after = "0-0-0" }, metadata: admin) { response in
                var events: [Csic_V1_WatchEvent] = []
                for try await event in response.messages { events.append(event) }
                return events
            }
            #expect(events.filter { $0.transaction.id.hasPrefix("btc:") }.count == 120)
            let raised = try #require(events.first { $0.alertChange.alertID != "" })
            #expect(raised.alertChange.action == "raised" && raised.alertChange.status == .open && raised.position.hasSuffix("-1"))
            let letter = try #require(events.first { $0.deadLetter.source != "" }?.deadLetter)
            #expect(!letter.payload.isEmpty, "an admin sees a dead letter's bytes")
            let redacted = try await query.watch(.with { $0.after = "0-0" }, metadata: analyst) { response -> Csic_V1_DeadLetter? in
                for try await event in response.messages where event.deadLetter.source != "" { return event.deadLetter }
                return nil
            }
            #expect(redacted?.payload.isEmpty == true && redacted?.reason == letter.reason, "an analyst sees the letter without its bytes")

            // Refused: no credential, a bad one, and a role the rule does not admit.
            #expect(await Self.code { _ = try await query.getStats(.init()) } == .unauthenticated)
            #expect(
                await Self.code { _ = try await query.getStats(.init(), metadata: ["authorization": "Bearer nope"]) } == .unauthenticated)
            #expect(await Self.code { _ = try await query.getStats(.init(), metadata: entity) } == .permissionDenied)
            let streamDenied = await Self.code {
                _ = try await query.watch(.init(), metadata: entity) { response in
                    for try await _ in response.messages {}
                }
            }
            #expect(streamDenied == .permissionDenied)
        }
        // Every call is on record with its real actor, rule and decision.
        let records = try await SignInTests().auditRecords(dependencies.log).filter { $0.action.hasPrefix("grpc.") }
        let byAction = Dictionary(grouping: records, by: \.action)
        #expect(byAction["grpc.csic.v1.QueryService/GetTransaction"]?.count == 3)
        let denied = records.filter { $0.outcome == .denied }
        #expect(denied.count == 4)
        #expect(denied.contains { $0.actor == "exchange-1" && $0.details["rule"] == "stats.read" && $0.details["decision"] == "forbidden" })
        #expect(denied.contains { $0.actor == "anonymous" && $0.details["credential_rejected"] != nil })
        #expect(records.contains { $0.actor == "test-admin" && $0.details["request"]?.contains(txids[5]) == true })
    }

    @Test func theMethodTableMatchesTheServedMethods() {
        var router = RPCRouter<HTTP2ServerTransport.Posix>()
        QueryServiceHandler(transactions: nil, audit: nil, events: nil, stats: { throw CancellationError() }).registerMethods(with: &router)
        #expect(Set(router.methods.map(\.fullyQualifiedMethod)) == Set(GRPCMethod.queryService.map(\.name)))
    }

    /// A big-endian amount of base units, as the topic messages carry it.
    static func value(_ bytes: Data) -> UInt64 {
        bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func code(_ body: () async throws -> Void) async -> RPCError.Code? {
        do {
            try await body()
            return nil
        } catch let error as RPCError {
            return error.code
        } catch {
            return .unknown
        }
    }
}
