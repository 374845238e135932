import APIGateway
import CSICCore
import CSICPlatform
import CSICTestSupport
import Foundation
import Hummingbird
import Logging
import Testing

/// The document at `/openapi.yaml` against the router itself: the same operations, and for each the path and
/// query parameters the middleware accepts, the roles the middleware admits, and schemas that resolve.
@Suite struct OpenAPIDocumentTests {
    @Test func theDocumentDescribesExactlyTheRoutesTheRouterServes() async throws {
        let directory = try TemporaryDirectory()
        var configuration = PlatformConfiguration()
        configuration.dataDirectory = directory.path
        let platform = try await Platform.open(configuration, logger: Logger(label: "test"))
        let dependencies = platform.gatewayDependencies
        let router = Gateway.router(dependencies)
        let table = Gateway.routes(dependencies)
        let document = try #require(
            try JSONSerialization.jsonObject(with: JSONSerialization.data(withJSONObject: OpenAPIDocument.document(table)))
                as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])

        let served = Set(router.routes.map { "\($0.method.rawValue) \($0.path)" })
        let documented = Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(RouterPath(path))" } })
        #expect(
            served == documented,
            "served, not documented: \(served.subtracting(documented)); documented, not served: \(documented.subtracting(served))")
        #expect(served.count == table.count && served.count >= 29)

        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        for route in table {
            let operation = try #require(paths[route.path]?[route.method.rawValue.lowercased()] as? [String: Any], "\(route.name)")
            let parameters = (operation["parameters"] as? [[String: Any]]) ?? []
            #expect(
                Set(parameters.filter { $0["in"] as? String == "query" }.compactMap { $0["name"] as? String })
                    == Set(route.query.map(\.name)),
                "\(route.name)")
            #expect(parameters.filter { $0["in"] as? String == "path" }.compactMap { $0["name"] as? String } == route.pathParameters)
            let roles = operation["x-csic-roles"] as? [String]
            #expect(roles == (route.access.isPublic ? ["anyone"] : route.access.roles.map(\.rawValue).sorted()), "\(route.name)")
            #expect(operation["x-csic-rule"] as? String == route.access.rule)
            #expect(((operation["security"] as? [Any])?.isEmpty ?? true) == route.access.isPublic, "\(route.name)")
            let responses = try #require(operation["responses"] as? [String: Any])
            #expect(responses[String(route.status.code)] != nil)
            if !route.access.isPublic { #expect(responses["401"] != nil && responses["403"] != nil, "\(route.name)") }
        }
        let text = String(data: try JSONSerialization.data(withJSONObject: document), encoding: .utf8) ?? ""
        for reference in text.matches(of: /#\\\/components\\\/schemas\\\/([A-Za-z]+)/) {
            #expect(schemas[String(reference.1)] != nil, "unresolved \(reference.1)")
        }
        try await platform.log.close()
    }

    @Test func theYAMLIsServedAndReadsBackAsTheSameDocument() async throws {
        let directory = try TemporaryDirectory()
        var configuration = PlatformConfiguration()
        configuration.dataDirectory = directory.path
        let platform = try await Platform.open(configuration, logger: Logger(label: "test"))
        let app = Application(router: Gateway.router(platform.gatewayDependencies))
        try await app.test(.router) { client in
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok && response.headers[.contentType] == "application/yaml")
                let text = String(buffer: response.body)
                #expect(text.hasPrefix("\"components\":") && text.contains("\"openapi\": \"3.1.0\""))
                #expect(text.contains("\"/api/v1/transactions/{id}\":"))
            }
        }
        try await platform.log.close()
    }
}
