import CSICCore
import Storage
import Testing
import TransactionAnalysis

/// A peel hop: spends `previous`'s remainder, pays a peel and a new remainder.
func peel(_ txid: String, spending previous: String, input: UInt64, peel: UInt64, at seconds: Int64) -> TransactionFlows {
    TransactionFlows(
        chain: .bitcoin, txid: txid, time: Timestamp(secondsSinceEpoch: 1_796_000_000 + seconds),
        senders: [Flow("holder-\(previous)", Amount(input))],
        recipients: [Flow("peel-\(txid)", Amount(peel)), Flow("holder-\(txid)", Amount(input - peel - 10))],
        spentOutputs: ["\(previous):1"], largestOutput: (outpoint: "\(txid):1", value: Amount(input - peel - 10)), outputCount: 2)
}

@Suite struct PeelChainDetectorTests {
    func chain(_ hops: Int, peelShare: UInt64 = 5) -> [TransactionFlows] {
        var flows: [TransactionFlows] = []
        var input: UInt64 = 1_000_000
        var previous = "start"
        for hop in 0..<hops {
            let txid = "p\(hop)"
            flows.append(peel(txid, spending: previous, input: input, peel: input * peelShare / 100, at: Int64(hop) * 600))
            input -= input * peelShare / 100 + 10
            previous = txid
        }
        return flows
    }

    @Test func fiveHopsAreAPeelChainReportedOnce() {
        var detector = PeelChainDetector(PeelChainDetector.Parameters(minLength: 5))
        let detections = run(&detector, chain(8))
        #expect(detections.count == 1)
        #expect(detections.first?.txids == ["p0", "p1", "p2", "p3", "p4"])
        #expect(detections.first?.subjects.first == "holder-start")
        #expect(detections.first?.evidence["hops"] == "5")
    }

    /// Near misses: four hops; peels too large to be peels; a broken link (the remainder not spent); a hop that
    /// pays the rest back to the address it spends from.
    @Test func nearMissesAreNotPeelChains() {
        var short = PeelChainDetector(PeelChainDetector.Parameters(minLength: 5))
        #expect(run(&short, chain(4)).isEmpty)
        var large = PeelChainDetector(PeelChainDetector.Parameters(minLength: 5, maxPeelRatio: 0.2))
        #expect(run(&large, chain(6, peelShare: 30)).isEmpty)
        var broken = PeelChainDetector(PeelChainDetector.Parameters(minLength: 5))
        var flows = chain(6)
        flows[3].spentOutputs = ["elsewhere:0"]
        #expect(run(&broken, flows).isEmpty)
        var inPlace = PeelChainDetector(PeelChainDetector.Parameters(minLength: 5))
        var reused = chain(6)
        reused[2].change = [reused[2].recipients.removeLast()]
        #expect(run(&inPlace, reused).isEmpty)
    }

    @Test func aRevertedHopBreaksTheChain() {
        var detector = PeelChainDetector(PeelChainDetector.Parameters(minLength: 5))
        let flows = chain(5)
        _ = run(&detector, Array(flows.prefix(4)))
        detector.revert(flows[3], DetectionContext())
        #expect(run(&detector, [flows[4]]).isEmpty)
    }
}

@Suite struct CoinJoinAndDormancyTests {
    @Test func coinJoinsAreReportedWithTheirShape() {
        let whirlpool = spend("w", ["a", "b", "c", "d", "e"], pay: (0..<5).map { ("o\($0)", 5_000_000) })
        var detector = CoinJoinDetector()
        let detections = detector.observe(TransactionFlows(whirlpool), DetectionContext())
        #expect(detections.map(\.evidence["shape"]) == ["whirlpool"])
        #expect(detections.first?.subjects == ["a", "b", "c", "d", "e"])
        let payment = spend("p", ["a", "b", "c"], pay: [("x", 5_000), ("y", 7_000)])
        #expect(detector.observe(TransactionFlows(payment), DetectionContext()).isEmpty)
        let twoParties = spend("j", ["a", "b"], pay: [("x", 5_000), ("y", 5_000)])
        #expect(detector.observe(TransactionFlows(twoParties), DetectionContext()).isEmpty)
    }

