import CSICCore
import Foundation
import Testing

/// The shared Bitcoin fixtures under `Tests/Fixtures/bitcoin`.
enum BitcoinFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/bitcoin")

    static func block(_ name: String) throws -> [UInt8] {
        let text = try String(contentsOf: directory.appendingPathComponent("\(name).hex"), encoding: .utf8)
        return try #require(Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)) as [UInt8]?)
    }

    struct InvalidBlock: Decodable {
        let name: String
        let expected_error: String
        let hex: String
    }

    static func invalidBlocks() throws -> [InvalidBlock] {
        try JSONDecoder().decode([InvalidBlock].self, from: Data(contentsOf: directory.appendingPathComponent("invalid-blocks.json")))
    }
}
