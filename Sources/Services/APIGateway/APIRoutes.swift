import Hummingbird

/// The routes one system adds under `/api/v1`, and what it reports in `/api/v1/stats` and `/metrics`.
///
/// A component hands its routes to the gateway; the gateway lists them in `GET /` from the router itself,
/// so nothing else is edited when a system is added.
public protocol APIRoutes: Sendable {
    /// Adds the routes to `group` (`/api/v1`).
    func register(on group: RouterGroup<APIContext>)
    /// Row counts of what the system stores, by table: shown under `stored` in `/api/v1/stats` and as
    /// `csic_store_rows{table}` in `/metrics`. Must answer in constant time, whatever the table's size.
    func storedCounts() async throws -> [String: Int]
}

extension APIRoutes {
    public func storedCounts() async throws -> [String: Int] { [:] }
}