    @Test func anAddressSilentForAYearThatMovesFundsIsReactivated() {
        let parameters = DormantReactivationDetector.Parameters(dormantSeconds: 365 * 86_400, minAmount: [.bitcoin: Amount(100)])
        let year: Int64 = 365 * 86_400
        var detector = DormantReactivationDetector(parameters)
        let flows = [
            pay("fund", from: [("x", 500)], to: [("old", 500)], at: 0),
            pay("wake", from: [("old", 500)], to: [("new", 490)], at: year + 60),
        ]
        let detections = run(&detector, flows)
        #expect(detections.map(\.subjects.first) == ["old"])
        #expect(detections.first?.evidence["dormant_days"] == "365")

        var recent = DormantReactivationDetector(parameters)
        #expect(run(&recent, [flows[0], pay("soon", from: [("old", 500)], to: [("new", 490)], at: year - 60)]).isEmpty)
        var small = DormantReactivationDetector(parameters)
        #expect(run(&small, [flows[0], pay("dust", from: [("old", 50)], to: [("new", 40)], at: year + 60)]).isEmpty)

        var reverted = DormantReactivationDetector(parameters)
        let touch = pay("touch", from: [("y", 5)], to: [("old", 5)], at: year)
        _ = run(&reverted, [flows[0], touch])
        reverted.revert(touch, DetectionContext())
        #expect(run(&reverted, [flows[1]]).count == 1)
    }
}

@Suite struct ExposureDetectorTests {
    let sanctioned = DetectionContext(tags: ["sdn": [listed("sdn", .sanction, label: "Garantex", version: 3)]])

    @Test func directAndIndirectExposureFollowTheFunds() {
        var detector = ExposureDetector(ExposureDetector.Parameters(maxHops: 3))
        let flows = [
            pay("t1", from: [("sdn", 1_000)], to: [("a", 900)], at: 0),
            pay("t2", from: [("a", 900)], to: [("b", 800)], at: 60),
            pay("t3", from: [("b", 800)], to: [("c", 700)], at: 120),
            pay("t4", from: [("c", 700)], to: [("d", 600)], at: 180),
        ]
        let detections = run(&detector, flows, sanctioned)
        #expect(detections.map(\.subjects.first) == ["a", "b", "c"])
        #expect(detections.map(\.typology) == [.sanctionedExposure, .sanctionedExposure, .sanctionedExposure])
        #expect(detections.map(\.severity) == [.critical, .high, .high])
        #expect(detections.last?.evidence["path"] == "sdn -> a -> b -> c")
        #expect(detections.last?.txids == ["t1", "t2", "t3"])
        #expect(detections.last?.evidence["list_version"] == "3")
    }

    @Test func paymentsToATaggedPartyAreOutgoingExposure() {
        var detector = ExposureDetector()
        let mixer = DetectionContext(tags: ["mix": [listed("mix", .mixingService, label: "Mixer", list: "tags")]])
        let detections = run(&detector, [pay("t", from: [("user", 100)], to: [("mix", 90)], at: 0)], mixer)
        #expect(detections.map(\.typology) == [.illicitExposure])
        #expect(detections.first?.subjects == ["user", "mix"])
        #expect(detections.first?.evidence["direction"] == "outgoing")
    }

    /// Near misses: an exchange receives (reported) but passes nothing on; an untagged source; the exposed
    /// payer's share scales the amount; a reverted hop passes nothing on.
    @Test func exposureStopsAtServicesAndScalesByShare() {
        var context = sanctioned
        context.tags["exchange"] = [listed("exchange", .exchange, list: "exchanges")]
        var detector = ExposureDetector()
        let viaExchange = run(
            &detector,
            [
                pay("t1", from: [("sdn", 1_000)], to: [("exchange", 1_000)], at: 0),
                pay("t2", from: [("exchange", 1_000)], to: [("x", 900)], at: 60),
            ],
            context)
        #expect(viaExchange.map(\.subjects.first) == ["exchange"])

        var clean = ExposureDetector()
        #expect(run(&clean, [pay("t", from: [("someone", 100)], to: [("x", 90)], at: 0)], sanctioned).isEmpty)

        var mixed = ExposureDetector()
        let shared = run(&mixed, [pay("t", from: [("sdn", 250), ("clean", 750)], to: [("x", 800)], at: 0)], sanctioned)
        #expect(shared.first?.amount == Amount(200))

        var reverted = ExposureDetector()
        let first = pay("t1", from: [("sdn", 1_000)], to: [("a", 900)], at: 0)
        _ = run(&reverted, [first], sanctioned)
        reverted.revert(first, sanctioned)
        #expect(run(&reverted, [pay("t2", from: [("a", 900)], to: [("b", 800)], at: 60)], sanctioned).isEmpty)
    }

