import APIGateway
import CSICCore
import CSICPlatform
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import CSICTestSupport
import Testing

@Suite struct PlatformBadInputTests {
    /// Malformed events on `transactions` end in `dead_letter` with the reason, are counted in `/metrics`
    /// and listed by `/api/v1/dead-letters`, while the good events around them are stored.
    @Test func malformedEventsAreDeadLetteredCountedAndListed() async throws {
        let directory = try TemporaryDirectory()
        var configuration = PlatformConfiguration()
        configuration.dataDirectory = directory.path
        configuration.roles = [.process]
        let platform = try await Platform.open(configuration, logger: Logger(label: "test"))
        let store = platform.store
        let txids = try await Seeding.seed(log: platform.log, store: store, transactions: 10)
        _ = try await platform.log.append(
            .transactions,
            records: [
                ProducerRecord(key: "x", value: [0x0A, 0xFF]),
                ProducerRecord(key: "y", value: Array("{\"txid\": \"json is not protobuf\"}".utf8)),
            ])
        let auth = try await TestAccess.adminHeaders(platform.access)
        try await platform.run(duration: .seconds(5))

        // `run` closed the platform's log; the API needs one open to audit its answers (it refuses reads it
        // cannot record).
        var dependencies = platform.gatewayDependencies
        let log = try EmbeddedEventLog(directory: "\(directory.path)/log")
        dependencies.log = log
        let app = Application(router: Gateway.router(dependencies))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/dead-letters", method: .get, headers: auth) { response in
                let body = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                let items = body?["items"] as? [[String: Any]] ?? []
                // The seeding's junk record plus the two appended here.
                #expect(items.count == 3)
                #expect(items.allSatisfy { ($0["reason"] as? String)?.isEmpty == false && $0["source"] as? String == "transactions" })
            }
            try await client.execute(uri: "/metrics", method: .get, headers: auth) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"csic_dead_letters_total{source="transactions",reason="undecodable"} 2"#), "\(text.prefix(2_000))")
                #expect(text.contains(#"csic_errors_total{source="transactions",kind="invalid_input"} 2"#))
            }
        }
        #expect(try await store.transactionCount() == txids.count)
        try await log.close()
    }
}
