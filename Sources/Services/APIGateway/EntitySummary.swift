import CSICCore
import Storage

/// What an entity's addresses say about it, read within bounds: the tags in force on its addresses (each with how
/// many of them carry it), its category, and its counterparties — the addresses outside it that paid it or that it
/// paid, largest first. A tag that defines its entity (TagPack `is_cluster_definer`) gives the category; otherwise
/// the category most of its tagged addresses carry (every category is counted in `categories`). A payment's value
/// is shared among its payers in proportion to what each put in. `complete` is false when the entity has more
/// addresses than ``memberLimit``, or they have more transactions than ``transactionLimit`` (read from
/// ``counterpartyMembers`` of its addresses): the figures cover what was read.
struct EntitySummary: Encodable, Sendable {
    struct EntityTag: Encodable, Sendable {
        var tag: TagView
        /// How many of the entity's addresses carry it.
        var addresses: Int
    }

    struct Counterparty: Encodable, Sendable {
        var address: String
        /// What the entity received from it.
        var received: Amount
        /// What the entity paid it.
        var sent: Amount
        var transactions: Int
        var tags: [TagView]
    }

    static let memberLimit = 10_000
    static let counterpartyMembers = 200
    static let transactionLimit = 2_000
    static let counterpartyLimit = 20

    var tags: [EntityTag] = []
    var category: TagCategory?
    var categories: [String: Int] = [:]
    var counterparties: [Counterparty] = []
    var membersRead = 0
    var transactionsRead = 0
    var complete = true

    /// Reads entity `id` of `clusters` and what `tags` and `transactions` know of its addresses.
    static func read(
        entity id: Int32, clusters: any ClusterStore, tags store: any TagStore, transactions: any TransactionStore
    ) async throws -> EntitySummary {
        var summary = EntitySummary()
        var members: [String] = []
        var cursor: String?
        var tagged: [String: (tag: ListedTag, addresses: Int)] = [:]
        var definer: TagCategory?
        repeat {
            let page = try await clusters.addresses(ofEntity: id, limit: min(1_000, memberLimit - members.count), cursor: cursor)
            members += page.items
            cursor = page.nextCursor
            for (_, listed) in try await store.tags(chain: .bitcoin, addresses: page.items) {
                for entry in listed {
                    tagged["\(entry.list)|\(entry.tag.label)|\(entry.tag.category?.rawValue ?? "")", default: (entry, 0)].addresses += 1
                    if entry.tag.definesEntity, let category = entry.tag.category { definer = definer ?? category }
                }
                for category in Set(listed.compactMap(\.tag.category)) { summary.categories[category.rawValue, default: 0] += 1 }
            }
        } while cursor != nil && members.count < memberLimit
        summary.membersRead = members.count
        summary.complete = cursor == nil
        summary.tags = tagged.values.sorted {
            ($1.addresses, $0.tag.list, $0.tag.tag.label) < ($0.addresses, $1.tag.list, $1.tag.tag.label)
        }
        .map { EntityTag(tag: TagView($0.tag), addresses: $0.addresses) }
        summary.category =
            definer ?? summary.categories.max { ($0.value, $1.key) < ($1.value, $0.key) }.flatMap { TagCategory(rawValue: $0.key) }
        try await summary.readCounterparties(of: members, tags: store, transactions: transactions)
        return summary
    }

    private mutating func readCounterparties(
        of members: [String], tags store: any TagStore, transactions: any TransactionStore
    )
        async throws
    {
        let own = Set(members)
        var seen = Set<String>()
        var flows: [String: (received: Amount, sent: Amount, transactions: Int)] = [:]
        for member in members.prefix(Self.counterpartyMembers) where transactionsRead < Self.transactionLimit {
            let page = try await transactions.transactions(
                TransactionQuery(address: member, chain: .bitcoin), limit: Self.transactionLimit - transactionsRead, cursor: nil)
            if page.nextCursor != nil { complete = false }
            for stored in page.items where stored.status != .reverted && seen.insert(stored.id).inserted {
                transactionsRead += 1
                guard let transaction = StoredTransaction.event(payload: stored.payload) else { continue }
                for (address, flow) in Self.flows(of: transaction, own: own) {
                    let before = flows[address] ?? (.zero, .zero, 0)
                    flows[address] = (before.received + flow.received, before.sent + flow.sent, before.transactions + 1)
                }
            }
        }
        if members.count > Self.counterpartyMembers || transactionsRead >= Self.transactionLimit { complete = false }
        let top = flows.sorted {
            ($0.value.received + $0.value.sent, $1.key) > ($1.value.received + $1.value.sent, $0.key)
        }.prefix(Self.counterpartyLimit)
        let tagged = try await store.tags(chain: .bitcoin, addresses: top.map(\.key))
        counterparties = top.map {
            Counterparty(
                address: $0.key, received: $0.value.received, sent: $0.value.sent, transactions: $0.value.transactions,
                tags: tagged[$0.key]?.map(TagView.init) ?? [])
        }
    }

    /// What each address outside `own` paid the entity or was paid by it in `transaction`: the entity's payments go
    /// to the outside payees; what it received is shared among the outside payers by what each put in.
    static func flows(of transaction: ChainTransaction, own: Set<String>) -> [String: (received: Amount, sent: Amount)] {
        var result: [String: (received: Amount, sent: Amount)] = [:]
        let paying = transaction.inputs.contains { $0.address.map(own.contains) ?? false }
        if paying {
            for output in transaction.outputs {
                guard let address = output.address, !own.contains(address) else { continue }
                result[address, default: (.zero, .zero)].sent = result[address, default: (.zero, .zero)].sent + output.value
            }
            return result
        }
        let received = transaction.outputs.filter { $0.address.map(own.contains) ?? false }.reduce(Amount.zero) { $0 + $1.value }
        let paidIn = transaction.inputs.reduce(Amount.zero) { $0 + ($1.value ?? .zero) }
        guard received > .zero, paidIn > .zero else { return result }
        for input in transaction.inputs {
            guard let address = input.address, let value = input.value else { continue }
            let share = received.scaled(by: value.approximateValue / paidIn.approximateValue)
            result[address, default: (.zero, .zero)].received = result[address, default: (.zero, .zero)].received + share
        }
        return result
    }
}
