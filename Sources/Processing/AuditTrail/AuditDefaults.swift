import CSICCore
import Foundation

/// Defaults shared by the audit service and the command line.
public enum AuditDefaults {
    /// The checkpoint origin when none is configured.
    public static let origin = "csic.local/audit"
    /// Entries per segment file before it is sealed (`audit.segment_entries`).
    public static let segmentEntries: UInt64 = 1 << 20

    /// Prints `value` as one JSON object with sorted keys.
    public static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
