import CSICCore
import Storage
import Testing
import TransactionAnalysis

@Suite struct TransactionFlowsTests {
    @Test func bitcoinFlowsSumPerAddressAndSeparateChange() {
        let transaction = spend("t", ["a", "a", "b"], pay: [("c", 5), ("a", 3), ("c", 2), ("d", 1)])
        var withValues = transaction
        for index in withValues.inputs.indices { withValues.inputs[index].value = Amount(4) }
        let flows = TransactionFlows(withValues)
        #expect(flows.senders == [Flow("a", 8), Flow("b", 4)])
        #expect(flows.recipients == [Flow("c", 7), Flow("d", 1)])
        #expect(flows.change == [Flow("a", 3)])
        #expect(flows.spentOutputs == ["prev-t:0", "prev-t:1", "prev-t:2"])
        #expect(flows.largestOutput?.outpoint == "t:0")
        #expect(flows.outputCount == 4)
    }

    /// A transaction with thousands of outputs is summed through an index, with the same result.
    @Test func largeTransactionsSumTheSame() {
        let outputs = (0..<5_000).map { ("r\($0 % 2_500)", UInt64(1)) }
        let flows = TransactionFlows(spend("t", ["a"], pay: outputs + [("a", 9)]))
        #expect(flows.recipients.count == 2_500)
        #expect(flows.recipients.allSatisfy { $0.amount == Amount(2) })
        #expect(flows.change == [Flow("a", 9)])
    }

    @Test func ethereumFlowsAreFromPayingTo() {
        let transfer = ChainTransaction(
            chain: .ethereum, txid: "e", block: nil, seenAt: Timestamp(secondsSinceEpoch: 1_796_000_000), from: "0xA", to: "0xB",
            value: Amount(7))
        let flows = TransactionFlows(transfer)
        #expect(flows.senders == [Flow("0xA", 7)])
        #expect(flows.recipients == [Flow("0xB", 7)])
        var failed = transfer
        failed.status = .failed
        #expect(TransactionFlows(failed).recipients.isEmpty)
    }
}

@Suite struct FanDetectorTests {
    let parameters = FanDetector.Parameters(windowSeconds: 3_600, minCounterparties: 5, minTransactions: 3)

    @Test func fiveSendersWithinTheWindowAreAFanIn() {
        var detector = FanDetector(.fanIn, parameters)
        let flows = (0..<5).map { pay("t\($0)", from: [("s\($0)", 10)], to: [("hub", 9)], at: Int64($0) * 60) }
        let detections = run(&detector, flows)
        #expect(detections.count == 1)
        #expect(detections.first?.subjects.first == "hub")
        #expect(detections.first?.txids == ["t0", "t1", "t2", "t3", "t4"])
        #expect(detections.first?.amount == Amount(45))
        #expect(detections.first?.evidence["counterparties"] == "5")
    }

    /// Near misses: the fifth sender after the window; five addresses of one entity; a tagged exchange.
    @Test func nearMissesAreNotFanIns() {
        var late = FanDetector(.fanIn, parameters)
        #expect(run(&late, (0..<5).map { pay("t\($0)", from: [("s\($0)", 10)], to: [("hub", 9)], at: Int64($0) * 1_000) }).isEmpty)

        var oneEntity = FanDetector(.fanIn, parameters)
        let sameOwner = DetectionContext(entity: { $0.hasPrefix("s") ? "owner" : $0 })
        #expect(run(&oneEntity, (0..<5).map { pay("t\($0)", from: [("s\($0)", 10)], to: [("hub", 9)], at: Int64($0)) }, sameOwner).isEmpty)

        var exchange = FanDetector(.fanIn, parameters)
        let tagged = DetectionContext(tags: ["hub": [listed("hub", .exchange, list: "exchanges")]])
        #expect(run(&exchange, (0..<5).map { pay("t\($0)", from: [("s\($0)", 10)], to: [("hub", 9)], at: Int64($0)) }, tagged).isEmpty)
    }

