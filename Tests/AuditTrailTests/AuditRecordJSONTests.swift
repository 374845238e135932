@testable import AuditTrail
import CSICCore
import Foundation
import Testing

/// Entries are written by a hand-made encoder; it must give exactly the bytes `JSONEncoder` gives (sorted
/// keys, slashes unescaped), which is what every entry before it holds and what readers expect.
@Suite struct AuditRecordJSONTests {
    private struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    /// Quotes, backslashes, slashes, every control character, DEL, Latin, BMP and astral characters,
    /// U+2028 and a combining accent.
    private static let pieces: [String] =
        ["a", "Z", "0", "9", "_", ".", " ", "\"", "\\", "/", "é", "e\u{301}", "€", "😀", "\u{2028}", "\u{FFFF}", "\u{10000}", "\u{7F}"]
        + (0..<32).map { String(UnicodeScalar(UInt8($0))) }

    private func text(_ random: inout Random, maximum: Int) -> String {
        (0..<random.next(maximum + 1)).map { _ in Self.pieces[random.next(Self.pieces.count)] }.joined()
    }

    @Test func matchesJSONEncoderByteForByte() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var random = Random(state: 42)
        for round in 0..<3_000 {
            var details: [String: String] = [:]
            for _ in 0..<random.next(6) { details[text(&random, maximum: 4)] = text(&random, maximum: 12) }
            let record = AuditRecord(
                id: text(&random, maximum: 10) + "\(round)",
                time: Timestamp(microsecondsSinceEpoch: Int64(random.next(4_000_000_000)) * 1_000_003),
                actor: text(&random, maximum: 8), action: text(&random, maximum: 20), resource: text(&random, maximum: 30),
                outcome: AuditOutcome.allCases[random.next(3)], requestID: text(&random, maximum: 8),
                sourceAddress: text(&random, maximum: 8),
                details: details)
            var ours: [UInt8] = []
            AuditRecordJSON.append(record, to: &ours)
            let theirs = Array(try encoder.encode(record))
            #expect(
                ours == theirs, "round \(round): \(String(decoding: ours, as: UTF8.self)) vs \(String(decoding: theirs, as: UTF8.self))")
            if ours != theirs { return }
            let previous = TreeHash(bytes: (0..<32).map { _ in UInt8(random.next(256)) })!
            let entry = AuditLeaf.encode(record, seq: UInt64(round), previous: previous)
            #expect(
                entry == Array(#"{"previous_hash":""#.utf8) + Array(previous.hex.utf8) + Array(#"","seq":\#(round),"record":"#.utf8)
                    + theirs + [UInt8(ascii: "}")])
            #expect(try AuditLeaf.record(entry) == record)
        }
    }
}
