import CSICCore
import CSV
import Foundation

extension SanctionsList {
    /// Reads `SDN.CSV` (no header; 12 fields: entry number, name, type, program, title, call sign, vessel type,
    /// tonnage, GRT, vessel flag, vessel owner, remarks; `-0-` for none). Rows of two fields are
    /// `SDN_COMMENTS.CSV` rows (entry number, the rest of its remarks) and extend that entry's remarks, so the
    /// two files can be given one after the other.
    public static func parseCSV(_ files: [[UInt8]]) throws(ReferenceDataError) -> ReferenceDataContents {
        var parties: [String: Party] = [:]
        var order: [String] = []
        // The remarks of SDN.CSV, then their continuation from SDN_COMMENTS.CSV (an address may be cut between).
        var remarks: [String: String] = [:]
        var continued: [String: String] = [:]
        for (fileIndex, bytes) in files.enumerated() {
            let text = try ReferenceDataLimits.text(bytes, file: "file \(fileIndex + 1)")
            let reader: CSVReader
            do {
                reader = try CSVReader(string: text)
            } catch {
                throw ReferenceDataError("file \(fileIndex + 1) is not CSV: \(error)")
            }
            var line = 0
            while let row = reader.next() {
                line += 1
                if row.count == 1, row[0].trimmingCharacters(in: .whitespaces).isEmpty || row[0] == "\u{1A}" { continue }
                let entry = row[0].trimmingCharacters(in: .whitespaces)
                guard !entry.isEmpty, entry.utf8.count <= 20, entry.utf8.allSatisfy({ (48...57).contains($0) }) else {
                    throw ReferenceDataError("file \(fileIndex + 1), row \(line): the first field is not an entry number")
                }
                switch row.count {
                case 12:
                    if parties[entry] == nil { order.append(entry) }
                    parties[entry] = Party(entry: entry, name: field(row[1]) ?? "entry \(entry)", program: field(row[3]), addresses: [])
                    remarks[entry, default: ""] += field(row[11]) ?? ""
                case 2:
                    continued[entry, default: ""] += field(row[1]) ?? ""
                default:
                    throw ReferenceDataError(
                        "file \(fileIndex + 1), row \(line): \(row.count) fields, expected 12 (SDN.CSV) or 2 (SDN_COMMENTS.CSV)")
                }
            }
            if let error = reader.error { throw ReferenceDataError("file \(fileIndex + 1) after row \(line): \(error)") }
        }
        guard !parties.isEmpty else { throw ReferenceDataError("no SDN entries (SDN.CSV rows have 12 fields)") }
        let list = order.map { entry in
            var party = parties[entry]!
            party.addresses = addresses(inRemarks: (remarks[entry] ?? "") + (continued[entry] ?? ""))
            return party
        }
        return contents(list, format: "ofac-sdn-csv")
    }

    /// A field's value, `nil` for OFAC's `-0-` (none).
    static func field(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty || trimmed == "-0-" ? nil : trimmed
    }
}
