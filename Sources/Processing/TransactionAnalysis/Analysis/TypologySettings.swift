import CSICCore
import Crypto

/// The parameters of every typology detector (`analysis.typologies.<name>.*` in the configuration) and which
/// typologies run. ``ruleVersion`` names this exact set of rules, so findings made under other parameters can
/// be told apart (a replay compares them).
public struct TypologySettings: Sendable, Hashable {
    public var enabled: Set<Typology> = Set(Typology.allCases)
    public var fanIn = FanDetector.Parameters()
    public var fanOut = FanDetector.Parameters()
    public var scatterGather = ScatterGatherDetector.Parameters()
    public var gatherScatter = GatherScatterDetector.Parameters()
    public var cycle = CycleDetector.Parameters()
    public var structuring = StructuringDetector.Parameters()
    public var passThrough = PassThroughDetector.Parameters()
    public var peelChain = PeelChainDetector.Parameters()
    public var coinjoin = CoinJoinDetector.Parameters()
    public var dormantReactivation = DormantReactivationDetector.Parameters()
    /// Both `sanctioned_exposure` and `illicit_exposure`.
    public var exposure = ExposureDetector.Parameters()

    public init() {}

    /// One detector per enabled typology (one exposure detector reports both exposure typologies).
    public func detectors() -> [any TypologyDetector] {
        var detectors: [any TypologyDetector] = []
        if enabled.contains(.fanIn) { detectors.append(FanDetector(.fanIn, fanIn)) }
        if enabled.contains(.fanOut) { detectors.append(FanDetector(.fanOut, fanOut)) }
        if enabled.contains(.scatterGather) { detectors.append(ScatterGatherDetector(scatterGather)) }
        if enabled.contains(.gatherScatter) { detectors.append(GatherScatterDetector(gatherScatter)) }
        if enabled.contains(.cycle) { detectors.append(CycleDetector(cycle)) }
        if enabled.contains(.structuring) { detectors.append(StructuringDetector(structuring)) }
        if enabled.contains(.passThrough) { detectors.append(PassThroughDetector(passThrough)) }
        if enabled.contains(.peelChain) { detectors.append(PeelChainDetector(peelChain)) }
        if enabled.contains(.coinjoin) { detectors.append(CoinJoinDetector(coinjoin)) }
        if enabled.contains(.dormantReactivation) { detectors.append(DormantReactivationDetector(dormantReactivation)) }
        if !enabled.isDisjoint(with: [.sanctionedExposure, .illicitExposure]) { detectors.append(ExposureDetector(exposure)) }
        return detectors
    }

    /// `typologies-<12 hex digits>`: a digest of every parameter and the enabled set.
    public var ruleVersion: String {
        let text = [
            enabled.map(\.rawValue).sorted().joined(separator: ","), "\(fanIn)", "\(fanOut)", "\(scatterGather)", "\(gatherScatter)",
            "\(cycle)", "\(structuring.thresholds.sorted { $0.key.rawValue < $1.key.rawValue })", "\(structuring.margin)",
            "\(structuring.minPayments)", "\(structuring.windowSeconds)", "\(passThrough.windowSeconds)", "\(passThrough.minRatio)",
            "\(passThrough.minAmount.sorted { $0.key.rawValue < $1.key.rawValue })", "\(peelChain)", "\(coinjoin)",
            "\(dormantReactivation.dormantSeconds)", "\(dormantReactivation.minAmount.sorted { $0.key.rawValue < $1.key.rawValue })",
            "\(exposure)",
        ].joined(separator: "|")
        return "typologies-" + Hex.encode(SHA256.hash(data: Array(text.utf8)).prefix(6))
    }
}
