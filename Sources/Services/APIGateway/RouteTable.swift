import Hummingbird

/// Every route of the gateway by method and path, as the router names a matched route (`endpointPath`).
struct RouteTable: Sendable {
    let routes: [APIRoute]
    private let byName: [String: APIRoute]

    init(_ routes: [APIRoute]) {
        self.routes = routes
        byName = Dictionary(routes.map { (Self.key($0.method, RouterPath($0.path).description), $0) }) { first, _ in first }
    }

    func route(_ method: HTTPRequest.Method, _ endpointPath: String) -> APIRoute? {
        byName[Self.key(method, endpointPath)]
    }

    private static func key(_ method: HTTPRequest.Method, _ path: String) -> String { "\(method.rawValue) \(path)" }
}