    @Test func fanOutNeedsSeveralTransactionsNotOneBatch() {
        var batch = FanDetector(.fanOut, parameters)
        #expect(run(&batch, [pay("b", from: [("payer", 100)], to: (0..<10).map { ("r\($0)", 9) }, at: 0)]).isEmpty)

        var spread = FanDetector(.fanOut, parameters)
        let flows = (0..<5).map { pay("t\($0)", from: [("payer", 10)], to: [("r\($0)", 9)], at: Int64($0) * 60) }
        let detections = run(&spread, flows)
        #expect(detections.map(\.typology) == [.fanOut])
        #expect(detections.first?.subjects.first == "payer")
    }

    /// A continuing fan-in is reported once per window, and a reverted payment no longer counts.
    @Test func reportsOncePerWindowAndForgetsRevertedPayments() {
        var detector = FanDetector(.fanIn, parameters)
        let flows = (0..<8).map { pay("t\($0)", from: [("s\($0)", 10)], to: [("hub", 9)], at: Int64($0) * 60) }
        #expect(run(&detector, flows).count == 1)

        var reverted = FanDetector(.fanIn, parameters)
        _ = run(&reverted, Array(flows.prefix(4)))
        reverted.revert(flows[3], DetectionContext())
        #expect(run(&reverted, [flows[4]]).isEmpty)
        #expect(run(&reverted, [flows[5]]).count == 1)
    }

    @Test func expiryDropsOldContacts() {
        var detector = FanDetector(.fanIn, parameters)
        _ = run(&detector, (0..<4).map { pay("t\($0)", from: [("s\($0)", 10)], to: [("hub", 9)], at: Int64($0)) })
        detector.expire(before: Timestamp(secondsSinceEpoch: 1_796_000_000 + 4_000))
        #expect(run(&detector, [pay("t9", from: [("s9", 10)], to: [("hub", 9)], at: 100)]).isEmpty)
    }
}

@Suite struct StructuringDetectorTests {
    let parameters = StructuringDetector.Parameters(
        thresholds: [.bitcoin: Amount(1_000)], margin: 0.1, minPayments: 3, windowSeconds: 3_600)

    @Test func threePaymentsJustBelowTheThresholdAreStructuring() {
        var detector = StructuringDetector(parameters)
        let flows = [950, 990, 999].enumerated().map {
            pay("t\($0.offset)", from: [("p", 2_000)], to: [("r\($0.offset)", UInt64($0.element))], at: Int64($0.offset) * 60)
        }
        let detections = run(&detector, flows)
        #expect(detections.map(\.typology) == [.structuring])
        #expect(detections.first?.evidence["amounts"] == "950,990,999")
        #expect(detections.first?.subjects == ["p", "r0", "r1", "r2"])
    }

    /// Near misses: one payment at the threshold; one below the margin; the third outside the window; another chain.
    @Test func nearMissesAreNotStructuring() {
        for amounts in [[950, 990, 1_000], [950, 990, 899]] {
            var detector = StructuringDetector(parameters)
            let flows = amounts.enumerated().map {
                pay("t\($0.offset)", from: [("p", 2_000)], to: [("r", UInt64($0.element))], at: Int64($0.offset))
            }
            #expect(run(&detector, flows).isEmpty, "\(amounts)")
        }
        var late = StructuringDetector(parameters)
        #expect(run(&late, (0..<3).map { pay("t\($0)", from: [("p", 2_000)], to: [("r", 990)], at: Int64($0) * 2_000) }).isEmpty)
        var ethereum = StructuringDetector(parameters)
        #expect(
            run(&ethereum, (0..<3).map { pay("t\($0)", from: [("p", 2_000)], to: [("r", 990)], at: Int64($0), chain: .ethereum) }).isEmpty)
    }
}

