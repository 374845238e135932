import APIGateway
import Storage
import Testing

@Suite struct AccessRuleTests {
    func principal(_ role: UserAccount.Role, entity: String? = nil) -> Principal {
        Principal(username: "u", role: role, entityID: entity, credential: .apiKey(id: "k"))
    }

    @Test func rolesAnonymousAndPublicRoutes() {
        let read = Access.roles("transactions.read", .admin, .analyst)
        #expect(read.decide(nil) { _ in nil } == .unauthenticated)
        #expect(read.decide(principal(.analyst)) { _ in nil } == .allowed)
        #expect(read.decide(principal(.auditor)) { _ in nil } == .forbidden)
        #expect(read.decide(principal(.reportingEntity, entity: "vasp-1")) { _ in nil } == .forbidden)
        #expect(Access.open("health").decide(nil) { _ in nil } == .allowed)
        let everyone = Access.authenticated("me")
        #expect(UserAccount.Role.allCases.allSatisfy { everyone.decide(principal($0, entity: "e")) { _ in nil } == .allowed })
        #expect(everyone.decide(nil) { _ in nil } == .unauthenticated)
    }

    @Test func aReportingEntitySeesOnlyItsOwnEntity() {
        let reports = Access.roles("reports.read", .supervisor).entityScoped(by: "entity")
        #expect(reports.decide(principal(.reportingEntity, entity: "vasp-1")) { $0 == "entity" ? "vasp-1" : nil } == .allowed)
        #expect(reports.decide(principal(.reportingEntity, entity: "vasp-2")) { $0 == "entity" ? "vasp-1" : nil } == .forbidden)
        #expect(reports.decide(principal(.reportingEntity, entity: nil)) { _ in "vasp-1" } == .forbidden)
        #expect(reports.decide(principal(.reportingEntity, entity: "vasp-1")) { _ in nil } == .forbidden, "no entity in the path")
        #expect(reports.decide(principal(.supervisor)) { _ in "anything" } == .allowed, "other roles are not scoped")
        #expect(reports.decide(principal(.analyst)) { _ in "vasp-1" } == .forbidden)
    }
}
