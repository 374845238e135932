import ArgumentParser
import CSICCore
import Foundation
import Simulation

/// `csic scenario`: the scenario generator's labelled set — the simulated economy with every typology injected
/// — as one JSON document, for a test node to carry as real blocks or for training and evaluation elsewhere.
struct ScenarioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenario",
        abstract: "Write a labelled scenario set (benign economy, every typology injected, tags) as JSON.",
        discussion: """
            The document holds `transactions` (the events' own JSON, in time order), `labels` ({typology, subject}: \
            what a detector should report, about whom), `injected` (the txids of the injected instances' \
            transactions; every other one is the benign economy's) and `tags` (the economy's known services and the injected \
            exposure instances' sanctioned and illicit parties). The same seed gives the same set.
            """)

    @Option(help: "The seed of the set.") var seed: UInt64 = 1
    @Option(help: "Benign background transactions.") var background: Int = 5_000
    @Option(name: .customLong("per-typology"), help: "Injected instances of each typology.") var perTypology: Int = 1
    @Option(help: "Write here instead of standard output.") var out: String?

    func validate() throws {
        guard (0...10_000_000).contains(background) else { throw ValidationError("--background must be 0 to 10,000,000") }
        guard (1...1_000).contains(perTypology) else { throw ValidationError("--per-typology must be 1 to 1,000") }
    }

    struct Document: Encodable {
        var seed: UInt64
        var transactions: [ChainTransaction]
        var labels: [Label]
        var injected: [String]
        var tags: [AddressTag]
    }

    struct Label: Encodable {
        var typology: String
        var subject: String
    }

    func run() throws {
        let scenarios = TypologyScenarios(seed: seed, background: background, perTypology: perTypology)
        let document = Document(
            seed: seed, transactions: scenarios.transactions,
            labels: scenarios.labels.map { Label(typology: $0.typology.rawValue, subject: $0.subject) },
            injected: scenarios.injectedTxids.sorted(), tags: scenarios.tags)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(document)
        if let out {
            try data.write(to: URL(fileURLWithPath: out), options: .atomic)
        } else {
            FileHandle.standardOutput.write(data)
            FileHandle.standardOutput.write(Data("\n".utf8))
        }
    }
}
