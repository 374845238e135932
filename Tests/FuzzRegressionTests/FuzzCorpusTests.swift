import CSICFuzzTargets
import Foundation
import Testing

/// Every input of the committed fuzz corpus (`Tests/Fuzz/corpus/<target>/`: real seeds and `regression-*`
/// inputs that once crashed a parser) goes through its target on every `swift test`: a parser that traps on
/// any of them fails here, without libFuzzer.
@Suite struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus").path

    @Test func everyTargetHasASeedCorpusAndEveryCorpusATarget() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.corpus).sorted()
        #expect(folders == FuzzTargets.all.keys.sorted())
        for folder in folders {
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(Self.corpus)/\(folder)").contains { $0.hasPrefix("seed-") })
        }
    }

    @Test(arguments: FuzzTargets.all.keys.sorted())
    func everyCommittedInputReturns(_ target: String) async throws {
        let folder = "\(Self.corpus)/\(target)"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        for file in files {
            let data = try #require(FileManager.default.contents(atPath: "\(folder)/\(file)"))
            await FuzzTargets.all[target]!.run(Array(data))
        }
        #expect(!files.isEmpty)
    }

    /// The crashes the faults issue named, and those the fuzzer found since, kept as regression inputs.
    @Test func theKnownCrashesAreRegressionInputs() {
        #expect(FileManager.default.fileExists(atPath: "\(Self.corpus)/zmtp/regression-empty-ready-command"))
        #expect(FileManager.default.fileExists(atPath: "\(Self.corpus)/ethereum-block/regression-timestamp-2-63"))
        #expect(FileManager.default.fileExists(atPath: "\(Self.corpus)/sdn-advanced-xml/regression-nul-bytes-abort-in-error-handler"))
        #expect(FileManager.default.fileExists(atPath: "\(Self.corpus)/sdn-advanced-xml/regression-invalid-utf8-in-attribute-name"))
    }
}
