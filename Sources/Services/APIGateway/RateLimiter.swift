import Foundation
import Metrics

/// What a route costs against the rate limits: reads and writes have separate budgets.
public enum RouteClass: String, Sendable, Hashable, CaseIterable {
    case read, write
}

/// Requests per minute one principal, and one source address, may make in a route class.
public struct RateLimit: Sendable, Hashable {
    public var perPrincipal: Int
    public var perAddress: Int

    public init(perPrincipal: Int, perAddress: Int) {
        self.perPrincipal = perPrincipal
        self.perAddress = perAddress
    }
}

/// Token buckets per principal and per address for each route class (``AuthSettings/rateLimits``). A request
/// takes one token from its principal's bucket (when signed in) and one from its address's; an empty bucket
/// is a 429 with `Retry-After`, counted in `csic_api_rate_limited_total{class,by}`.
struct RateLimiter: Sendable {
    let buckets: [RouteClass: (principal: TokenBuckets, address: TokenBuckets)]
    let factory: any MetricsFactory

    init(_ limits: [RouteClass: RateLimit], factory: any MetricsFactory) {
        var buckets: [RouteClass: (principal: TokenBuckets, address: TokenBuckets)] = [:]
        for (routeClass, limit) in limits {
            buckets[routeClass] = (
                TokenBuckets(capacity: Double(limit.perPrincipal), perSecond: Double(limit.perPrincipal) / 60),
                TokenBuckets(capacity: Double(limit.perAddress), perSecond: Double(limit.perAddress) / 60)
            )
        }
        self.buckets = buckets
        self.factory = factory
    }

    /// Throws 429 when the principal's or the address's bucket for `routeClass` is empty.
    func take(_ routeClass: RouteClass, principal: String?, address: String) throws {
        guard let pair = buckets[routeClass] else { return }
        let now = Date().timeIntervalSince1970
        var wait: (Double, String)?
        if let principal, let seconds = pair.principal.take(principal, at: now) { wait = (seconds, "principal") }
        if wait == nil, let seconds = pair.address.take(address, at: now) { wait = (seconds, "address") }
        guard let (seconds, by) = wait else { return }
        Counter(label: "csic_api_rate_limited_total", dimensions: [("class", routeClass.rawValue), ("by", by)], factory: factory)
            .increment()
        let retry = max(1, Int(seconds.rounded(.up)))
        throw APIError(
            .tooManyRequests, code: "rate_limited",
            message: "too many \(routeClass.rawValue) requests from this \(by); retry in \(retry) s",
            headers: [.retryAfter: String(retry)])
    }
}
