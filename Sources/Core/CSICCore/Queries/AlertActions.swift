/// An analyst's changes of alerts, each audited with the analyst (the alert service's implementation, which
/// the API's alert routes call without depending on the service).
public protocol AlertActions: Sendable {
    /// `action` on alert `id` with its detail (the assignee, the reason), by `origin`. Throws the store's
    /// error when the alert does not exist or the action does not apply to its status.
    func change(alert id: String, _ action: AlertAction, detail: String?, by origin: ChangeOrigin) async throws -> Alert
}