@Suite struct PassThroughDetectorTests {
    @Test func fundsInAndOutWithinTheWindowPassThrough() {
        var detector = PassThroughDetector(PassThroughDetector.Parameters(windowSeconds: 600, minRatio: 0.9, minAmount: [.bitcoin: 900]))
        let flows = [
            pay("in", from: [("victim", 1_000)], to: [("mule", 1_000)], at: 0),
            pay("out", from: [("mule", 1_000)], to: [("boss", 950)], at: 300),
        ]
        let detections = run(&detector, flows)
        #expect(detections.map(\.typology) == [.passThrough])
        #expect(detections.first?.subjects.prefix(3) == ["mule", "victim", "boss"])
        #expect(detections.first?.txids == ["in", "out"])
    }

    /// Near misses: paid out after the window; most of it returned as change; a known service; more paid out
    /// than came in (older funds with it); less than the least amount.
    @Test func nearMissesDoNotPassThrough() {
        let parameters = PassThroughDetector.Parameters(windowSeconds: 600, minRatio: 0.9, minAmount: [.bitcoin: 900])
        var older = PassThroughDetector(parameters)
        #expect(
            run(
                &older,
                [pay("in", from: [("v", 1_000)], to: [("m", 1_000)], at: 0), pay("out", from: [("m", 3_000)], to: [("b", 2_950)], at: 60)]
            )
            .isEmpty)
        var small = PassThroughDetector(parameters)
        #expect(
            run(&small, [pay("in", from: [("v", 800)], to: [("m", 800)], at: 0), pay("out", from: [("m", 800)], to: [("b", 790)], at: 60)])
                .isEmpty)
        var late = PassThroughDetector(parameters)
        #expect(
            run(
                &late,
                [pay("in", from: [("v", 1_000)], to: [("m", 1_000)], at: 0), pay("out", from: [("m", 1_000)], to: [("b", 950)], at: 700)]
            ).isEmpty)

        var kept = PassThroughDetector(parameters)
        var out = pay("out", from: [("m", 1_000)], to: [("b", 500)], at: 60)
        out.change = [Flow("m", 500)]
        #expect(run(&kept, [pay("in", from: [("v", 1_000)], to: [("m", 1_000)], at: 0), out]).isEmpty)

        // Change to another address of the mule's own entity is not paid out (the change heuristics).
        var ownChange = PassThroughDetector(parameters)
        let clustered = DetectionContext { $0 == "m2" ? "m" : $0 }
        #expect(
            run(
                &ownChange,
                [
                    pay("in", from: [("v", 1_000)], to: [("m", 1_000)], at: 0),
                    pay("out", from: [("m", 1_000)], to: [("b", 100), ("m2", 890)], at: 60),
                ],
                clustered
            ).isEmpty)

        var service = PassThroughDetector(parameters)
        let exchange = DetectionContext(tags: ["m": [listed("m", .exchange)]])
        #expect(
            run(
                &service,
                [pay("in", from: [("v", 1_000)], to: [("m", 1_000)], at: 0), pay("out", from: [("m", 1_000)], to: [("b", 950)], at: 60)],
                exchange
            ).isEmpty)
    }

    /// What others did not surely pay in or out does not count: a receipt that may be the payer's own change (one
    /// of two payees, neither judged change), a withdrawal from a known service, and a payment out beside a payee
    /// that may be the mule's change.
    @Test func whatIsNotSurelyPaidDoesNotPassThrough() {
        let parameters = PassThroughDetector.Parameters(windowSeconds: 600, minRatio: 0.9, minAmount: [.bitcoin: 900])
        var ownChange = PassThroughDetector(parameters)
        #expect(
            run(
                &ownChange,
                [
                    pay("in", from: [("v", 1_500)], to: [("shop", 423), ("m", 1_067)], at: 0),
                    pay("out", from: [("m", 1_067)], to: [("b", 1_060)], at: 60),
                ]
            ).isEmpty)
        var withdrawal = PassThroughDetector(parameters)
        let exchange = DetectionContext(tags: ["hot": [listed("hot", .exchange)]])
        #expect(
            run(
                &withdrawal,
                [pay("in", from: [("hot", 5_000)], to: [("m", 1_000)], at: 0), pay("out", from: [("m", 1_000)], to: [("b", 990)], at: 60)],
                exchange
            ).isEmpty)
        var twoPayees = PassThroughDetector(parameters)
        #expect(
            run(
                &twoPayees,
                [
                    pay("in", from: [("v", 1_000)], to: [("m", 1_000)], at: 0),
                    pay("out", from: [("m", 1_000)], to: [("b", 523), ("c", 467)], at: 60),
                ]
            ).isEmpty)
        // The same receipt with the victim's change decided (a round payment) passes through.
        var decided = PassThroughDetector(PassThroughDetector.Parameters(windowSeconds: 600, minRatio: 0.9, minAmount: [.bitcoin: 90_000]))
        #expect(
            run(
                &decided,
                [
                    pay("in", from: [("v", 250_000)], to: [("m", 100_000), ("v2", 149_123)], at: 0),
                    pay("out", from: [("m", 100_000)], to: [("b", 99_000)], at: 60),
                ]
            ).map(\.typology) == [.passThrough])
    }
}

