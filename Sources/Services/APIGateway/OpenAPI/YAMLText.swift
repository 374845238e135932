import Foundation

/// Writes JSON-compatible values as block-style YAML (mappings with sorted keys, sequences, and every string
/// double-quoted with JSON escapes, which YAML reads the same way).
enum YAMLText {
    static func render(_ value: Any) -> String {
        var lines: [String] = []
        emit(value, indent: 0, into: &lines)
        return lines.joined(separator: "\n") + "\n"
    }

    private static func emit(_ value: Any, indent: Int, into lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        if let mapping = value as? [String: Any] {
            for key in mapping.keys.sorted() {
                let child = mapping[key]!
                if let inline = scalar(child) {
                    lines.append("\(pad)\(quoted(key)): \(inline)")
                } else {
                    lines.append("\(pad)\(quoted(key)):")
                    emit(child, indent: indent + 2, into: &lines)
                }
            }
        } else if let sequence = value as? [Any] {
            for item in sequence {
                if let inline = scalar(item) {
                    lines.append("\(pad)- \(inline)")
                } else {
                    var nested: [String] = []
                    emit(item, indent: indent + 2, into: &nested)
                    if let first = nested.first {
                        lines.append(pad + "- " + first.dropFirst(indent + 2))
                        lines += nested.dropFirst()
                    } else {
                        lines.append("\(pad)- {}")
                    }
                }
            }
        }
    }

    /// The one-line form of a scalar or an empty collection; `nil` for a collection with content.
    private static func scalar(_ value: Any) -> String? {
        switch value {
        case let text as String: return quoted(text)
        case let flag as Bool: return flag ? "true" : "false"
        case let number as Int: return String(number)
        case let number as Double: return String(number)
        case let mapping as [String: Any]: return mapping.isEmpty ? "{}" : nil
        case let sequence as [Any]: return sequence.isEmpty ? "[]" : nil
        default: return "null"
        }
    }

    private static func quoted(_ text: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
        let array = data.map { String(decoding: $0, as: UTF8.self) } ?? "[\"\"]"
        return String(array.dropFirst().dropLast())
    }
}
