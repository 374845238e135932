import ArgumentParser
import AuditTrail
import CSICPlatform
import Foundation
import ServiceLifecycle

/// `csic witness ...`: run a C2SP tlog-witness that cosigns other logs' checkpoints (a second csic, on another
/// host or in another trust domain, keeps the first from rolling its audit log back).
struct WitnessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness", abstract: "Run a C2SP transparency-log witness for audit logs.", subcommands: [Serve.self, Key.self])

    struct Options: ParsableArguments {
        @Option(name: .customLong("data-dir"), help: "The witness's directory: its key and the latest cosigned checkpoints.")
        var dataDirectory: String = "./csic-witness"
        @Option(help: "The witness's name (its key name), e.g. witness.regulator.example.") var name: String
        @Option(name: .customLong("log-key"), help: "A verifier key of a log to witness (repeatable); its name is the log's origin.")
        var logKeys: [String] = []

        func open() throws -> TlogWitness {
            try TlogWitness(directory: dataDirectory, name: name, logKeys: try logKeys.map { try NoteVerifier(verifierKey: $0) })
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Serve POST /add-checkpoint and GET /latest?origin=.")
        @OptionGroup var options: Options
        @Option(help: "Address to bind.") var host: String = "127.0.0.1"
        @Option(help: "Port.") var port: Int = 8090

        func run() async throws {
            guard !options.logKeys.isEmpty else { throw ValidationError("give at least one --log-key") }
            let witness = try options.open()
            let logger = Logging.bootstrapped(label: "csic.witness")
            let host = host
            let application = WitnessServer.application(witness, host: host, port: port, logger: logger) { bound in
                FileHandle.standardOutput.write(
                    Data(
                        "witness \(witness.cosigner.name) at http://\(host):\(bound)/  key \(witness.cosigner.verifier.verifierKey)\n".utf8)
                )
            }
            let group = ServiceGroup(
                configuration: .init(services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }

    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the witness's verifier key (creating the key on first use).")
        @OptionGroup var options: Options

        func run() async throws {
            print(try options.open().cosigner.verifier.verifierKey)
        }
    }
}
