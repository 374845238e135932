import CSICCore
import Storage

/// Every tag in force (each list's newest version), as the analysis reads them: loaded whole from the tag store
/// when its lists change (an import), so a batch looks its addresses up in memory instead of asking the store.
///
/// Compact, because tag lists run to millions of addresses that share a few labels: each distinct tag (its
/// address left out) is held once, each distinct set of them once, and an address holds the number of its own.
public struct TagsInForce: Sendable {
    /// The list versions these tags were loaded as of; `nil` when they were not read from a store.
    public let lists: [TagListVersion]?
    /// The distinct tags, each with its address left empty.
    private var distinct: [ListedTag] = []
    /// The distinct sets of several tags, by their numbers in `distinct`.
    private var sets: [[Int32]] = []
    /// Each tagged address's tags, by chain: `n >= 0` is the one tag `distinct[n]`, `n < 0` the set `sets[-n - 1]`.
    private var byChain: [Chain: [String: Int32]] = [:]
    /// How many tags are held, over every chain.
    public private(set) var count = 0

    /// No tags.
    public init() {
        lists = nil
    }

    private init(lists: [TagListVersion]) {
        self.lists = lists
    }

    /// The tags in force in `store` now, read `page` addresses at a time. The lists are read before the tags: an
    /// import in between leaves tags newer than `lists`, and the next ``isCurrent(in:)`` reloads them, never the
    /// other way round.
    public static func load(from store: any TagStore, page: Int = 10_000) async throws -> TagsInForce {
        var builder = Builder(TagsInForce(lists: try await store.lists()))
        guard builder.built.lists?.isEmpty == false else { return builder.built }
        for chain in Chain.allCases {
            var after: String?
            while true {
                let addresses = try await store.taggedAddresses(chain: chain, after: after, limit: page)
                guard let last = addresses.last else { break }
                for (address, tags) in try await store.tags(chain: chain, addresses: addresses) {
                    builder.add(tags, address: address, chain: chain)
                }
                after = last
            }
        }
        return builder.built
    }

    /// Whether `store`'s lists are still the ones these tags were loaded as of (one small read).
    public func isCurrent(in store: any TagStore) async throws -> Bool {
        guard let lists else { return false }
        return try await store.lists() == lists
    }

    /// The tags of `address` on `chain`, in the store's order.
    public func tags(chain: Chain, address: String) -> [ListedTag] {
        byChain[chain]?[address].map { tags(numbered: $0, address: address) } ?? []
    }

    /// The tags of every address `transactions` touch that has any, by chain, then address: one lookup per address.
    public func tags(of transactions: [ChainTransaction]) -> [Chain: [String: [ListedTag]]] {
        var found: [Chain: [String: [ListedTag]]] = [:]
        for (chain, tagged) in byChain {
            var onChain: [String: [ListedTag]] = [:]
            for transaction in transactions where transaction.chain == chain {
                for address in transaction.addresses {
                    guard let number = tagged[address], onChain[address] == nil else { continue }
                    onChain[address] = tags(numbered: number, address: address)
                }
            }
            if !onChain.isEmpty { found[chain] = onChain }
        }
        return found
    }

    /// The tags `number` stands for, each with `address`.
    private func tags(numbered number: Int32, address: String) -> [ListedTag] {
        func addressed(_ number: Int32) -> ListedTag {
            var tag = distinct[Int(number)]
            tag.tag.address = address
            return tag
        }
        return numbers(number).map(addressed)
    }

    /// The numbers in `distinct` that an address's `number` stands for.
    private func numbers(_ number: Int32) -> [Int32] {
        number >= 0 ? [number] : sets[Int(-number - 1)]
    }

    /// Every tag of `chain` that defines its address's entity, by address.
    public func entityDefining(chain: Chain) -> [String: [ListedTag]] {
        let defining = Set(distinct.indices.filter { distinct[$0].tag.definesEntity }.map(Int32.init))
        guard !defining.isEmpty else { return [:] }
        var found: [String: [ListedTag]] = [:]
        for (address, number) in byChain[chain] ?? [:] {
            if numbers(number).contains(where: defining.contains) { found[address] = tags(numbered: number, address: address) }
        }
        return found
    }

    /// Fills a ``TagsInForce``, numbering each distinct tag and each distinct set of them once.
    private struct Builder {
        var built: TagsInForce
        private var distinctIDs: [ListedTag: Int32] = [:]
        private var setIDs: [[Int32]: Int32] = [:]

        init(_ empty: TagsInForce) {
            built = empty
        }

        mutating func add(_ tags: [ListedTag], address: String, chain: Chain) {
            let numbers = tags.map { tag in
                var blank = tag
                blank.tag.address = ""
                if let number = distinctIDs[blank] { return number }
                let number = Int32(built.distinct.count)
                built.distinct.append(blank)
                distinctIDs[blank] = number
                return number
            }
            guard let first = numbers.first else { return }
            built.count += numbers.count
            if numbers.count == 1 {
                built.byChain[chain, default: [:]][address] = first
                return
            }
            let set = setIDs[numbers] ?? Int32(built.sets.count)
            if set == built.sets.count {
                built.sets.append(numbers)
                setIDs[numbers] = set
            }
            built.byChain[chain, default: [:]][address] = -set - 1
        }
    }
}