    /// An Ethereum call to a token contract moves no coin: the contract is not exposed; the token transfers it
    /// makes pass exposure on, hop by hop, with the token's amount in the evidence; a transfer to a tagged mixer is
    /// outgoing exposure; a reverted transfer passes nothing on.
    @Test func tokenTransfersPassExposureOn() {
        func call(_ txid: String, _ from: String, transfers: [(String, String, UInt64)], at seconds: Int64) -> TransactionFlows {
            var flows = pay(txid, from: [(from, 0)], to: [("usdt", 0)], at: seconds, chain: .ethereum)
            flows.tokenTransfers = transfers.enumerated().map {
                TokenTransfer(token: "usdt", from: $0.element.0, to: $0.element.1, value: Amount($0.element.2), logIndex: UInt32($0.offset))
            }
            return flows
        }
        var context = sanctioned
        context.tags["mix"] = [listed("mix", .mixingService, label: "Mixer", list: "tags")]
        var detector = ExposureDetector()
        let first = call("t1", "sdn", transfers: [("sdn", "a", 5_000_000)], at: 0)
        let detections = run(
            &detector,
            [
                call("t0", "sdn", transfers: [("0x" + String(repeating: "0", count: 40), "sdn", 9_000_000)], at: -60), first,
                call("t2", "a", transfers: [("a", "b", 4_000_000)], at: 60), call("t3", "user", transfers: [("user", "mix", 7)], at: 90),
            ],
            context)
        #expect(detections.map(\.subjects.first) == ["a", "b", "user"], "neither the token contract nor the mint's zero address")
        #expect(detections.map(\.typology) == [.sanctionedExposure, .sanctionedExposure, .illicitExposure])
        #expect(detections[0].evidence["token"] == "usdt" && detections[0].evidence["token_amount"] == "5000000")
        #expect(detections[0].amount == nil, "no coin moved")
        #expect(detections[1].evidence["path"] == "sdn -> a -> b" && detections[1].txids == ["t1", "t2"])
        #expect(detections[2].evidence["direction"] == "outgoing")

        var reverted = ExposureDetector()
        _ = run(&reverted, [first], context)
        reverted.revert(first, context)
        #expect(run(&reverted, [call("t2", "a", transfers: [("a", "b", 4_000_000)], at: 60)], context).isEmpty)
    }

    @Test func hopsBeyondTheLimitAreNotReported() {
        var detector = ExposureDetector(ExposureDetector.Parameters(maxHops: 1))
        let flows = [pay("t1", from: [("sdn", 1_000)], to: [("a", 900)], at: 0), pay("t2", from: [("a", 900)], to: [("b", 800)], at: 60)]
        #expect(run(&detector, flows, sanctioned).map(\.subjects.first) == ["a"])
    }
}

@Suite struct LayeringDetectorTests {
    @Test func fundsScatteredToMulesAndGatheredAreScatterGather() {
        var detector = ScatterGatherDetector(ScatterGatherDetector.Parameters(windowSeconds: 3_600, minIntermediaries: 4))
        var flows = (0..<4).map { pay("s\($0)", from: [("source", 1_000)], to: [("mule\($0)", 200)], at: Int64($0)) }
        flows += (0..<4).map { pay("g\($0)", from: [("mule\($0)", 200)], to: [("sink", 190)], at: 100 + Int64($0)) }
        let detections = run(&detector, flows)
        #expect(detections.map(\.typology) == [.scatterGather])
        #expect(detections.first?.subjects.prefix(2) == ["source", "sink"])
        #expect(detections.first?.evidence["intermediaries"] == "4")
    }

