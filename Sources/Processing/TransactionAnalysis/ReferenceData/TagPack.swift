import CSICCore
import Foundation
import Yams

/// Reads a GraphSense TagPack (YAML): a header with `title`, `creator` and `tags`, each tag an address with
/// its `label`, `source`, `currency`, `confidence` and optional `category`, `abuse`, `actor`,
/// `is_cluster_definer`. Any tag field in the header is inherited by every tag that does not set it.
///
/// Only Bitcoin and Ethereum address tags are imported; tags of other currencies and transaction tags
/// (`tx_hash`) are counted as skipped. A tag with a missing field or an invalid address is refused with its
/// reason; the others are imported.
public enum TagPack {
    /// GraphSense's confidence levels by name (its `confidence.csv`).
    static let confidenceLevels: [String: Int] = [
        "override": 100, "ownership": 100, "manual_transaction": 90, "service_api": 70, "authority_data": 60,
        "trusted_provider": 50, "service_data": 50, "forensic": 50, "untrusted_transaction": 40, "web_crawl": 20,
        "heuristic": 10, "unknown": 5,
    ]

    /// The tag fields a header may set for all tags.
    static let tagFields: Set<String> = [
        "address", "currency", "network", "label", "source", "context", "confidence", "category", "abuse", "actor",
        "is_cluster_definer", "lastmod", "tx_hash", "concepts", "tag_type",
    ]

    /// Parses the TagPack in `bytes`, visiting at most `nodeBudget` YAML nodes; throws ``ReferenceDataError``
    /// when the file as a whole is unusable.
    public static func parse(
        _ bytes: [UInt8], nodeBudget: Int = ReferenceDataLimits.yamlNodes
    ) throws(ReferenceDataError)
        -> ReferenceDataContents
    {
        let text = try ReferenceDataLimits.text(bytes)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ReferenceDataError("not YAML: \(String(describing: error).prefix(300))")
        }
        guard let root, case .mapping(let header) = root else {
            throw ReferenceDataError("a TagPack is a YAML mapping with title, creator and tags")
        }
        var budget = NodeBudget(left: nodeBudget)
        guard let title = header["title"].flatMap(scalar), !title.isEmpty else { throw ReferenceDataError("the header has no title") }
        guard header["creator"].flatMap(scalar)?.isEmpty == false else { throw ReferenceDataError("the header has no creator") }
        guard let tagNodes = header["tags"], case .sequence(let tags) = tagNodes else {
            throw ReferenceDataError("the header has no tags list")
        }
        guard tags.count <= ReferenceDataLimits.tags else { throw ReferenceDataError("more than \(ReferenceDataLimits.tags) tags") }
        var inherited: [String: Node] = [:]
        for (key, value) in header {
            if let name = key.string, tagFields.contains(name) { inherited[name] = value }
        }
        var contents = ReferenceDataContents(listName: "tagpack:\(title.prefix(200))", format: "tagpack")
        for (index, node) in tags.enumerated() {
            guard case .mapping(let fields) = node else {
                contents.rejected.append(ReferenceDataRejection(location: "tags[\(index)]", reason: "a tag is a mapping"))
                continue
            }
            var merged = inherited
            for (key, value) in fields {
                try budget.spend()
                if let name = key.string { merged[name] = value }
            }
            switch tag(merged) {
            case .tag(let tag): contents.tags.append(tag)
            case .skipped(let reason): contents.skipped[reason, default: 0] += 1
            case .refused(let reason): contents.rejected.append(ReferenceDataRejection(location: "tags[\(index)]", reason: reason))
            }
        }
        return contents
    }

    enum Outcome {
        case tag(AddressTag)
        case skipped(String)
        case refused(String)
    }

    struct TagError: Error {
        let reason: String
    }

    /// Counts the nodes visited over the whole file down from a limit.
    struct NodeBudget {
        var left: Int

        mutating func spend() throws(ReferenceDataError) {
            left -= 1
            guard left >= 0 else { throw ReferenceDataError("the YAML tree is too large (aliases expanding to too many nodes)") }
        }
    }

    /// One tag from its fields (its own and the inherited ones).
    static func tag(_ fields: [String: Node]) -> Outcome {
        do throws(TagError) {
            return try tagFields(fields)
        } catch {
            return .refused(error.reason)
        }
    }

    static func tagFields(_ fields: [String: Node]) throws(TagError) -> Outcome {
        func text(_ name: String, required: Bool) throws(TagError) -> String? {
            let value = fields[name].flatMap(scalar)?.trimmingCharacters(in: .whitespaces)
            if required, value?.isEmpty != false { throw TagError(reason: "\(name) is missing") }
            guard let value, !value.isEmpty else { return nil }
            guard value.utf8.count <= ReferenceDataLimits.textBytes else {
                throw TagError(reason: "\(name) is longer than \(ReferenceDataLimits.textBytes) bytes")
            }
            return value
        }
        guard let address = try text("address", required: false) else {
            return .skipped(fields["tx_hash"] != nil ? "tx_hash tag" : "tag without address")
        }
        let currency = try text("currency", required: true)!
        guard let chain = CurrencyCode.chain(currency) else { return .skipped("currency \(currency.uppercased().prefix(16))") }
        if let network = try text("network", required: false), CurrencyCode.chain(network) != chain {
            return .skipped("network \(network.uppercased().prefix(16)) of \(currency.uppercased())")
        }
        guard let normalized = chain.normalizedAddress(address) else {
            throw TagError(reason: "\(address.prefix(100)) is not a \(chain.rawValue) address")
        }
        let confidenceText = try text("confidence", required: true)!
        guard let confidence = confidenceLevels[confidenceText] ?? Int(confidenceText).flatMap({ (0...100).contains($0) ? $0 : nil }) else {
            throw TagError(reason: "confidence \(confidenceText.prefix(40)) is neither a GraphSense level nor 0 to 100")
        }
        let category = try categoryOf(text("category", required: false), abuse: text("abuse", required: false))
        let definesEntity: Bool
        switch fields["is_cluster_definer"].flatMap(scalar)?.lowercased() {
        case nil, "false": definesEntity = false
        case "true": definesEntity = true
        case let other?: throw TagError(reason: "is_cluster_definer \(other.prefix(20)) is not true or false")
        }
        return .tag(
            AddressTag(
                chain: chain, address: normalized, label: try text("label", required: true)!, category: category,
                source: try text("source", required: true)!, confidence: confidence, actor: try text("actor", required: false),
                definesEntity: definesEntity))
    }

    /// The category a tag is filed under: its `abuse` when that is an illicit category (an exchange that is a
    /// scam is exposure), else its `category`, else its `abuse`.
    static func categoryOf(_ category: String?, abuse: String?) throws(TagError) -> TagCategory? {
        func parsed(_ name: String?, _ field: String) throws(TagError) -> TagCategory? {
            guard let name else { return nil }
            guard let category = TagCategory(rawValue: name.lowercased()) else {
                throw TagError(reason: "\(field) \(name.prefix(64)) is not a category name")
            }
            return category
        }
        let (category, abuse) = (try parsed(category, "category"), try parsed(abuse, "abuse"))
        if let abuse, TagCategory.illicit.contains(abuse) { return abuse }
        return category ?? abuse
    }

    /// The text of a scalar node; `nil` for a mapping or sequence where text belongs (read as absent).
    static func scalar(_ node: Node) -> String? {
        guard case .scalar(let scalar) = node else { return nil }
        return scalar.string
    }
}
