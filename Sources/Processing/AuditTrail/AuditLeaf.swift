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

    /// The entry bytes of `record` at position `seq` after `previous` (the record as ``AuditRecordJSON``).
    public static func encode(_ record: AuditRecord, seq: UInt64, previous: TreeHash) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out.append(contentsOf: prefix)
        withUnsafeBytes(of: previous.words) { Hex.append($0, to: &out) }
        out.append(contentsOf: seqKey)
        out.append(contentsOf: String(seq).utf8)
        out.append(contentsOf: recordKey)
        AuditRecordJSON.append(record, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// SHA-256 of the entry in memory.
    static func chainHash(raw leaf: UnsafeRawBufferPointer) -> TreeHash {
        TreeHash(digest: SHA256.hash(data: leaf))
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
        leaf.withUnsafeBytes { raw in
            header(raw: raw).map { (String(decoding: $0.previousHex, as: UTF8.self), $0.seq) }
        }
    }

    /// The header of an entry in memory: its `previous_hash` digits, `seq`, and where the record's JSON starts.
    static func header(raw leaf: UnsafeRawBufferPointer) -> (previousHex: UnsafeRawBufferPointer, seq: UInt64, recordStart: Int)? {
        let seqStart = prefix.count + 64 + seqKey.count
        guard leaf.count > seqStart + recordKey.count + 2, leaf[leaf.count - 1] == UInt8(ascii: "}"),
            prefix.withUnsafeBytes({ $0.elementsEqual(UnsafeRawBufferPointer(rebasing: leaf[0..<prefix.count])) }),
            seqKey.withUnsafeBytes({ $0.elementsEqual(UnsafeRawBufferPointer(rebasing: leaf[prefix.count + 64..<seqStart])) })
        else { return nil }
        var position = seqStart
        var seq: UInt64 = 0
        while position < leaf.count, position - seqStart < 20, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(leaf[position]) {
            let (product, overflow) = seq.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            seq = product + UInt64(leaf[position] - UInt8(ascii: "0"))
            position += 1
        }
        guard position > seqStart, position + recordKey.count <= leaf.count,
            recordKey.withUnsafeBytes({ $0.elementsEqual(UnsafeRawBufferPointer(rebasing: leaf[position..<position + recordKey.count])) })
        else { return nil }
        return (UnsafeRawBufferPointer(rebasing: leaf[prefix.count..<prefix.count + 64]), seq, position + recordKey.count)
    }

    /// Whether the record starting at `recordStart` (from ``header(raw:)``) has a retention action
    /// (`retention.*`), tested on the bytes: records are encoded with sorted keys, so `action` comes first.
    static func isRetentionEntry(raw leaf: UnsafeRawBufferPointer, recordStart: Int) -> Bool {
        let start = recordStart + actionKey.count
        guard start + 10 <= leaf.count, let base = leaf.baseAddress else { return false }
        // "retention." as two little-endian loads: one compare each instead of a byte loop.
        return base.loadUnaligned(fromByteOffset: start, as: UInt64.self) == 0x6F69_746E_6574_6572
            && base.loadUnaligned(fromByteOffset: start + 8, as: UInt16.self) == 0x2E6E
    }

    /// What precedes the action's value in every record.
    static let actionKey = Array(#"{"action":""#.utf8)

    /// The audit record inside an entry.
    public static func record(_ leaf: [UInt8]) throws -> AuditRecord {
        guard let offset = leaf.withUnsafeBytes({ header(raw: $0)?.recordStart }) else { throw NoteError("not an audit entry") }
        return try JSONDecoder().decode(AuditRecord.self, from: Data(leaf[offset..<leaf.count - 1]))
    }
}