    /// Near misses: three mules; mules paying different destinations; gathering back to the source; "mules" that
    /// are the source's own addresses.
    @Test func nearMissesAreNotScatterGather() {
        let parameters = ScatterGatherDetector.Parameters(windowSeconds: 3_600, minIntermediaries: 4)
        let scatter = (0..<4).map { pay("s\($0)", from: [("source", 1_000)], to: [("mule\($0)", 200)], at: Int64($0)) }
        var three = ScatterGatherDetector(parameters)
        #expect(run(&three, scatter + (0..<3).map { pay("g\($0)", from: [("mule\($0)", 200)], to: [("sink", 190)], at: 100) }).isEmpty)
        var spread = ScatterGatherDetector(parameters)
        #expect(
            run(&spread, scatter + (0..<4).map { pay("g\($0)", from: [("mule\($0)", 200)], to: [("sink\($0)", 190)], at: 100) }).isEmpty)
        var back = ScatterGatherDetector(parameters)
        #expect(run(&back, scatter + (0..<4).map { pay("g\($0)", from: [("mule\($0)", 200)], to: [("source", 190)], at: 100) }).isEmpty)
        var own = ScatterGatherDetector(parameters)
        let ownAddresses = DetectionContext(entity: { $0.hasPrefix("mule") ? "source" : $0 })
        let gather = (0..<4).map { pay("g\($0)", from: [("mule\($0)", 200)], to: [("sink", 190)], at: 100) }
        #expect(run(&own, scatter + gather, ownAddresses).isEmpty)
    }

    @Test func aHubGatheringAndScatteringIsGatherScatter() {
        let parameters = GatherScatterDetector.Parameters(windowSeconds: 3_600, minSources: 4, minDestinations: 4)
        let gather = (0..<4).map { pay("i\($0)", from: [("src\($0)", 100)], to: [("hub", 100)], at: Int64($0)) }
        let scatter = (0..<4).map { pay("o\($0)", from: [("hub", 100)], to: [("dst\($0)", 90)], at: 100 + Int64($0)) }
        var detector = GatherScatterDetector(parameters)
        let detections = run(&detector, gather + scatter)
        #expect(detections.map(\.subjects) == [["hub"]])
        #expect(detections.first?.evidence["sources"] == "4")

        var fewSources = GatherScatterDetector(parameters)
        #expect(run(&fewSources, Array(gather.prefix(3)) + scatter).isEmpty)
        var exchange = GatherScatterDetector(parameters)
        #expect(run(&exchange, gather + scatter, DetectionContext(tags: ["hub": [listed("hub", .exchange)]])).isEmpty)
    }

    @Test func fundsComingBackAreACycle() {
        var detector = CycleDetector(CycleDetector.Parameters(minLength: 3, maxLength: 5, windowSeconds: 3_600))
        let flows = [
            pay("t1", from: [("a", 100)], to: [("b", 95)], at: 0), pay("t2", from: [("b", 95)], to: [("c", 90)], at: 60),
            pay("t3", from: [("c", 90)], to: [("a2", 85)], at: 120),
        ]
        let sameOwner = DetectionContext(entity: { $0 == "a2" ? "a" : $0 })
        let detections = run(&detector, flows, sameOwner)
        #expect(detections.map(\.typology) == [.cycle])
        #expect(detections.first?.txids == ["t1", "t2", "t3"])
        #expect(detections.first?.evidence["path"] == "a -> b -> c -> a2")

        var twoHops = CycleDetector(CycleDetector.Parameters(minLength: 3, maxLength: 5, windowSeconds: 3_600))
        #expect(run(&twoHops, [flows[0], pay("back", from: [("b", 95)], to: [("a", 90)], at: 60)]).isEmpty)
        var tooLong = CycleDetector(CycleDetector.Parameters(minLength: 2, maxLength: 2, windowSeconds: 3_600))
        #expect(run(&tooLong, flows, sameOwner).isEmpty)
        var elsewhere = CycleDetector(CycleDetector.Parameters(minLength: 3, maxLength: 5, windowSeconds: 3_600))
        #expect(run(&elsewhere, flows).isEmpty)
    }
}
