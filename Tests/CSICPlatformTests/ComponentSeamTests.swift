import APIGateway
import CSICCore
import CSICPlatform
import CSICProtos
import CSICTestSupport
import EventLog
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Storage
import Testing

/// A system that exists only in this test: its own configuration section, table, service, route and metric.
/// Registering it needs no change anywhere outside the test target.
struct NotesComponent: PlatformComponent {
    static let section = "notes"
    var greeting: String
    var apiKey: String?

    init(_ section: ConfigSection) throws {
        greeting = section.string("greeting", default: "hello")
        apiKey = section.string("api_key", secret: true)
        guard greeting.utf8.count <= 20 else { throw section.outOfRange("greeting", "must be at most 20 bytes") }
    }

    var settingsDescription: [String: String] { ["greeting": greeting, "api_key": apiKey == nil ? "" : "<redacted>"] }

    var storeMigrations: [StoreMigration] {
        [
            StoreMigration(
                "2026-12-04-notes",
                sqlite: { db in try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)") },
                postgres: ["CREATE TABLE notes (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, text TEXT NOT NULL)"])
        ]
    }

    var metricsHelp: [String: String] { ["csic_notes_written_total": "Notes the notes service wrote."] }

    func services(_ context: ComponentContext) throws -> [any Service] {
        guard context.runs(.process) else { return [] }
        return [NotesWriter(notes: NotesTable(database: context.database), greeting: greeting, metrics: context.metrics)]
    }

    func routes(_ context: ComponentContext) -> [any APIRoutes] { [NotesRoutes(notes: NotesTable(database: context.database))] }
}

/// The component's own store: one implementation per backend, chosen by the platform's database.
struct NotesTable: Sendable {
    let database: StoreDatabase

    func add(_ text: String) async throws {
        switch database {
        case .sqlite(let store):
            try await store.pool.write { db in try db.execute(sql: "INSERT INTO notes (text) VALUES (?)", arguments: [text]) }
        case .postgres(let store): try await store.client.query("INSERT INTO notes (text) VALUES (\(text))")
        }
    }

    func all() async throws -> [String] {
        switch database {
        case .sqlite(let store):
            return try await store.pool.read { db in try String.fetchAll(db, sql: "SELECT text FROM notes ORDER BY id") }
        case .postgres(let store):
            return try await store.client.query("SELECT text FROM notes ORDER BY id").collect().map { try $0.decode(String.self) }
        }
    }
}

/// Writes one note at start, then waits for shutdown.
struct NotesWriter: Service {
    let notes: NotesTable
    let greeting: String
    let metrics: any MetricsFactory

    func run() async throws {
        try await notes.add(greeting)
        Counter(label: "csic_notes_written_total", factory: metrics).increment()
        try? await gracefulShutdown()
    }
}

struct NotesRoutes: APIRoutes {
    let notes: NotesTable

    var routes: [APIRoute] {
        [
            APIRoute(
                .get, "notes", access: .roles("notes.read", .analyst, .auditor), summary: "The notes", response: .string(),
                contentType: "text/plain"
            ) { _, _ in
                try await notes.all().joined(separator: "\n")
            }
        ]
    }

    func storedCounts() async throws -> [String: Int] {
        ["notes": try await notes.all().count]
    }
}

@Suite struct ComponentSeamTests {
    @Test func aComponentFromOutsideStartsServesStoresIsListedAndIsAudited() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.path + "/csic.yaml"
        try """
        data_dir: \(directory.path)/data
        roles: [process, api]
        http: { port: 0 }
        notes: { greeting: bonjour, api_key: s3cret-key }
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let configuration = try await ConfigurationLoader.load(
            file: file, environment: [:], components: Platform.standardComponents + [NotesComponent.self])
        #expect(configuration.component(NotesComponent.self)?.greeting == "bonjour")
        let platform = try await Platform.open(configuration, logger: Logger(label: "test"))
        let running = Task { try await platform.run(duration: .seconds(10)) }
        let origin = ChangeOrigin(actor: "test", sourceAddress: "local")
        _ = try await platform.access.addUser("reader", role: .auditor, password: nil, entityID: nil, by: origin)
        let auth: HTTPFields = [.authorization: "Bearer \(try await platform.access.addAPIKey("reader", label: "", by: origin).text)"]
        let app = Application(router: Gateway.router(platform.gatewayDependencies))
        try await app.test(.router) { client in
            // The service writes its note once it has started.
            let deadline = ContinuousClock.now.advanced(by: .seconds(8))
            while ContinuousClock.now < deadline {
                let written = try await client.execute(uri: "/api/v1/notes", method: .get, headers: auth) {
                    String(buffer: $0.body) == "bonjour"
                }
                if written { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            try await client.execute(uri: "/api/v1/notes", method: .get, headers: auth) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "bonjour")
            }
            try await client.execute(uri: "/", method: .get) { response in
                let endpoints = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                #expect((endpoints?["endpoints"] as? [String])?.contains("GET /api/v1/notes") == true)
            }
            try await client.execute(uri: "/api/v1/stats", method: .get, headers: auth) { response in
                let stats = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                #expect((stats?["stored"] as? [String: Any])?["notes"] as? Int == 1)
            }
            try await client.execute(uri: "/metrics", method: .get, headers: auth) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("# HELP csic_notes_written_total Notes the notes service wrote."))
                #expect(text.contains("csic_notes_written_total 1"))
            }
        }
        try await running.value

        let log = try EmbeddedEventLog(directory: directory.path + "/data/log")
        var consumer = try await LogConsumer(log: log, group: "test", topics: [Topic.audit.rawValue])
        let records = try await consumer.poll(maxRecords: 1_000, timeout: .seconds(1)).map { try AuditRecord(protoBytes: $0.value) }
        let load = try #require(records.first { $0.action == "configuration.load" })
        #expect(load.details["notes.greeting"] == "bonjour")
        #expect(load.details["notes.api_key"] == "<redacted>")
        #expect(!records.contains { $0.details.values.contains { $0.contains("s3cret") } }, "the secret is in no audit record")
        try await log.close()
    }

    @Test func aComponentsBadSettingIsRefusedNamingItsKey() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.path + "/csic.yaml"
        try "notes: { greeting: \(String(repeating: "x", count: 21)) }".write(toFile: file, atomically: true, encoding: .utf8)
        await #expect { _ = try await ConfigurationLoader.load(file: file, environment: [:], components: [NotesComponent.self]) } throws: {
            error in
            (error as? ValidationError)?.field == "notes.greeting"
        }
        let fromEnvironment = try await ConfigurationLoader.load(
            file: nil, environment: ["CSIC_NOTES_GREETING": "hej"], components: [NotesComponent.self])
        #expect(fromEnvironment.component(NotesComponent.self)?.greeting == "hej")
    }
}
