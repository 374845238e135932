import CSICCore
import TransactionAnalysis

/// Reads `analysis.typologies.*`: which typologies run (`enabled`, default all) and each one's parameters, every
/// value range-checked, an error naming the full key. Amounts are base units (satoshi, wei) per chain
/// (`btc`, `eth`), as whole numbers or decimal strings for amounts beyond 64 bits.
enum TypologyConfiguration {
    static func read(_ section: ConfigSection) throws -> TypologySettings {
        var settings = TypologySettings()
        let day: Int64 = 86_400
        if let names = section.strings("typologies.enabled") {
            settings.enabled = []
            for name in names {
                guard let typology = Typology(rawValue: name) else {
                    throw section.malformed("typologies.enabled", "unknown typology \(name); known: \(Typology.allCases.map(\.rawValue))")
                }
                settings.enabled.insert(typology)
            }
        }
        func seconds(_ key: String, _ value: Int64) throws -> Int64 {
            Int64(try section.integer("typologies.\(key)", default: Int(value), in: 1...(3_650 * 86_400)))
        }
        func count(_ key: String, _ value: Int, _ range: ClosedRange<Int> = 1...1_000_000) throws -> Int {
            try section.integer("typologies.\(key)", default: value, in: range)
        }
        func ratio(_ key: String, _ value: Double) throws -> Double {
            try section.number("typologies.\(key)", default: value, in: 0...1)
        }
        for (typology, name) in [(Typology.fanIn, "fan_in"), (.fanOut, "fan_out")] {
            var fan = typology == .fanIn ? settings.fanIn : settings.fanOut
            fan.windowSeconds = try seconds("\(name).window_seconds", fan.windowSeconds)
            fan.minCounterparties = try count("\(name).min_counterparties", fan.minCounterparties, 2...1_000_000)
            fan.minTransactions = try count("\(name).min_transactions", fan.minTransactions)
            if typology == .fanIn { settings.fanIn = fan } else { settings.fanOut = fan }
        }
        settings.scatterGather.windowSeconds = try seconds("scatter_gather.window_seconds", settings.scatterGather.windowSeconds)
        settings.scatterGather.minIntermediaries = try count(
            "scatter_gather.min_intermediaries", settings.scatterGather.minIntermediaries, 2...10_000)
        settings.gatherScatter.windowSeconds = try seconds("gather_scatter.window_seconds", settings.gatherScatter.windowSeconds)
        settings.gatherScatter.minSources = try count("gather_scatter.min_sources", settings.gatherScatter.minSources, 2...1_000_000)
        settings.gatherScatter.minDestinations = try count(
            "gather_scatter.min_destinations", settings.gatherScatter.minDestinations, 2...1_000_000)
        settings.cycle.minLength = try count("cycle.min_length", settings.cycle.minLength, 2...10)
        settings.cycle.maxLength = try count("cycle.max_length", settings.cycle.maxLength, settings.cycle.minLength...10)
        settings.cycle.windowSeconds = try seconds("cycle.window_seconds", settings.cycle.windowSeconds)
        settings.structuring.thresholds = try amounts(section, "structuring.threshold", settings.structuring.thresholds)
        settings.structuring.margin = try ratio("structuring.margin", settings.structuring.margin)
        settings.structuring.minPayments = try count("structuring.min_payments", settings.structuring.minPayments, 2...10_000)
        settings.structuring.windowSeconds = try seconds("structuring.window_seconds", settings.structuring.windowSeconds)
        settings.passThrough.windowSeconds = try seconds("pass_through.window_seconds", settings.passThrough.windowSeconds)
        settings.passThrough.minRatio = try ratio("pass_through.min_ratio", settings.passThrough.minRatio)
        settings.passThrough.minAmount = try amounts(section, "pass_through.min_amount", settings.passThrough.minAmount)
        settings.peelChain.minLength = try count("peel_chain.min_length", settings.peelChain.minLength, 2...1_000)
        settings.peelChain.maxPeelRatio = try ratio("peel_chain.max_peel_ratio", settings.peelChain.maxPeelRatio)
        settings.peelChain.windowSeconds = try seconds("peel_chain.window_seconds", settings.peelChain.windowSeconds)
        settings.coinjoin.minParticipants = try count("coinjoin.min_participants", settings.coinjoin.minParticipants, 2...10_000)
        settings.dormantReactivation.dormantSeconds =
            Int64(try count("dormant_reactivation.dormant_days", Int(settings.dormantReactivation.dormantSeconds / day), 1...10_000)) * day
        settings.dormantReactivation.minAmount = try amounts(
            section, "dormant_reactivation.min_amount", settings.dormantReactivation.minAmount)
        settings.dormantReactivation.maxAddresses = try count(
            "dormant_reactivation.max_addresses", settings.dormantReactivation.maxAddresses, 1...100_000_000)
        settings.exposure.sanctionedMaxHops = try count("sanctioned_exposure.max_hops", settings.exposure.sanctionedMaxHops, 1...5)
        settings.exposure.illicitMaxHops = try count("illicit_exposure.max_hops", settings.exposure.illicitMaxHops, 1...5)
        settings.exposure.windowSeconds = try seconds("sanctioned_exposure.window_seconds", settings.exposure.windowSeconds)
        return settings
    }

    /// `<key>.btc` and `<key>.eth` in base units, each defaulting to `defaults`.
    private static func amounts(_ section: ConfigSection, _ key: String, _ defaults: [Chain: Amount]) throws -> [Chain: Amount] {
        var amounts = defaults
        for (chain, name) in [(Chain.bitcoin, "btc"), (.ethereum, "eth")] {
            let full = "typologies.\(key).\(name)"
            if let number = section.int(full) {
                guard number > 0 else { throw section.outOfRange(full, "must be a positive amount in base units, got \(number)") }
                amounts[chain] = Amount(UInt64(number))
            } else if let text = section.string(full) {
                guard let amount = Amount(decimal: text), amount > .zero, amount <= chain.maximumValue else {
                    throw section.malformed(full, "must be a positive amount in base units, got \(text.prefix(80))")
                }
                amounts[chain] = amount
            }
        }
        return amounts
    }
}
