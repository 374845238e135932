/// What the audit trail keeps of a request's target: bounded (a 60 KB path must not become 60 KB of permanent
/// audit data) and without secrets — values of query parameters named like credentials, and path segments
/// that are credentials (API keys, refresh tokens, JWTs).
///
/// ```swift
/// RequestRedaction.query("address=bc1q&access_token=eyJ...")   // "address=bc1q&access_token=<redacted>"
/// ```
public enum RequestRedaction {
    /// Bytes of a path or query kept; the rest is counted, not kept.
    public static let maxBytes = 512
    static let secretNames = ["token", "password", "passwd", "secret", "key", "signature", "credential", "auth", "otp", "session", "code"]

    public static func path(_ path: String) -> String {
        bounded(
            path.split(separator: "/", omittingEmptySubsequences: false).map { isCredential($0) ? "<redacted>" : String($0) }.joined(
                separator: "/"))
    }

    public static func query(_ query: String) -> String {
        bounded(
            query.split(separator: "&", omittingEmptySubsequences: false).map { pair in
                let name = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                let lowered = name.lowercased()
                if secretNames.contains(where: lowered.contains) { return "\(name)=<redacted>" }
                return isCredential(pair.split(separator: "=", maxSplits: 1).last ?? "") ? "\(name)=<redacted>" : String(pair)
            }.joined(separator: "&"))
    }

    /// An API key, a refresh token or a JWT.
    static func isCredential(_ text: Substring) -> Bool {
        if text.hasPrefix(APIKeyText.prefix) && text.utf8.count >= 40 { return true }
        if text.hasPrefix("rt_") && text.utf8.count >= 40 { return true }
        return text.hasPrefix("eyJ") && text.split(separator: ".", omittingEmptySubsequences: false).count == 3
    }

    static func bounded(_ text: String) -> String {
        let bytes = text.utf8.count
        guard bytes > maxBytes else { return text }
        var kept = Substring(text).prefix(maxBytes)
        while kept.utf8.count > maxBytes { kept = kept.dropLast() }
        return "\(kept)…(+\(bytes - kept.utf8.count) bytes)"
    }
}
