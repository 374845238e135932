/// A JSON Schema (the subset OpenAPI 3.1 documents here use), declared next to each route for its query
/// parameters, body and answer.
public indirect enum Schema: Sendable, Hashable {
    case string(format: String? = nil, minLength: Int? = nil, maxLength: Int? = nil, pattern: String? = nil, values: [String]? = nil)
    case integer(minimum: Int? = nil, maximum: Int? = nil)
    case number
    case boolean
    case array(Schema)
    /// Properties, the required ones, and whether others may appear (`false` for request bodies, which are
    /// read strictly).
    case object([String: Schema], required: [String] = [], closed: Bool = false)
    /// A map from any key to values of one schema.
    case map(Schema)
    /// `#/components/schemas/<name>`.
    case reference(String)
    /// Any JSON value.
    case any

    /// A text of 1 to 200 characters (ids, addresses, names).
    public static let text = Schema.string(minLength: 1, maxLength: 200)
    /// A username or entity id.
    public static let name = Schema.string(pattern: "^[A-Za-z0-9._-]{1,64}$")
    /// A password bcrypt can take whole.
    public static let password = Schema.string(minLength: 12, maxLength: 72, pattern: "^[^\\x00-\\x1f\\x7f]*$")
    /// An RFC 3339 time.
    public static let time = Schema.string(format: "date-time")
    /// A non-negative amount in base units, as decimal digits.
    public static let amount = Schema.string(format: "decimal-integer")

    /// The schema as JSON-compatible values.
    var document: [String: Any] {
        switch self {
        case .string(let format, let minLength, let maxLength, let pattern, let values):
            var schema: [String: Any] = ["type": "string"]
            schema["format"] = format
            schema["minLength"] = minLength
            schema["maxLength"] = maxLength
            schema["pattern"] = pattern
            schema["enum"] = values
            return schema
        case .integer(let minimum, let maximum):
            var schema: [String: Any] = ["type": "integer"]
            schema["minimum"] = minimum
            schema["maximum"] = maximum
            return schema
        case .number: return ["type": "number"]
        case .boolean: return ["type": "boolean"]
        case .array(let items): return ["type": "array", "items": items.document]
        case .object(let properties, let required, let closed):
            var schema: [String: Any] = ["type": "object", "properties": properties.mapValues(\.document)]
            if !required.isEmpty { schema["required"] = required.sorted() }
            if closed { schema["additionalProperties"] = false }
            return schema
        case .map(let values): return ["type": "object", "additionalProperties": values.document]
        case .reference(let name): return ["$ref": "#/components/schemas/\(name)"]
        case .any: return [:]
        }
    }
}

/// A query parameter a route takes: its name, schema and meaning.
public struct QueryParameter: Sendable, Hashable {
    public let name: String
    public let schema: Schema
    public let summary: String

    public init(_ name: String, _ schema: Schema, _ summary: String) {
        self.name = name
        self.schema = schema
        self.summary = summary
    }

    /// A text filter of 1 to 200 characters.
    public static func text(_ name: String, _ summary: String) -> QueryParameter {
        QueryParameter(name, .text, summary)
    }

    /// An RFC 3339 time bound.
    public static func time(_ name: String, _ summary: String) -> QueryParameter {
        QueryParameter(name, .time, summary)
    }

    /// The page size.
    public static func limit(default value: Int, maximum: Int) -> QueryParameter {
        QueryParameter("limit", .integer(minimum: 1, maximum: maximum), "items per page (\(value) by default)")
    }

    /// Where the next page starts: the previous page's `next_cursor`.
    public static let cursor = QueryParameter("cursor", .string(maxLength: 200), "the previous page's next_cursor")
}
