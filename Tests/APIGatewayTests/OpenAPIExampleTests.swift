import APIGateway
import CSICCore
import CSICPlatform
import CSICTestSupport
import Foundation
import Logging
import Testing

/// The examples of the transaction-analysis answers in `/openapi.yaml`: every such route shows one, and each is
/// accepted by its own schema (types, required members, closed objects, enums, patterns, bounds, references).
@Suite struct OpenAPIExampleTests {
    static let analysisRoutes = [
        "GET /api/v1/findings", "GET /api/v1/alerts", "GET /api/v1/alerts/{id}", "POST /api/v1/alerts/{id}/acknowledge",
        "POST /api/v1/alerts/{id}/assign", "POST /api/v1/alerts/{id}/resolve", "POST /api/v1/alerts/{id}/reopen",
        "GET /api/v1/addresses/{address}", "GET /api/v1/entities/{id}", "GET /api/v1/paths", "GET /api/v1/transactions/{id}",
        "GET /api/v1/transactions",
    ]

    @Test func everyAnalysisAnswerHasAnExampleItsSchemaAccepts() async throws {
        let directory = try TemporaryDirectory()
        var configuration = PlatformConfiguration()
        configuration.dataDirectory = directory.path
        let platform = try await Platform.open(configuration, logger: Logger(label: "test"))
        let document = OpenAPIDocument.document(Gateway.routes(platform.gatewayDependencies))
        try await platform.log.close()
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        for route in Self.analysisRoutes {
            let parts = route.split(separator: " ").map(String.init)
            let (method, path) = (parts[0].lowercased(), parts[1])
            let operation = try #require(paths[path]?[method] as? [String: Any], "\(route)")
            let success = try #require((operation["responses"] as? [String: Any])?["200"] as? [String: Any])
            let media = (success["content"] as? [String: Any])?["application/json"] as? [String: Any]
            let example: Any = try #require(media?["example"], "\(route) shows an example")
            let schema: [String: Any] = try #require(media?["schema"] as? [String: Any])
            let problems = Self.violations(example, schema, schemas, at: route)
            #expect(problems.isEmpty, "\(problems)")
        }
        var checked = 0
        for (name, schema) in schemas {
            guard let schema = schema as? [String: Any], let example = (schema["examples"] as? [Any])?.first else { continue }
            checked += 1
            let problems = Self.violations(example, schema, schemas, at: name)
            #expect(problems.isEmpty, "\(problems)")
        }
        #expect(checked >= 12)
        // The check can fail: a member of the wrong type, a missing required one, a value outside an enum.
        let finding = try #require(schemas["Finding"] as? [String: Any])
        var broken = try #require((finding["examples"] as? [Any])?.first as? [String: Any])
        broken["severity"] = "dire"
        broken["txids"] = "not a list"
        broken.removeValue(forKey: "subject")
        #expect(Self.violations(broken, finding, schemas, at: "Finding").count == 3)
    }

    /// What in `value` the schema refuses (the JSON Schema keywords the document uses), each with its place.
    static func violations(_ value: Any, _ schema: [String: Any], _ schemas: [String: Any], at place: String) -> [String] {
        if let reference = schema["$ref"] as? String {
            let name = String(reference.split(separator: "/").last ?? "")
            guard let resolved = schemas[name] as? [String: Any] else { return ["\(place): unresolved \(reference)"] }
            return violations(value, resolved, schemas, at: place)
        }
        switch schema["type"] as? String {
        case "string":
            guard let text = value as? String, type(of: value) == String.self else { return ["\(place): not a string"] }
            if let values = schema["enum"] as? [String], !values.contains(text) { return ["\(place): \(text) not in \(values)"] }
            if let pattern = schema["pattern"] as? String, text.range(of: pattern, options: .regularExpression) == nil {
                return ["\(place): \(text) does not match \(pattern)"]
            }
            if let minimum = schema["minLength"] as? Int, text.count < minimum { return ["\(place): shorter than \(minimum)"] }
            if let maximum = schema["maxLength"] as? Int, text.count > maximum { return ["\(place): longer than \(maximum)"] }
            return []
        case "integer":
            guard type(of: value) == Int.self, let number = value as? Int else { return ["\(place): not an integer"] }
            if let minimum = schema["minimum"] as? Int, number < minimum { return ["\(place): below \(minimum)"] }
            if let maximum = schema["maximum"] as? Int, number > maximum { return ["\(place): above \(maximum)"] }
            return []
        case "number": return type(of: value) == Double.self || type(of: value) == Int.self ? [] : ["\(place): not a number"]
        case "boolean": return type(of: value) == Bool.self ? [] : ["\(place): not a boolean"]
        case "array":
            guard let items = value as? [Any] else { return ["\(place): not an array"] }
            let itemSchema = schema["items"] as? [String: Any] ?? [:]
            return items.enumerated().flatMap { violations($0.element, itemSchema, schemas, at: "\(place)[\($0.offset)]") }
        case "object":
            guard let members = value as? [String: Any] else { return ["\(place): not an object"] }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            var problems = ((schema["required"] as? [String]) ?? []).filter { members[$0] == nil }.map { "\(place): missing \($0)" }
            for (key, member) in members {
                if let property = properties[key] as? [String: Any] {
                    problems += violations(member, property, schemas, at: "\(place).\(key)")
                } else if let additional = schema["additionalProperties"] as? [String: Any] {
                    problems += violations(member, additional, schemas, at: "\(place).\(key)")
                } else if schema["additionalProperties"] as? Bool == false || !properties.isEmpty {
                    problems.append("\(place): \(key) is not in the schema")
                }
            }
            return problems
        default: return []
        }
    }
}
