import Foundation

/// Who asks for an audited change (an account, a tag list, ...), for its audit records: a user through the
/// API, or an operator on the command line (`operator:<login name>`).
public struct ChangeOrigin: Sendable {
    public var actor: String
    public var sourceAddress: String
    public var requestID: String

    public init(actor: String, sourceAddress: String, requestID: String = UUID().uuidString.lowercased()) {
        self.actor = actor
        self.sourceAddress = sourceAddress
        self.requestID = requestID
    }
}
