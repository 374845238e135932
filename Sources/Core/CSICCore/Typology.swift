/// A money-laundering typology the transaction analysis detects: a shape of flows, each with parameters under
/// `analysis.typologies.<name>` in the configuration and an evidence record on every finding.
public enum Typology: String, Sendable, Hashable, Codable, CaseIterable {
    /// A large amount walked down a chain of transactions, each peeling a small payment off and passing the rest on.
    case peelChain = "peel_chain"
    /// A CoinJoin: several parties' inputs mixed into equal outputs (Wasabi, Whirlpool, JoinMarket).
    case coinjoin
    /// Many senders paying one address within a window.
    case fanIn = "fan_in"
    /// One sender paying many addresses within a window.
    case fanOut = "fan_out"
    /// One source fanning out to intermediaries that all pay one destination.
    case scatterGather = "scatter_gather"
    /// Many sources paying a hub that pays many destinations.
    case gatherScatter = "gather_scatter"
    /// Funds that come back to where they started after a few hops.
    case cycle
    /// Repeated amounts just below a reporting threshold.
    case structuring
    /// Funds paid into an address and out again within a short window.
    case passThrough = "pass_through"
    /// An address silent for a long time that moves funds again.
    case dormantReactivation = "dormant_reactivation"
    /// Funds from or to sanctioned parties, directly or within a few hops.
    case sanctionedExposure = "sanctioned_exposure"
    /// Funds from or to mixers, darknet markets, ransomware or scams, directly or within a few hops.
    case illicitExposure = "illicit_exposure"
}