@Suite struct ChangeHeuristicsTests {
    /// Change is a payee of the payer's own entity (high), or the other payee when exactly one of two is a round sum
    /// (medium); same-address change is never a payee; undecidable transactions keep every payee as a payment.
    @Test func changeIsTheOwnEntitysOrTheNonRoundRemainder() {
        let clustered = DetectionContext { $0 == "a2" ? "a" : $0 }
        let own = pay("t", from: [("a", 1_000_000)], to: [("b", 300_000), ("a2", 690_000)], at: 0)
        #expect(ChangeHeuristics.change(of: own, clustered).map(\.heuristic) == ["own_entity"])
        #expect(ChangeHeuristics.payments(of: own, clustered).map(\.address) == ["b"])
        let round = pay("t", from: [("a", 1_000_000)], to: [("b", 300_000), ("c", 690_123)], at: 0)
        let guesses = ChangeHeuristics.change(of: round, DetectionContext())
        #expect(guesses.map(\.output.address) == ["c"] && guesses.map(\.confidence) == [.medium])
        #expect(ChangeHeuristics.payments(of: round, DetectionContext()).map(\.address) == ["b"])
        for undecided in [
            pay("t", from: [("a", 1_000_000)], to: [("b", 300_000), ("c", 600_000)], at: 0),
            pay("t", from: [("a", 1_000_000)], to: [("b", 300_123), ("c", 690_123)], at: 0),
            pay("t", from: [("a", 1_000_000)], to: [("b", 300_000), ("c", 300_123), ("d", 390_000)], at: 0),
            pay("t", from: [("a", 1_000_000)], to: [("b", 300_000), ("c", 690_123)], at: 0, chain: .ethereum),
        ] {
            #expect(ChangeHeuristics.change(of: undecided, DetectionContext()).isEmpty)
            #expect(ChangeHeuristics.payments(of: undecided, DetectionContext()) == undecided.recipients)
        }
    }

    /// Undecided payees are each possibly the change, but never a known service; decided transactions, a single
    /// payee and Ethereum have none.
    @Test func undecidedPayeesArePossibleChangeButNotKnownServices() {
        let undecided = pay("t", from: [("a", 1_000_000)], to: [("b", 300_123), ("c", 690_123), ("x", 5_000)], at: 0)
        let exchange = DetectionContext(tags: ["x": [listed("x", .exchange)]])
        #expect(ChangeHeuristics.possibleChange(of: undecided, exchange).map(\.address) == ["b", "c"])
        for decided in [
            pay("t", from: [("a", 1_000_000)], to: [("b", 300_000), ("c", 690_123)], at: 0),
            pay("t", from: [("a", 1_000_000)], to: [("b", 990_000)], at: 0),
            pay("t", from: [("a", 1_000_000)], to: [("b", 300_123), ("c", 690_123)], at: 0, chain: .ethereum),
        ] {
            #expect(ChangeHeuristics.possibleChange(of: decided, DetectionContext()).isEmpty)
        }
    }
}
