import APIGateway
import CSICCore
import ServiceLifecycle
import Storage

/// One system of the platform — an adapter, an engine, the audit trail, retention — with everything it
/// owns: its configuration section, its services per role, its routes, its tables, its metrics and what it
/// reports in `/api/v1/stats`. ``Platform`` iterates a list of components (``Platform/standardComponents``);
/// adding a system is adding its folder and one line to that list, and nothing else is edited.
///
/// ```swift
/// struct NotesComponent: PlatformComponent {
///     static let section = "notes"
///     let greeting: String
///     init(_ section: ConfigSection) throws {
///         greeting = section.string("greeting", default: "hello")
///         guard !greeting.isEmpty else { throw section.malformed("greeting", "must not be empty") }
///     }
///     var settingsDescription: [String: String] { ["greeting": greeting] }
/// }
/// ```
public protocol PlatformComponent: Sendable {
    /// The configuration section it reads (`bitcoin` reads `bitcoin.*`); also its name in logs.
    static var section: String { get }
    /// Reads and validates its section; a ``ValidationError`` names the full key (`bitcoin.network`).
    init(_ section: ConfigSection) throws
    /// Its settings for the `configuration.load` audit record, keys relative to the section, every secret
    /// (passwords, tokens, credentials in URLs) redacted.
    var settingsDescription: [String: String] { get }
    /// Its store tables, as named migrations applied after the platform's own.
    var storeMigrations: [StoreMigration] { get }
    /// HELP text of every metric it emits, by metric name.
    var metricsHelp: [String: String] { get }
    /// The consumer groups it runs, each with the topic it reads: `/api/v1/stats` reports their lag.
    var consumers: [String: String] { get }
    /// The long-running services it runs in the process's roles (``ComponentContext/runs(_:)``).
    func services(_ context: ComponentContext) throws -> [any Service]
    /// The routes it adds under `/api/v1` when the process serves the API.
    func routes(_ context: ComponentContext) -> [any APIRoutes]
}

extension PlatformComponent {
    public var settingsDescription: [String: String] { [:] }
    public var storeMigrations: [StoreMigration] { [] }
    public var metricsHelp: [String: String] { [:] }
    public var consumers: [String: String] { [:] }
    public func services(_ context: ComponentContext) throws -> [any Service] { [] }
    public func routes(_ context: ComponentContext) -> [any APIRoutes] { [] }
}
