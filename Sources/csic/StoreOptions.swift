import APIGateway
import ArgumentParser
import CSICCore
import CSICPlatform
import Configuration
import Foundation
import Logging

/// Where a command finds the platform's stores: `--config FILE` as `serve` does, or `--data-dir DIR` as
/// `demo` does (`./csic-data` when neither is given).
struct StoreOptions: ParsableArguments {
    @Option(help: "YAML configuration file, as for serve.") var config: String?
    @Option(name: .customLong("data-dir"), help: "The data directory, as for demo.") var dataDirectory: String?

    /// The operator at this terminal, for audit records.
    static var origin: ChangeOrigin {
        ChangeOrigin(actor: "operator:" + (ProcessInfo.processInfo.environment["USER"] ?? "unknown"), sourceAddress: "local")
    }

    func validate() throws {
        if config != nil, dataDirectory != nil { throw ValidationError("give --config or --data-dir, not both") }
    }

    /// The configuration the options name.
    func load() async throws -> LoadedConfiguration {
        if let config {
            try await ConfigurationLoader.load(file: config, environment: ProcessInfo.processInfo.environment)
        } else {
            try ConfigurationLoader.load(values: ["data_dir": ConfigValue(.string(dataDirectory ?? "./csic-data"), isSecret: false)])
        }
    }

    /// Opens the configured stores (the platform must be stopped: the log is locked while it runs), runs
    /// `body` with its access control and closes them.
    func withAccess(_ body: (AccessControl) async throws -> Void) async throws {
        try await withPlatform { platform in try await body(platform.access) }
    }

    /// Opens the configured stores and every component's tables (the platform must be stopped), runs `body`
    /// and closes them.
    func withPlatform(_ body: (Platform) async throws -> Void) async throws {
        let configuration = try await load()
        var logger = Logger(label: "csic")
        logger.logLevel = .warning
        let platform: Platform
        do {
            platform = try await Platform.open(configuration, logger: logger)
        } catch {
            throw ValidationError(
                "cannot open the stores (\(error)); if the platform is running, use its admin routes under /api/v1 instead")
        }
        do {
            try await body(platform)
        } catch let error as AccountError {
            try await platform.log.close()
            throw ValidationError(error.description)
        } catch {
            try await platform.log.close()
            throw error
        }
        try await platform.log.close()
    }
}
