import ArgumentParser
import CSICCore
import CSICPlatform
import Configuration
import Foundation
import APIGateway
import Logging

/// `csic demo`: every role and the chain simulator, on embedded backends or on those of `--config`.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run all roles and the simulators on embedded backends (or on those of a configuration file).")

    @Option(help: "HTTP port.") var port: Int = 8080
    @Option(help: "HTTP address to bind.") var host: String = "127.0.0.1"
    @Option(name: .customLong("grpc-port"), help: "gRPC port on the same address (0: any free port).") var grpcPort: Int = 9090
    @Option(name: .customLong("data-dir"), help: "Where the log and stores live.") var dataDirectory: String = "./csic-data"
    @Option(help: "Stop after this many seconds.") var duration: Double?
    @Option(help: "Simulated transactions per second.") var rate: Double = 200
    @Option(help: "Simulator seed: the same seed produces the same transactions and resumes after a crash.") var seed: UInt64?
    @Option(help: "Produce exactly this many transactions, then idle.") var count: Int?
    @Option(
        name: .customLong("admin-password"),
        help: "Password of the demo admin, admin (at least 12 characters); without it a random one is printed at start.")
    var adminPassword: String?
    @Option(
        help:
            "A configuration file (as for serve) whose backends (store.backend: postgres, log.backend: kafka) the demo runs on; the flags above take precedence."
    )
    var config: String?

    func run() async throws {
        var values: [String: ConfigValue] = [
            "data_dir": ConfigValue(.string(dataDirectory), isSecret: false),
            "http.host": ConfigValue(.string(host), isSecret: false),
            "http.port": ConfigValue(.int(port), isSecret: false),
            "grpc.port": ConfigValue(.int(grpcPort), isSecret: false),
            "simulator.enabled": ConfigValue(.bool(true), isSecret: false),
            "simulator.rate": ConfigValue(.double(rate), isSecret: false),
        ]
        if let seed { values["simulator.seed"] = ConfigValue(.int(Int(truncatingIfNeeded: Int64(bitPattern: seed))), isSecret: false) }
        if let count { values["simulator.count"] = ConfigValue(.int(count), isSecret: false) }
        // Without --config the demo is its flags alone; with it, the file and CSIC_* variables as for serve.
        let configuration = try await ConfigurationLoader.load(
            file: config, environment: config == nil ? [:] : ProcessInfo.processInfo.environment, values: values)
        let logger = Logging.bootstrapped(label: "csic")
        let platform = try await Platform.open(configuration, logger: logger)
        let password = adminPassword ?? Secrets.demoPassword()
        try await platform.access.ensureAdmin("admin", password: password, by: ChangeOrigin(actor: "operator:demo", sourceAddress: "local"))
        try await platform.run(duration: duration.map { .seconds($0) }) { boundPort in
            var banner = "CSIC demo running at http://\(host):\(boundPort)/  (API /api/v1, metrics /metrics, data \(dataDirectory))\n"
            if adminPassword == nil { banner += "Sign in as admin with the password \(password) (printed only now)\n" }
            FileHandle.standardOutput.write(Data(banner.utf8))
        } onGRPCRunning: { boundPort in
            FileHandle.standardOutput.write(Data("gRPC API at \(host):\(boundPort) (csic.v1.QueryService)\n".utf8))
        }
    }
}

/// `csic serve`: the roles of a configuration file.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the configured roles on the configured backends.")

    @Option(help: "YAML configuration file; CSIC_* environment variables override it.") var config: String
    @Option(help: "all, or a comma-separated list of ingest, process, api.") var roles: String?

    func run() async throws {
        var environment = ProcessInfo.processInfo.environment
        if let roles, roles != "all" { environment["CSIC_ROLES"] = roles }
        let configuration = try await ConfigurationLoader.load(file: config, environment: environment)
        let logger = Logging.bootstrapped(label: "csic")
        let platform = try await Platform.open(configuration, logger: logger)
        guard try await platform.store.hasEnabledUser(role: .admin) else {
            try await platform.log.close()
            throw ValidationError(
                "the store has no enabled admin, and csic does not run open: create one first with "
                    + "csic user add NAME --role admin --password-stdin --config \(config)")
        }
        try await platform.run { boundPort in
            logger.info(
                "serving",
                metadata: [
                    "url": "http://\(configuration.httpHost):\(boundPort)/", "roles": "\(configuration.roles.map(\.rawValue).sorted())",
                ])
        } onGRPCRunning: { boundPort in
            logger.info("serving gRPC", metadata: ["address": "\(configuration.httpHost):\(boundPort)"])
        }
    }
}

enum Logging {
    /// Structured logs to standard error at `CSIC_LOG_LEVEL` (default info).
    static func bootstrapped(label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = ProcessInfo.processInfo.environment["CSIC_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        return logger
    }
}
