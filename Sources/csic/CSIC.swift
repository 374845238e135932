import ArgumentParser

@main
struct CSIC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csic",
        abstract: "CSIC: crypto supervision platform for a financial regulator.",
        subcommands: [
            Demo.self, Serve.self, Bench.self, LogCommand.self, ChainCommand.self, AuditCommand.self, WitnessCommand.self, UserCommand.self,
            ImportCommand.self, ReplayCommand.self, ScenarioCommand.self,
        ])
}
