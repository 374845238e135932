import CSICCore
import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

extension SanctionsList {
    /// Reads `SDN_ADVANCED.XML`: the feature types named `Digital Currency Address - <ASSET>` under
    /// `ReferenceValueSets/FeatureTypeValues`, and for each `DistinctParty/Profile` its primary alias's name
    /// parts and the `VersionDetail` text of its features of those types. Element names are matched without
    /// their namespace (OFAC has changed it). External entities are not resolved. The file must be UTF-8, as OFAC
    /// publishes it.
    public static func parseAdvancedXML(_ bytes: [UInt8]) throws(ReferenceDataError) -> ReferenceDataContents {
        // Checked before libxml2 sees them: FoundationXML traps on a name that is not UTF-8 (a fuzzed file,
        // `regression-invalid-utf8-in-attribute-name`), and XML allows no NUL character.
        _ = try ReferenceDataLimits.text(bytes)
        guard !bytes.contains(0) else { throw ReferenceDataError("the file holds a NUL byte, which XML does not allow") }
        let reader = AdvancedXMLReader()
        let parser = XMLParser(data: Data(bytes))
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = true
        parser.delegate = reader
        // The reader's own error delegate reports what libxml2 finds (a cut-off document included, which
        // `parse()` alone would report as parsed).
        guard parser.parse(), reader.problem == nil else {
            throw ReferenceDataError("not SDN advanced XML: \(reader.problem ?? "line \(parser.lineNumber)")")
        }
        guard reader.sawSanctions else { throw ReferenceDataError("no Sanctions document (SDN_ADVANCED.XML's root element)") }
        // Feature types are declared before the parties, but the reader keeps the ids of every feature found.
        let parties = reader.parties.map { party in
            var resolved = party
            resolved.addresses = party.addresses.compactMap { typeID, address in
                reader.assetByFeatureType[typeID].map { ($0, address) }
            }
            return resolved
        }
        return contents(parties, format: "ofac-sdn-advanced-xml")
    }
}

/// The SAX delegate behind ``SanctionsList/parseAdvancedXML(_:)``: keeps only what the tags need.
final class AdvancedXMLReader: NSObject, XMLParserDelegate {
    var sawSanctions = false
    var problem: String?
    /// Asset code by feature type id, from `FeatureType` elements named `Digital Currency Address - <ASSET>`.
    var assetByFeatureType: [String: String] = [:]
    /// Parties with addresses; an address is (feature type id, text) until the types are resolved.
    var parties: [SanctionsList.Party] = []

    private var path: [String] = []
    private var text = ""
    private var featureTypeID: String?
    private var party: SanctionsList.Party?
    /// The SDN entry number of the party being read (`DistinctParty FixedRef`).
    private var fixedRef: String?
    private var nameParts: [String] = []
    private var inPrimaryAlias = false
    private var currentFeatureType: String?
    private var featureAddresses = 0

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        let name = elementName.split(separator: ":").last.map(String.init) ?? elementName
        path.append(name)
        text = ""
        guard path.count <= 64 else { return stop(parser, "elements nested more than 64 deep") }
        switch name {
        case "Sanctions": sawSanctions = true
        case "FeatureType": featureTypeID = attributes["ID"]
        case "DistinctParty": fixedRef = attributes["FixedRef"]
        case "Profile" where path.contains("DistinctParty"):
            let entry = String((fixedRef ?? attributes["ID"] ?? "?").prefix(20))
            party = SanctionsList.Party(entry: entry, name: "", program: nil, addresses: [])
            nameParts = []
        case "Alias" where party != nil: inPrimaryAlias = attributes["Primary"] == "true"
        case "Feature" where party != nil: currentFeatureType = attributes["FeatureTypeID"]
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard text.utf8.count + string.utf8.count <= 1 << 20 else { return stop(parser, "a text of more than 1 MiB") }
        text += string
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        let name = elementName.split(separator: ":").last.map(String.init) ?? elementName
        guard name == path.last else { return stop(parser, "line \(parser.lineNumber): </\(name.prefix(64))> closes <\(path.last ?? "")>") }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        switch name {
        case "FeatureType":
            if let id = featureTypeID, value.hasPrefix(SanctionsList.addressMarker) {
                assetByFeatureType[id] = String(value.dropFirst(SanctionsList.addressMarker.count)).trimmingCharacters(in: .whitespaces)
            }
            featureTypeID = nil
        case "NamePartValue" where inPrimaryAlias && party != nil:
            if !value.isEmpty { nameParts.append(value) }
        case "Alias": inPrimaryAlias = false
        case "VersionDetail":
            if let type = currentFeatureType, !value.isEmpty, party != nil {
                party?.addresses.append((type, value))
                featureAddresses += 1
                if featureAddresses > ReferenceDataLimits.tags { return stop(parser, "more than \(ReferenceDataLimits.tags) features") }
            }
        case "Feature": currentFeatureType = nil
        case "Profile":
            if var finished = party {
                finished.name = nameParts.isEmpty ? "profile \(finished.entry)" : nameParts.joined(separator: " ")
                if !finished.addresses.isEmpty { parties.append(finished) }
            }
            party = nil
        default: break
        }
        path.removeLast()
        text = ""
    }

    /// Only noted: libxml2 stops by itself on a fatal error, and stopping it from inside its error handler
    /// crashed it (a fuzzed file with NUL bytes in a tag: `regression-nul-bytes-abort-in-error-handler`).
    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        problem =
            problem
            ?? "line \(parser.lineNumber), column \(parser.columnNumber): malformed XML (libxml2 error \((parseError as NSError).code))"
    }

    private func stop(_ parser: XMLParser, _ reason: String) {
        problem = problem ?? reason
        parser.abortParsing()
    }
}
