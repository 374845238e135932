import CSICCore
import Foundation
import Hummingbird

/// `/api/v1/reference-data`: the tag lists' versions, imports of TagPacks and the OFAC SDN list while the
/// platform runs (the same as `csic import`, each import audited with the caller), and the re-evaluation of the
/// stored history an import may start (`"reevaluate": true`, as `csic import --reevaluate`).
public struct ReferenceDataRoutes: APIRoutes {
    let service: any ReferenceDataService

    public init(service: any ReferenceDataService) {
        self.service = service
    }

    /// The largest import body taken: 32 MiB (OFAC's `SDN.CSV` is about 4 MB; `SDN_ADVANCED.XML`, about
    /// 100 MB, is for `csic import`).
    static let maxImportBytes = 32 << 20

    /// The body of `POST /api/v1/reference-data/imports`.
    struct ImportRequest: Decodable {
        var kind: String
        var files: [String]
        var reevaluate: Bool?
    }

    static let readers = Access.roles("reference_data.read", .admin, .supervisor, .analyst, .auditor)

    public var routes: [APIRoute] {
        [
            APIRoute(
                .get, "reference-data/lists", access: Self.readers,
                summary: "Every version of every tag list, by name, newest version first",
                query: [.limit(default: 100, maximum: 1000), .cursor], response: .reference("TagLists")
            ) { request, _ in
                let limit = try request.boundedInteger("limit", default: 100, range: 1...1000)
                let offset: Int
                switch try request.textParameter("cursor") {
                case nil: offset = 0
                case let text?:
                    guard let value = Int(text), value >= 0 else {
                        throw APIError(.badRequest, code: "invalid_cursor", message: "cursor is not one this route gave", field: "cursor")
                    }
                    offset = value
                }
                let lists = try await service.lists()
                let page = lists.dropFirst(offset).prefix(limit)
                return TagListsView(lists: Array(page), nextCursor: offset + page.count < lists.count ? "\(offset + page.count)" : nil)
            },
            APIRoute(
                .post, "reference-data/imports", access: .roles("reference_data.import", .admin, .supervisor),
                summary: "Import TagPacks (kind tags, one list each) or the OFAC SDN list (kind sanctions: SDN.CSV, then SDN_COMMENTS.CSV)",
                body: .object(
                    [
                        "kind": .string(values: ReferenceDataKind.allCases.map(\.rawValue)),
                        "files": .array(.string(minLength: 1)), "reevaluate": .boolean,
                    ], required: ["kind", "files"], closed: true),
                response: .reference("ReferenceDataImports"), status: .created, problems: [.conflict]
            ) { request, context in
                let body = try await StrictBody.decode(
                    ImportRequest.self, from: request, allowed: ["kind", "files", "reevaluate"], limit: Self.maxImportBytes)
                guard let kind = ReferenceDataKind(rawValue: body.kind) else {
                    throw APIError.invalid(
                        "kind", "kind must be one of \(ReferenceDataKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                guard (1...10).contains(body.files.count) else { throw APIError.invalid("files", "files holds 1 to 10 file texts") }
                let origin = ChangeOrigin(
                    actor: context.actor, sourceAddress: context.remoteAddress?.ipAddress ?? "unknown",
                    requestID: APIGateway.requestID(request))
                let reevaluate = body.reevaluate ?? false
                // Refused before importing when it could not start.
                if reevaluate {
                    do {
                        if let running = try await service.reevaluation(), running.state == .running {
                            throw ReevaluationError.running(running)
                        }
                    } catch let error as ReevaluationError {
                        throw Self.conflict(error)
                    }
                }
                let reports: [ReferenceDataImportReport]
                do {
                    reports = try await service.importFiles(kind, files: body.files.map { Array($0.utf8) }, by: origin)
                } catch let error as ReferenceDataError {
                    throw APIError(.badRequest, code: "invalid_file", message: error.description, field: "files")
                }
                var started: ReevaluationStatus?
                if reevaluate {
                    do {
                        started = try await service.reevaluate(by: origin)
                    } catch let error as ReevaluationError {
                        throw Self.conflict(error, imported: true)
                    }
                }
                return EditedResponse(
                    status: .created, response: ImportsView(imports: reports.map(ImportView.init), reevaluation: started))
            },
            APIRoute(
                .get, "reference-data/reevaluation", access: Self.readers,
                summary: "The running re-evaluation of the stored history, else the last one this process ran",
                response: .reference("Reevaluation"), problems: [.notFound]
            ) { _, _ in
                let latest: ReevaluationStatus?
                do {
                    latest = try await service.reevaluation()
                } catch let error as ReevaluationError {
                    throw APIError(.notFound, code: "reevaluation_unavailable", message: error.description)
                }
                guard let latest else { throw APIError(.notFound, code: "not_found", message: "no re-evaluation has run in this process") }
                return latest
            },
        ]
    }
}

extension ReferenceDataRoutes {
    /// 409 for a re-evaluation that cannot start (saying whether the files were imported all the same).
    static func conflict(_ error: ReevaluationError, imported: Bool = false) -> APIError {
        let code = error == .unavailable ? "reevaluation_unavailable" : "reevaluation_running"
        let message = imported ? "\(error.description); the files were imported: re-evaluate later" : error.description
        return APIError(.conflict, code: code, message: message, field: "reevaluate")
    }
}

/// A re-evaluation's status as the API answers it (snake_case keys, absent members omitted).
extension ReevaluationStatus: ResponseEncodable {}

struct TagListsView: ResponseEncodable {
    var lists: [TagListVersion]
    var nextCursor: String?
}

struct ImportsView: ResponseEncodable {
    var imports: [ImportView]
    /// The re-evaluation the import started.
    var reevaluation: ReevaluationStatus?
}

/// One import's report, its refusals capped at 100 (the count is whole).
struct ImportView: Encodable {
    var list: TagListVersion
    var rejectedCount: Int
    var rejected: [ReferenceDataRejection]
    var skipped: [String: Int]

    init(_ report: ReferenceDataImportReport) {
        list = report.list
        rejectedCount = report.rejected.count
        rejected = Array(report.rejected.prefix(100))
        skipped = report.skipped
    }
}
