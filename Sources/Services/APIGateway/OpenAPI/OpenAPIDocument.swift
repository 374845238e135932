import Hummingbird

/// The OpenAPI 3.1 document of the route table (`GET /openapi.yaml`): every route with its parameters, body,
/// answers, and who may call it (`security`, and `x-csic-rule` / `x-csic-roles` from its ``Access``).
public enum OpenAPIDocument {
    public static func yaml(_ routes: [APIRoute]) -> String {
        YAMLText.render(document(routes))
    }

    public static func document(_ routes: [APIRoute]) -> [String: Any] {
        let examples = ViewExamples.all
        var paths: [String: [String: Any]] = [:]
        for route in routes {
            paths[route.path, default: [:]][route.method.rawValue.lowercased()] = operation(route, examples: examples)
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "CSIC API", "version": "1",
                "description":
                    "The regulator's API: every route under /api/v1 needs a bearer access token or API key; x-csic-roles names the roles a route admits.",
            ] as [String: Any],
            "paths": paths,
            "components": [
                "schemas": ViewSchemas.all.reduce(into: [String: Any]()) { schemas, entry in
                    var schema = entry.value.document
                    if let example = examples[entry.key] { schema["examples"] = [example] }
                    schemas[entry.key] = schema
                },
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT or csic_ API key"]],
            ] as [String: Any],
        ]
    }

    static func operation(_ route: APIRoute, examples: [String: Any]) -> [String: Any] {
        var parameters: [[String: Any]] = route.pathParameters.map { name in
            ["name": name, "in": "path", "required": true, "schema": Schema.string(maxLength: 200).document]
        }
        parameters += route.query.map { parameter in
            [
                "name": parameter.name, "in": "query", "required": false, "description": parameter.summary,
                "schema": parameter.schema.document,
            ]
        }
        var operation: [String: Any] = [
            "operationId": operationID(route), "summary": route.summary, "x-csic-rule": route.access.rule,
            "x-csic-roles": route.access.isPublic ? ["anyone"] : route.access.roles.map(\.rawValue).sorted(),
            "security": route.access.isPublic ? [] : ([["bearer": [String]()]] as [Any]),
            "responses": responses(route, examples: examples),
        ]
        if !parameters.isEmpty { operation["parameters"] = parameters }
        if let body = route.body {
            operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": body.document]]] as [String: Any]
        }
        if route.access.openOnLoopback { operation["x-csic-open-on-loopback"] = true }
        if let redaction = route.redaction {
            operation["x-csic-redacted"] =
                [
                    "fields": redaction.fields, "visible_to": redaction.visibleTo.map(\.rawValue).sorted(),
                ] as [String: Any]
        }
        return operation
    }

    /// The route's answers; the success one with the example of its schema, when `examples` has one.
    static func responses(_ route: APIRoute, examples: [String: Any]) -> [String: Any] {
        var responses: [String: Any] = [:]
        var success: [String: Any] = ["description": route.status.reasonPhrase]
        if let schema = route.response {
            var media: [String: Any] = ["schema": schema.document]
            if case .reference(let name) = schema, let example = examples[name] { media["example"] = example }
            success["content"] = [route.contentType: media]
        }
        for status in [route.status] + route.alsoAnswers {
            success["description"] = status.reasonPhrase
            responses[String(status.code)] = success
        }
        // Every route refuses query parameters it does not take, so every route may answer 400.
        var problems: [(Int, String)] = [(429, "Too many requests (Retry-After)"), (400, "Invalid or unknown parameter, body or field")]
        if !route.access.isPublic {
            problems += [(401, "No valid credential"), (403, "The caller's role may not do this")]
        }
        if !route.pathParameters.isEmpty || route.method != .get { problems.append((404, "Not found")) }
        if route.body != nil { problems += [(413, "Body over the limit"), (409, "Conflict")] }
        if route.path.hasPrefix("/api/") || route.method == .get {
            problems.append((503, "The audit trail cannot record the request, or a read took longer than its limit"))
        }
        problems += route.problems.map { (Int($0.code), $0.reasonPhrase) }
        for (status, description) in problems where responses[String(status)] == nil {
            responses[String(status)] =
                [
                    "description": description, "content": ["application/problem+json": ["schema": Schema.reference("Problem").document]],
                ] as [String: Any]
        }
        return responses
    }

    static func operationID(_ route: APIRoute) -> String {
        let words = route.path.split { !$0.isLetter && !$0.isNumber }.map { $0.prefix(1).uppercased() + $0.dropFirst() }
        return route.method.rawValue.lowercased() + words.joined()
    }
}
