import Foundation

/// A blockchain node's RPC address as configured: `http://user:password@host:port/path`. Credentials in
/// the URL belong to that node only (per-node credentials for failover lists); they are taken out of the
/// address the client connects to and sent as HTTP Basic authentication.
///
/// ```swift
/// let node = NodeURL("http://alice:s%3Acret@10.0.0.5:8332/")!
/// node.address   // "http://10.0.0.5:8332/"
/// node.user      // "alice"
/// node.password  // "s:cret"
/// ```
public struct NodeURL: Sendable, Hashable {
    /// The URL without credentials.
    public var address: String
    public var user: String?
    public var password: String?

    /// `nil` unless the text is an absolute `http`, `https`, `ws` or `wss` URL with a host.
    public init?(_ text: String) {
        guard var components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            ["http", "https", "ws", "wss"].contains(scheme), components.host.map({ !$0.isEmpty }) == true
        else { return nil }
        user = components.user
        password = components.password
        components.user = nil
        components.password = nil
        guard let address = components.string else { return nil }
        self.address = address
    }

    /// The text with anything between `://` and `@` hidden, for error messages and logs.
    public static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@") else { return text }
        return text[..<scheme.upperBound] + "***" + text[at...]
    }

    /// The credentials as a Basic `Authorization` header value, when the URL has a user.
    public var basicAuthorization: String? {
        user.map { Self.basicAuthorization(user: $0, password: password ?? "") }
    }

    /// `Basic base64(user:password)`, the HTTP Basic `Authorization` value.
    public static func basicAuthorization(user: String, password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}
