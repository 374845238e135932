/// The topics of the event log, named as in the seed architecture.
public enum Topic: String, Sendable, CaseIterable, Codable {
    /// Chain transactions from the blockchain adapters, keyed by txid.
    case transactions
    /// Trades and order-book updates from the exchange gateway, keyed by exchange + symbol.
    case exchangeData = "exchange_data"
    /// Miner telemetry from the device gateway, keyed by machine id.
    case miningMetrics = "mining_metrics"
    /// Audit records from the audit middleware, keyed by actor.
    case audit
    /// Findings, risk hits and rule violations, keyed by subject.
    case compliance
    /// Throttle, shutdown, freeze and notify commands, keyed by target.
    case interventions
    /// Rejected input with its raw bytes and reason, keyed by source.
    case deadLetter = "dead_letter"
}

/// A severity shared by findings, alerts and dead letters.
public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
    case info, low, medium, high, critical

    private var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}
