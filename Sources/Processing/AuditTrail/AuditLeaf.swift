import CSICCore
import Crypto
import Foundation

/// The exact bytes of one audit log entry, which are both its hash-chain link and its Merkle leaf:
///
///     {"previous_hash":"<64 hex>","seq":<n>,"record":{<the audit record, keys sorted>}}
///
/// `current_hash` = SHA-256 of these bytes, and the next entry's `previous_hash`; the first entry's
/// `previous_hash` is 64 zeros. The fixed prefix lets a verifier check the chain without a JSON parser;
/// the record stays readable JSON for people and courts.
public enum AuditLeaf {
    static let prefix = Array(#"{"previous_hash":""#.utf8)
    static let seqKey = Array(#"","seq":"#.utf8)
    static let recordKey = Array(#","record":"#.utf8)

    /// The entry bytes of `record` at position `seq` after `previous`.
    public static func encode(_ record: AuditRecord, seq: UInt64, previous: TreeHash) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return prefix + Array(previous.hex.utf8) + seqKey + Array(String(seq).utf8) + recordKey + Array(try encoder.encode(record)) + [UInt8(ascii: "}")]
    }

    /// SHA-256 of the entry: its `current_hash`.
    public static func chainHash(_ leaf: some Collection<UInt8>) -> TreeHash {
        var hasher = SHA256()
        if leaf.withContiguousStorageIfAvailable({ hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }) == nil {
            hasher.update(data: Array(leaf))
        }
        return TreeHash(digest: hasher.finalize())
    }

    /// The `previous_hash` and `seq` an entry states, or why it cannot be read; the record itself is not parsed.
    public static func header(_ leaf: ArraySlice<UInt8>) -> (previous: String, seq: UInt64)? {
        let start = leaf.startIndex
        guard leaf.count > prefix.count + 64 + seqKey.count + recordKey.count + 2,
              leaf[start..<start + prefix.count].elementsEqual(prefix),
              leaf[start + prefix.count + 64..<start + prefix.count + 64 + seqKey.count].elementsEqual(seqKey),
              leaf.last == UInt8(ascii: "}")
        else { return nil }
        var position = start + prefix.count + 64 + seqKey.count
        var seq: UInt64 = 0
        let digitsStart = position
        while position < leaf.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(leaf[position]), position - digitsStart < 20 {
            let (product, overflow) = seq.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            seq = product + UInt64(leaf[position] - UInt8(ascii: "0"))
            position += 1
        }
        guard position > digitsStart, leaf[position..<min(leaf.endIndex, position + recordKey.count)].elementsEqual(recordKey) else { return nil }
        let previous = String(decoding: leaf[start + prefix.count..<start + prefix.count + 64], as: UTF8.self)
        return (previous, seq)
    }

    /// The audit record inside an entry.
    public static func record(_ leaf: [UInt8]) throws -> AuditRecord {
        guard let header = header(leaf[...]) else { throw NoteError("not an audit entry") }
        let offset = prefix.count + 64 + seqKey.count + String(header.seq).utf8.count + recordKey.count
        return try JSONDecoder().decode(AuditRecord.self, from: Data(leaf[offset..<leaf.count - 1]))
    }
}
