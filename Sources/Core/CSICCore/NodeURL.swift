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

    /// The URL without its credentials, for error messages, logs and the `configuration.load` audit record:
    /// the user and password hidden, every query value hidden, and each path segment that looks like a key
    /// (16 or more letters, digits, `-` or `_`, with a digit: `https://mainnet.infura.io/v3/<key>`) hidden.
    ///
    /// ```swift
    /// NodeURL.redacted("https://u:p@host/v3/0123456789abcdef0123?apikey=x")   // "https://***@host/v3/***?apikey=***"
    /// ```
    public static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://") else { return text }
        let rest = text[scheme.upperBound...]
        let authorityEnd = rest.firstIndex { "/?#".contains($0) } ?? rest.endIndex
        var authority = String(rest[..<authorityEnd])
        if let at = authority.lastIndex(of: "@") { authority = "***" + authority[at...] }
        var tail = rest[authorityEnd...]
        if let fragment = tail.firstIndex(of: "#") { tail = tail[..<fragment] }
        let queryStart = tail.firstIndex(of: "?") ?? tail.endIndex
        let path = tail[..<queryStart].split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.utf8.count >= 16 && segment.contains(where: \.isNumber)
                && segment.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") } ? "***" : String(segment)
        }.joined(separator: "/")
        var query = ""
        if queryStart < tail.endIndex {
            query =
                "?"
                + tail[tail.index(after: queryStart)...].split(separator: "&").map { pair in
                    (pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? "") + "=***"
                }.joined(separator: "&")
        }
        return text[..<scheme.upperBound] + authority + path + query
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
