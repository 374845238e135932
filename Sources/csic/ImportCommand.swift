import ArgumentParser
import CSICCore
import CSICPlatform
import Foundation
import Storage
import TransactionAnalysis

/// `csic import tags FILE... | sanctions FILE...`: reference data into the configured store while the platform
/// is stopped. Each import is a new version of its list, recorded in the audit trail with the operator.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import tag lists and sanctions lists on a stopped platform (audited).",
        subcommands: [Tags.self, Sanctions.self])

    struct Tags: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import GraphSense TagPack YAML files, each a list of its own.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "TagPack files.") var files: [String]
        @Flag(help: ImportCommand.reevaluateHelp) var reevaluate = false

        func run() async throws {
            try await ImportCommand.run(.tags, paths: files, store: store, reevaluate: reevaluate)
        }
    }

    struct Sanctions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import the OFAC SDN list: SDN.CSV (with SDN_COMMENTS.CSV after it) or SDN_ADVANCED.XML.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "SDN.CSV [SDN_COMMENTS.CSV], or SDN_ADVANCED.XML.") var files: [String]
        @Flag(help: ImportCommand.reevaluateHelp) var reevaluate = false

        func run() async throws {
            try await ImportCommand.run(.sanctions, paths: files, store: store, reevaluate: reevaluate)
        }
    }

    static let reevaluateHelp: ArgumentHelp =
        "Then re-evaluate the stored history against the new version: the analysis replayed from offset 0 and what changed applied (csic replay --apply)."

    static func run(_ kind: ReferenceDataKind, paths: [String], store: StoreOptions, reevaluate: Bool) async throws {
        guard !paths.isEmpty else { throw ValidationError("name at least one file") }
        let files = try paths.map(read)
        // Read before the stores are opened (once): a file that cannot be read changes nothing.
        let contents: [ReferenceDataContents]
        do {
            contents = try ReferenceDataImporter.parse(kind, files: files)
        } catch {
            throw ValidationError("\(paths.joined(separator: ", ")): \(error.description)")
        }
        try await store.withPlatform { platform in
            let importer = ReferenceDataImporter(store: platform.database.tags, log: platform.log)
            for report in try await importer.importAll(contents, kind, files: files, by: StoreOptions.origin) {
                print(
                    "\(report.list.name) version \(report.list.version): \(report.list.tagCount) tags imported, "
                        + "\(report.rejected.count) refused, \(report.skipped.values.reduce(0, +)) skipped")
                for rejection in report.rejected.prefix(20) { print("  refused \(rejection.location): \(rejection.reason)") }
                if report.rejected.count > 20 { print("  ... and \(report.rejected.count - 20) more refused") }
                for (reason, count) in report.skipped.sorted(by: { $0.key < $1.key }) { print("  skipped \(count): \(reason)") }
            }
            guard reevaluate else { return }
            let (replay, analysis) = try ReplayCommand.replay(on: platform)
            let report = try await replay.run(from: 0, to: nil, apply: true, by: StoreOptions.origin)
            print(ReplayCommand.text(report, analysis: analysis, show: 20))
        }
    }

    /// The file's bytes, refusing one larger than the importers read.
    static func read(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ValidationError("cannot read \(path)") }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: ReferenceDataLimits.fileBytes + 1) ?? Data()
        guard data.count <= ReferenceDataLimits.fileBytes else {
            throw ValidationError("\(path) is larger than \(ReferenceDataLimits.fileBytes >> 20) MiB")
        }
        return Array(data)
    }
}
